import Foundation
import Testing
import TributaryTestSupport

// The output's foreign keys hold after several runs: `run_inputs` keeps every run's files, keyed by
// (run_id, file_id), so a loaded record, a quarantined one and a reconciliation name their file by
// both, and the join documented in Docs/output-schema.md gives exactly one row per record.

@Suite("Output foreign keys across runs")
struct ForeignKeyTests {
    @Test func foreignKeyCheckIsCleanAndTheFileJoinGivesOneRowPerRecordAfterThreeRuns() throws {
        let ws = try Workspace()
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/retail-sample.yml").path
        let output = ws.file("retail-sample.sqlite")
        for run in 1...3 {
            let outcome = try CLI.run(["run", pipeline, "--quiet", "--as-of", "2024-06-03"], environment: ["TRIBUTARY_OUT": ws.path])
            try #require(outcome.exited && outcome.status == 0, "run \(run): \(outcome)")
            let db = try Database(output)
            #expect(db.rows("PRAGMA foreign_key_check") == [], "run \(run)")
            #expect(db.rows("PRAGMA foreign_key_list('src_crm')").map { [$0[2], $0[3], $0[4]] }
                    == [["run_inputs", "_run_id", "run_id"], ["run_inputs", "_file_id", "file_id"]])
            #expect(db.value("SELECT count(DISTINCT run_id) FROM run_inputs") == String(run))
            let sources = db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'src\\_%' ESCAPE '\\' ORDER BY name")
                .compactMap { $0[0] }
            #expect(sources == ["src_crm", "src_legacy_pos", "src_store_sales", "src_web"])
            for table in sources {
                let records = db.value("SELECT count(*) FROM \(table)")
                // The join of Docs/output-schema.md.
                let joined = db.value("SELECT count(*) FROM \(table) s JOIN run_inputs f ON f.run_id = s._run_id AND f.file_id = s._file_id")
                #expect(records != "0" && joined == records, "run \(run), \(table): \(String(describing: joined)) joined rows for \(String(describing: records)) records")
                #expect(db.value("SELECT count(DISTINCT _run_id) FROM \(table)") == "1")
                #expect(db.value("SELECT max(_run_id) FROM \(table)") == String(run))
            }
            for table in ["quarantine", "reconciliations"] {
                let rows = db.value("SELECT count(*) FROM \(table)")
                let joined = db.value("SELECT count(*) FROM \(table) q JOIN run_inputs f ON f.run_id = q.run_id AND f.file_id = q.file_id")
                #expect(rows != "0" && joined == rows, "run \(run), \(table)")
            }
        }
    }
}
