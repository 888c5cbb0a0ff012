import Foundation
import Testing
import TributaryTestSupport

// Fixed-width trailers through the `pipeline` binary: a trailer states its block's VALID detail
// records, so a record quarantined by any stage (extractor, field type, rule) is left out of the
// reconciliation, and a duplicate (a valid record dropped by `key:`) stays in it. Every expected
// value is written by hand from the fixture lines next to it.

@Suite("End to end: fixed-width trailers")
struct FixedWidthTrailerTests {
    /// Detail layout: type 1, store_id 2-5, txn_id 6-11, sku 12-23, qty 24-26, amount 27-34 (34 characters).
    static func detail(_ txn: String, _ sku: String, _ amount: String) -> String {
        let padded = sku.padding(toLength: 12, withPad: " ", startingAt: 0)
        return "DS001" + txn + padded + "001" + amount
    }

    @Test func trailersCountValidRecordsOnly() throws {
        let workspace = try Workspace()
        var lines = [
            "H20240615",
            Self.detail("T00001", "COFFEE", "00000100"),                                    // 2 loaded
            Self.detail("T00002", "COFFEE", "00000200"),                                    // 3 loaded
            Self.detail("T00003", "COFFEE", "0000O#00"),                                    // 4 amount not a number
            Self.detail("T00004", "", "00000400"),                                          // 5 no sku: rule
            Self.detail("T00001", "COFFEE", "00000100"),                                    // 6 duplicate of 2
            Self.detail("T00009", "COFFEE", "00000900") + String(repeating: "Z", count: 81_920 - 34),  // 7 long
            String(repeating: "\u{0}", count: 34),                                          // 8 NUL-filled
            "DS001T00010COF",                                                               // 9 short
            "T0000030000000400",                                                            // lines 2, 3, 6
            "H20240616",
            Self.detail("T00005", "TEA", "00000500"),
            "T0000010000000500",
        ]
        lines.append("")
        let data = try workspace.write("in/legacy.dat", lines.joined(separator: "\r\n"))
        let output = workspace.file("out/legacy.sqlite")
        let pipeline = try workspace.write("legacy.yml", """
            version: 1
            name: trailers
            output:
              sqlite: \(output)
            sources:
              legacy:
                format: fixed_width
                path: \(data)
                encoding: iso-8859-1
                layout: { store_id: [2, 4], txn_id: [6, 6], sku: [12, 12], qty: [24, 3], amount: [27, 8] }
                record_types:
                  type_field: [1, 1]
                  header: H
                  detail: D
                  trailer: T
                  trailer_layout: { record_count: [2, 6], amount_total: [8, 10] }
                reconcile: { count: record_count, total: amount_total, sum: amount }
                fields:
                  store_id: store_id
                  txn_id: txn_id
                  sku: sku
                  amount: { field: amount, type: integer }
                rules:
                  - required: [sku]
                key: txn_id

            """)
        let outcome = try CLI.run(["run", pipeline, "--quiet"])
        #expect(outcome.exited && outcome.status == 0, "\(outcome)")
        let db = try Database(output)
        #expect(db.rows("SELECT line, check_name, expected, actual, passed FROM reconciliations ORDER BY line, check_name") == [
            ["10", "trailer amount total", "400", "400", "1"],
            ["10", "trailer record count", "3", "3", "1"],
            ["13", "trailer amount total", "500", "500", "1"],
            ["13", "trailer record count", "1", "1", "1"],
        ])
        #expect(db.rows("SELECT line, reason, detail FROM quarantine ORDER BY line") == [
            ["4", "invalid_value", "field 'amount' is not an integer"],
            ["5", "rule_failed", "rule 'required #1' failed"],
            ["7", "bad_record_length", "expected 34 characters, found 81920"],
            ["8", "unknown_record_type", "the record type code is not declared in record_types"],
            ["9", "bad_record_length", "expected 34 characters, found 14"],
        ])
        #expect(db.rows("SELECT _line FROM src_legacy ORDER BY _line") == [["2"], ["3"], ["12"]])
        #expect(db.rows("SELECT records, loaded, quarantined, duplicates FROM run_inputs") == [["9", "3", "5", "1"]])
    }

    /// The Acme legacy tills (SampleData/acme/pos): 164-character records plus CRLF, whose trailers
    /// state RECORD_COUNT (14, 7) and TOTAL_AMOUNT (21, 12) over the valid D records. The garbage,
    /// found by reading the files: pos_legacy_202405.dat line 95 has the amount `00O0#2400`, and
    /// one short (104 characters) and one NUL-filled line are elsewhere. Every trailer reconciles.
    @Test func acmeLegacyTrailersAllReconcile() throws {
        let workspace = try Workspace()
        let folder = CLI.packageRoot.appendingPathComponent("SampleData/acme/pos").path
        // The vendor's pos_legacy_layout.txt as a layout file.
        let layout = try workspace.write("acme_layout.csv", """
            field,start,length,record
            store_id,2,4,detail
            register,6,2,detail
            txn_no,8,8,detail
            line_no,16,3,detail
            txn_date,19,8,detail
            txn_time,27,4,detail
            loyalty_card,31,12,detail
            sku,128,10,detail
            qty,138,4,detail
            unit_price,142,8,detail
            amount,150,9,detail
            tender,163,2,detail
            store_id,2,4,trailer
            record_count,14,7,trailer
            total_amount,21,12,trailer

            """)
        let output = workspace.file("out/acme.sqlite")
        let pipeline = try workspace.write("acme.yml", """
            version: 1
            name: acme-legacy
            output:
              sqlite: \(output)
            sources:
              legacy:
                format: fixed_width
                path: \(folder)/pos_legacy_*.dat
                encoding: iso-8859-1
                layout_file: \(layout)
                record_length: 164
                record_types: { type_field: [1, 1], header: H, detail: D, trailer: T }
                reconcile: { count: record_count, total: total_amount, sum: amount }
                fields:
                  store_id: store_id
                  txn_no: txn_no
                  line_no: { field: line_no, type: integer }
                  txn_date: { field: txn_date, type: date, formats: [yyyyMMdd] }
                  qty: { field: qty, type: integer }
                  unit_price: { field: unit_price, type: integer }
                  amount: { field: amount, type: integer }
                reconciliation: { on_mismatch: fail }

            """)
        let outcome = try CLI.run(["run", pipeline, "--quiet"])
        #expect(outcome.exited && outcome.status == 0, "\(outcome)")
        let db = try Database(output)
        #expect(db.rows("SELECT count(*), sum(passed) FROM reconciliations") == [["1192", "1192"]])
        #expect(db.rows("SELECT reason, count(*) FROM quarantine GROUP BY reason ORDER BY reason") == [
            ["bad_record_length", "1"], ["invalid_value", "1"], ["unknown_record_type", "1"],
        ])
        #expect(db.value("SELECT detail FROM quarantine WHERE reason = 'bad_record_length'") == "expected 164 characters, found 104")
        #expect(db.rows("SELECT line FROM quarantine WHERE reason = 'invalid_value' AND file LIKE '%pos_legacy_202405.dat'") == [["95"]])
        #expect(db.rows("SELECT sum(records), sum(loaded), sum(quarantined) FROM run_inputs") == [["1487", "1484", "3"]])
    }
}
