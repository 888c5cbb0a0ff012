import Foundation
import Testing
import TributaryTestSupport

/// The text of `validate`, `inspect`, `runs` and `explain`, word for word, against the files in
/// Tests/Fixtures/golden/ (exit status, stdout and stderr of one command each).
///
/// Before comparing, what changes from run to run is replaced (`normalize`): the temporary
/// workspace's path by `<workspace>`, timestamps by `<time>`, a run's seconds and peak memory by
/// `<seconds>` and `<peak_mib>` (padded, so the columns stay put); on the lines naming a path in
/// the workspace, and the table header above them, runs of spaces become two spaces (their
/// column widths follow the temporary folder's path length); trailing spaces go. Everything else
/// (every word, number, line, caret column, their order and the exit status) must be as in the
/// golden file, so a change in a message, a hint, a count, a column or a line fails the test,
/// naming the first line that differs.
///
/// After an intended change, rewrite the files and review their diff:
///
///     UPDATE_GOLDEN=1 swift test --skip-build --filter GoldenTextTests
@Suite("Golden text of validate, inspect, runs, explain")
struct GoldenTextTests {
    static let folder = fixture("golden")
    static var updating: Bool { ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" }

    /// A small pipeline whose result is known (see `MatchingFixture`): a pinned matching model,
    /// so every weight is the same on every run.
    static let model = MatchingFixture.model
    static let pipeline = MatchingFixture.pipeline(name: "golden", output: "golden")

    /// The same pipeline with three mistakes, each on a known line: a misspelt key (line 9), a
    /// transform naming a field that does not exist (line 17), a limit below its minimum (line 20).
    static let broken = """
        version: 1
        name: golden-broken
        output:
          sqlite: out/golden.sqlite
        sources:
          crm:
            format: csv
            path: contacts.csv
            delimter: ";"
            fields:
              contact_id: Id
              first_name: First
              last_name: Last
              email: Email
              postcode: Zip
            transforms:
              - email: { field: emial }
        identity:
          identifiers:
            email: { from: [crm.email], max_per_profile: 0 }

        """

    static func data() -> String { MatchingFixture.data() }

    /// A workspace with the data, the model and both pipelines.
    static func workspace() throws -> Workspace {
        let ws = try Workspace()
        try ws.write("contacts.csv", data())
        try ws.write("model.json", model)
        try ws.write("golden.yml", pipeline)
        try ws.write("broken.yml", broken)
        return ws
    }

    /// A workspace where the pipeline has run twice (two runs for `runs` to list).
    static func ranTwice() throws -> (Workspace, String) {
        let ws = try workspace()
        for _ in 0..<2 {
            let outcome = try CLI.run(["run", ws.file("golden.yml"), "--quiet"])
            try #require(outcome.exited && outcome.status == 0, "\(outcome)")
        }
        return (ws, ws.file("out/golden.sqlite"))
    }

    /// The text as compared: see the type's comment.
    static func normalize(_ text: String, workspace: Workspace) -> String {
        var text = text
        let real = URL(fileURLWithPath: workspace.path).resolvingSymlinksInPath().path
        for path in Set([workspace.path, real]).sorted(by: { $0.count > $1.count }) {
            text = text.replacingOccurrences(of: path, with: "<workspace>")
        }
        text = replacing(#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z"#, in: text) { groups in ["<time>".padded(to: groups[0])] }
        // A run's row (run, started, status, seconds, read, loaded, quarantined, peak_mib, note):
        // seconds and peak_mib, each with the spaces after it, so the columns stay where they are.
        text = replacing(#"^(\d+ +<time> +\S+ +)(\d+(?:\.\d+)? *)(\S+ +\S+ +\S+ +)(\d+(?:\.\d+)? *)"#, in: text) { groups in
            [groups[1], "<seconds>".padded(to: groups[2]), groups[3], "<peak_mib>".padded(to: groups[4])]
        }
        var lines = text.components(separatedBy: "\n")
        // A line naming a path in the workspace, and the header just above a table of them: their
        // column widths follow the path's length, which depends on the temporary folder.
        func isHeader(_ i: Int) -> Bool {
            i >= 0 && lines[i].hasPrefix("  ") && !lines[i].contains("<workspace>")
                && !lines[i].contains("|") && !lines[i].contains("=")
        }
        let wide = Set(lines.indices.filter { lines[$0].contains("<workspace>") }
            .flatMap { i in isHeader(i - 1) ? [i - 1, i] : [i] })
        for i in lines.indices {
            if wide.contains(i) { lines[i] = replacing(#" {2,}"#, in: lines[i]) { _ in ["  "] } }
            while lines[i].hasSuffix(" ") { lines[i].removeLast() }
        }
        return lines.joined(separator: "\n")
    }

    /// `text` with every match of `pattern` replaced by the concatenation of what `replace`
    /// returns for its groups (group 0 first: the whole match).
    static func replacing(_ pattern: String, in text: String, _ replace: ([String]) -> [String]) -> String {
        let regex = try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        var result = text
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            let groups = (0..<match.numberOfRanges).map { i in
                Range(match.range(at: i), in: text).map { String(text[$0]) } ?? ""
            }
            let range = Range(match.range, in: text)!
            result.replaceSubrange(range, with: replace(groups).joined())
        }
        return result
    }

    /// Runs `pipeline arguments` and compares its outcome with the golden file `name`, or
    /// rewrites the file when UPDATE_GOLDEN=1.
    static func expectGolden(_ name: String, _ arguments: [String], in workspace: Workspace,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let outcome = try CLI.run(arguments, environment: ["COLUMNS": "100"], sourceLocation: sourceLocation)
        let actual = normalize("""
            $ pipeline \(arguments.joined(separator: " "))
            \(outcome.exited ? "exit" : "signal") \(outcome.status)
            --- stdout
            \(outcome.stdout)
            --- stderr
            \(outcome.stderr)
            """, workspace: workspace)
        let file = folder.appendingPathComponent(name)
        if updating {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: file)
            return
        }
        let expected = try #require(try? String(contentsOf: file, encoding: .utf8),
                                    "no golden file \(file.path): run with UPDATE_GOLDEN=1 to write it",
                                    sourceLocation: sourceLocation)
        guard actual != expected else { return }
        let a = actual.components(separatedBy: "\n"), e = expected.components(separatedBy: "\n")
        var i = 0
        while i < a.count, i < e.count, a[i] == e[i] { i += 1 }
        Issue.record("""
            \(name) differs from the golden file at line \(i + 1):
              expected: \(i < e.count ? e[i] : "(end)")
              actual:   \(i < a.count ? a[i] : "(end)")
            whole output:
            \(actual)
            (UPDATE_GOLDEN=1 rewrites the golden files after an intended change.)
            """, sourceLocation: sourceLocation)
    }

    @Test func validateReportsEveryMistake() throws {
        let ws = try Self.workspace()
        try Self.expectGolden("validate-broken.txt", ["validate", ws.file("broken.yml")], in: ws)
        try Self.expectGolden("validate-clean.txt", ["validate", ws.file("golden.yml")], in: ws)
    }

    @Test func inspect() throws {
        let (ws, out) = try Self.ranTwice()
        try Self.expectGolden("inspect.txt", ["inspect", out], in: ws)
    }

    @Test func runs() throws {
        let (ws, out) = try Self.ranTwice()
        try Self.expectGolden("runs.txt", ["runs", out], in: ws)
    }

    @Test func explain() throws {
        let (ws, out) = try Self.ranTwice()
        // The profile of C1, C2 and C3 (stable IDs: the same on every run of the same data).
        let db = try Database(out)
        let profile = try #require(db.value("""
            SELECT profile_id FROM profile_records JOIN src_crm ON src_crm._record_id = profile_records.record_id
            WHERE src_crm.contact_id = 'C1'
            """))
        try Self.expectGolden("explain-profile.txt", ["explain", out, profile], in: ws)
        try Self.expectGolden("explain-records.txt", ["explain", out, "--records", "crm:1", "crm:3"], in: ws)
    }
}

extension String {
    /// This placeholder padded with spaces to the length of `original` (at least one space after it).
    func padded(to original: String) -> String {
        self + String(repeating: " ", count: Swift.max(1, original.count - count))
    }
}
