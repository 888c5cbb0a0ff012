import Foundation
import Testing
import TributaryTestSupport

// `inspect`, `runs`, `report` and `explain` read an output database. A path that is not one is
// the user's mistake: exit 1 with a hint, never exit 2 "internal error (please report)".

@Suite("Commands reading an output: wrong files")
struct OutputArgumentTests {
    static let commands: [(String, [String])] = [
        ("inspect", []), ("runs", []), ("report", []), ("explain", ["p_0000000000000000"]),
        ("explain", ["--records", "crm:1", "crm:2"]),
    ]

    /// Runs every command on `path`; each must exit 1 with `message` and a hint containing `hint`.
    func expectMistake(_ path: String, message: String, hint: String, environment: [String: String] = [:],
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (command, extra) in Self.commands {
            let arguments = [command, path] + extra
            let outcome = try CLI.run(arguments, environment: environment, sourceLocation: sourceLocation)
            #expect(outcome.exited && outcome.status == 1, "\(arguments): \(outcome)", sourceLocation: sourceLocation)
            #expect(!outcome.stderr.contains("internal error"), "\(arguments): \(outcome)", sourceLocation: sourceLocation)
            #expect(outcome.stderr.contains(message), "\(arguments): \(outcome)", sourceLocation: sourceLocation)
            #expect(outcome.stderr.contains("  hint: ") && outcome.stderr.contains(hint), "\(arguments): \(outcome)",
                    sourceLocation: sourceLocation)
        }
    }

    @Test func aPipelineFileIsNotAnOutputAndTheHintNamesItsOutput() throws {
        let ws = try Workspace()
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/crm-sample.yml").path
        try expectMistake(pipeline, message: "\(pipeline) is not an output database (it is not an SQLite file)",
                          hint: "this is a pipeline file; its output is \(ws.path)/crm-sample.sqlite (not written yet: `pipeline run \(pipeline)` first)",
                          environment: ["TRIBUTARY_OUT": ws.path])
    }

    @Test func otherFilesThatAreNotOutputs() throws {
        let ws = try Workspace()
        let text = try ws.write("notes.txt", "hello\n")
        try expectMistake(text, message: "\(text) is not an output database (it is not an SQLite file)", hint: "`pipeline run` published")
        let empty = try ws.write("empty.sqlite", [])  // an empty file opens as an empty database
        try expectMistake(empty, message: "is an SQLite database but not a Tributary output (it has no run ledger", hint: "`pipeline run` published")
        try expectMistake(ws.path, message: "\(ws.path) is a folder, not an output database", hint: "the `.sqlite` file")
        try expectMistake(ws.file("missing.sqlite"), message: "no output database at \(ws.file("missing.sqlite"))", hint: "`output.sqlite` of its pipeline")
    }
}
