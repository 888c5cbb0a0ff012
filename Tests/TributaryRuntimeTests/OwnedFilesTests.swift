import Foundation
import Testing
import TributaryTestSupport

/// A run writes only files it owns (its database, lock, log and exports) and never an input, the
/// pipeline file, or a file it did not write; it never reads its own files as input.
@Suite("Files a run must never touch")
struct OwnedFilesTests {
    static let csv = "id,email\n1,a@x.com\n2,b@x.com\n"

    static func pipeline(output: String, input: String, exports: String = "") -> String {
        """
        version: 1
        name: own
        output: { sqlite: \(output) }
        sources:
          crm: { format: csv, path: "\(input)", fields: { id: id, email: email } }
        identity:
          identifiers: { email: { from: [crm.email] } }
        segments:
          all: "true"
        \(exports)
        """
    }

    @Test func theOutputNeverReplacesAFileThatIsNotAnOutput() throws {
        let ws = try Workspace()
        try ws.write("data/crm.csv", Self.csv)
        try ws.write("p.yml", Self.pipeline(output: "data/crm.csv", input: "data/*.csv"))
        let outcome = try CLI.run(["run", ws.file("p.yml"), "--quiet"])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(outcome.stderr.contains("is not a Tributary output"), "\(outcome)")
        #expect(try String(contentsOfFile: ws.file("data/crm.csv"), encoding: .utf8) == Self.csv)
    }

    @Test func aGlobOverTheOutputFolderSkipsTheRunsOwnFiles() throws {
        let ws = try Workspace()
        try ws.write("out/crm.csv", Self.csv)
        try ws.write("p.yml", Self.pipeline(output: "out/own.sqlite", input: "out/*", exports: """
            exports:
              a: { path: out/a.csv, segment: all, columns: [profile_id] }
            """))
        for run in 1...2 {
            let outcome = try CLI.run(["run", ws.file("p.yml"), "--quiet"])
            #expect(outcome.status == 0, "\(outcome)")
            let db = try Database(ws.file("out/own.sqlite"))
            // Only the CSV: not the database, its lock or log, nor the export of run 1.
            #expect(db.rows("SELECT path FROM run_inputs WHERE run_id = \(run)").map { URL(fileURLWithPath: $0[0] ?? "").lastPathComponent } == ["crm.csv"])
            #expect(db.value("SELECT count(*) FROM src_crm") == "2")
        }
    }

    @Test func anExportNeverReplacesAFileNoRunWrote() throws {
        let ws = try Workspace()
        try ws.write("data/crm.csv", Self.csv)
        try ws.write("out/exports/a.csv", "someone else's file\n")
        try ws.write("p.yml", Self.pipeline(output: "out/own.sqlite", input: "data/*.csv", exports: """
            exports:
              a: { path: out/exports/a.csv, segment: all, columns: [profile_id] }
            """))
        var outcome = try CLI.run(["run", ws.file("p.yml"), "--quiet"])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(outcome.stderr.contains("which no run of this output wrote"), "\(outcome)")
        #expect(try String(contentsOfFile: ws.file("out/exports/a.csv"), encoding: .utf8) == "someone else's file\n")
        // Once the file is gone, the run writes it, and later runs may replace their own export.
        try FileManager.default.removeItem(atPath: ws.file("out/exports/a.csv"))
        for _ in 1...2 {
            outcome = try CLI.run(["run", ws.file("p.yml"), "--quiet"])
            #expect(outcome.status == 0, "\(outcome)")
        }
    }

    @Test func validateReportsExportsOverOwnedOrOutsidePaths() throws {
        let ws = try Workspace()
        try ws.write("data/crm.csv", Self.csv)
        try ws.write("p.yml", Self.pipeline(output: "out/own.sqlite", input: "data/*.csv", exports: """
            exports:
              outside: { path: elsewhere/a.csv, columns: [profile_id] }
              itself: { path: p.yml, columns: [profile_id] }
              lock: { path: out/own.sqlite.lock, columns: [profile_id] }
              allowed: { path: shared/drop.csv, columns: [profile_id], outside_output: true }
              beside: { path: out/exports/b.csv, columns: [profile_id] }
            """))
        let outcome = try CLI.run(["validate", ws.file("p.yml")])
        #expect(outcome.status == 78, "\(outcome)")
        #expect(outcome.stdout.contains("p.yml:11:20: error[TR106]: export 'outside' writes outside the output folder"), "\(outcome)")
        #expect(outcome.stdout.contains("p.yml:12:19: error[TR106]: export 'itself' would overwrite the pipeline file"), "\(outcome)")
        #expect(outcome.stdout.contains("p.yml:13:17: error[TR106]: export 'lock' would overwrite the output database"), "\(outcome)")
        #expect(outcome.stdout.contains("3 errors"), "\(outcome)")
    }
}
