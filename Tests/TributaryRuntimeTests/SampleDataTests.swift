import CSQLite
import Foundation
import Testing
import TributaryTestSupport

/// The shipped sample pipeline over the shipped sample data: every number below is taken from
/// the READMEs in SampleData/, which list by hand what each file holds and what is broken.
@Suite("Sample data")
struct SampleDataTests {
    @Test func retailSampleLoadsAsTheReadmesSay() throws {
        let ws = try Workspace()
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/retail-sample.yml").path
        let outcome = try CLI.run(["run", pipeline, "--quiet"], environment: ["TRIBUTARY_OUT": ws.path])
        #expect(outcome.status == 0, "\(outcome)")
        let db = try Database(ws.file("retail-sample.sqlite"))
        let counts = db.rows("""
            SELECT source, sum(records), sum(loaded), sum(quarantined), sum(filtered), sum(duplicates),
                   sum(physical_lines), sum(header_lines), sum(blank_lines)
            FROM latest_run_inputs GROUP BY source ORDER BY source
            """)
        #expect(counts == [
            // crm: 2 files; 18 + 4 records; 4 broken rows; the test@example.com contact filtered;
            // José Müller's contact (…CeAAJ) is in both exports: the older one is a duplicate.
            ["crm", "22", "16", "4", "1", "1", "30", "2", "1"],
            // legacy_pos: see SampleData/pos/README.md.
            ["legacy_pos", "12", "10", "2", "0", "0", "20", "8", "0"],
            // store_sales: 21 records; line 15 bad qty, line 16 short; lines 18-19 repeat txn 100007.
            ["store_sales", "21", "17", "2", "0", "2", "23", "2", "0"],
            // web: 10 + 7 lines, one blank; 5 broken lines; ev-0006 re-sent on day 2.
            ["web", "17", "11", "5", "0", "1", "18", "0", "1"],
        ])
        #expect(db.rows("SELECT source, line, reason FROM quarantine WHERE source IN ('web', 'store_sales') ORDER BY source, file_id, line") == [
            ["store_sales", "15", "invalid_value"], ["store_sales", "16", "wrong_field_count"],
            ["web", "5", "truncated_json"], ["web", "10", "invalid_json"], ["web", "11", "rule_failed"],
            ["web", "6", "invalid_utf8"], ["web", "7", "invalid_json"],
        ])
        // keep: latest(updated_at) kept the July export of the contact exported twice.
        #expect(db.rows("SELECT _file_id, updated_at FROM src_crm WHERE contact_id = '0035e00000Ab1CeAAJ'")
                == [["2", "2024-07-02T09:30:00.000Z"]])
        // Store S001 is in New York: 06/01/2024 09:12 EDT is 13:12 UTC (README line 2).
        #expect(db.value("SELECT sold_at FROM src_store_sales WHERE _line = 2") == "2024-06-01T13:12:00.000Z")
        // MÜLLER, JOSÉ was ISO-8859-1 and is now UTF-8.
        #expect(db.value("SELECT count(*) FROM src_store_sales WHERE customer_name = 'MÜLLER, JOSÉ'") == "3")
        // Identity: Hannah Schmidt's CRM contact (…CrAAJ) and her web events (userId …CrAAJ, and the
        // anonymous device she identified on) are one profile; her golden record comes from the CRM
        // row (source priority), with lineage to that row.
        let hannah = db.rows("""
            SELECT p.records, p.sources, p.email, p.first_name, p.last_name, p.phone, p.postcode, p.country
            FROM profiles p JOIN profile_records r ON r.profile_id = p.profile_id
            JOIN src_crm c ON r.source = 'crm' AND c._record_id = r.record_id
            WHERE c.contact_id = '0035e00000Ab1CrAAJ'
            """)
        // 1 CRM row + web events ev-0004, ev-0005 (device 0b7e…), ev-0103 (identify), ev-0104.
        #expect(hannah == [["5", "crm,web", "hannah.schmidt@web.de", "Hannah", "Schmidt", "+4930123456", "10117", "DE"]])
        #expect(db.rows("""
            SELECT g.source, c.contact_id FROM golden_values g JOIN src_crm c ON g.source = 'crm' AND c._record_id = g.record_id
            WHERE g.attribute = 'email' AND g.value = 'hannah.schmidt@web.de'
            """) == [["crm", "0035e00000Ab1CrAAJ"]])
        // Merge protection: Ann Lee's two CRM contacts share an e-mail key but stay two profiles.
        #expect(db.value("SELECT count(DISTINCT r.profile_id) FROM src_crm c JOIN profile_records r ON r.source = 'crm' AND r.record_id = c._record_id WHERE c.first_name = 'Ann'") == "2")
        #expect(db.value("SELECT count(*) FROM identity_refusals WHERE type = 'email' AND value = 'annlee@gmail.com' AND reason = 'max_per_profile'") == "1")
        // `pipeline inspect` and `pipeline runs` summarize the same database.
        let inspect = try CLI.run(["inspect", ws.file("retail-sample.sqlite")])
        #expect(inspect.status == 0, "\(inspect)")
        #expect(inspect.stdout.contains("from 54 records"), "\(inspect.stdout)")          // 16 + 11 + 17 + 10 loaded
        #expect(inspect.stdout.contains("reconciliations: 5 of 8 passed"), "\(inspect.stdout)")  // SampleData/pos/README.md
        #expect(inspect.stdout.contains("web truncated_json: 1"), "\(inspect.stdout)")
        // Counts as words, not signed deltas: no "1 profiles", no "-0 exited".
        #expect(inspect.stdout.contains("high_value: 1 profile (1 entered, 0 exited)"), "\(inspect.stdout)")
        let runs = try CLI.run(["runs", ws.file("retail-sample.sqlite")])
        #expect(runs.status == 0 && runs.stdout.contains("succeeded"), "\(runs)")
        // The surrogate-pair escape is decoded to the emoji (SampleData/events/README.md, line 6).
        #expect(db.value("SELECT page_title FROM src_web WHERE message_id = 'ev-0005'") == "Warenkorb — 🛒")
    }
}

@Suite("Run history across versions")
struct RunHistoryTests {
    /// An output written by an older version lacks newer ledger tables and columns: the history
    /// is still carried over (the columns both have).
    @Test func historySurvivesAnOlderOutputSchema() throws {
        let ws = try Workspace()
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/retail-sample.yml").path
        #expect(try CLI.run(["run", pipeline, "--quiet"], environment: ["TRIBUTARY_OUT": ws.path]).status == 0)
        var handle: OpaquePointer?
        #expect(sqlite3_open(ws.file("retail-sample.sqlite"), &handle) == SQLITE_OK)
        #expect(sqlite3_exec(handle, "DROP TABLE run_counters; ALTER TABLE runs DROP COLUMN records_duplicates;", nil, nil, nil) == SQLITE_OK)
        sqlite3_close(handle)
        #expect(try CLI.run(["run", pipeline, "--quiet"], environment: ["TRIBUTARY_OUT": ws.path]).status == 0)
        let db = try Database(ws.file("retail-sample.sqlite"))
        #expect(db.rows("SELECT run_id, records_duplicates IS NULL FROM runs ORDER BY run_id") == [["1", "1"], ["2", "0"]])
        #expect(db.value("SELECT count(DISTINCT run_id) FROM run_inputs") == "2")
    }
}
