import Foundation
import Testing
import TributaryTestSupport

// Typed fields, validity rules, keys and group line numbers, through the `pipeline` binary (see
// `CLI`, `Workspace` and `Database` in TributaryTestSupport). Every expected value is written by hand
// from the fixture text, or follows from how the generator built the fixture.

/// Runs `pipeline run` and requires success.
private func runPipeline(_ pipeline: String, _ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let outcome = try CLI.run(["run", pipeline] + extra, sourceLocation: sourceLocation)
    try #require(outcome.exited && outcome.status == 0, "\(outcome)", sourceLocation: sourceLocation)
}

/// Expects two row lists to be equal; on failure reports the counts and the first difference only.
private func expectSameRows(_ actual: [[String?]], _ expected: [[String?]], _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual != expected else { return }
    var i = 0
    while i < actual.count, i < expected.count, actual[i] == expected[i] { i += 1 }
    let got = i < actual.count ? "\(actual[i])" : "(end)"
    let want = i < expected.count ? "\(expected[i])" : "(end)"
    Issue.record("\(what): \(actual.count) rows, expected \(expected.count); first difference at row \(i): \(got), expected \(want)",
                 sourceLocation: sourceLocation)
}

/// The accounting identity, checked on every file of the latest run.
private func expectCountsReconcile(_ db: Database, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(db.value("SELECT count(*) FROM run_inputs WHERE records != loaded + quarantined + filtered + duplicates",
                     sourceLocation: sourceLocation) == "0", sourceLocation: sourceLocation)
}

@Suite("End to end: typed fields, rules, keys, group lines")
struct ShapingEndToEndTests {

    // MARK: - Typed columns

    static let ordersCSV = """
        order_id,qty,price,amount,paid,day,ts,note
        1,"1,234",12.50,12.5,yes,03/07/2024,2024-03-10T09:30:00+02:00,first
        2,-3,-0.5,0.07,N,3/8/2024,2024-03-10T07:30:00.123456Z,second
        3,12a,1.00,1.00,true,03/09/2024,2024-03-10T07:30:00Z,bad qty
        4,4,abc,1.00,true,03/09/2024,2024-03-10T07:30:00Z,bad price
        5,5,1.00,0.015,true,03/09/2024,2024-03-10T07:30:00Z,bad amount
        6,6,1.00,1.00,maybe,03/09/2024,2024-03-10T07:30:00Z,bad paid
        7,7,1.00,1.00,true,02/30/2024,2024-03-10T07:30:00Z,bad day
        8,8,1.00,1.00,true,03/09/2024,yesterday,bad ts
        9,,,,,,,empty
        10,+7,1,"1,000.10",OFF,12/31/1999,2024-03-10 07:30:00-05,last

        """

    @Test func typedColumnsAndInvalidValues() throws {
        let workspace = try Workspace()
        let csv = try workspace.write("in/orders.csv", Self.ordersCSV)
        let output = workspace.file("out/orders.sqlite")
        let pipeline = try workspace.write("orders.yml", """
            version: 1
            name: typed
            output:
              sqlite: \(output)
            sources:
              orders:
                format: csv
                path: \(csv)
                fields:
                  order_id: { column: order_id, type: integer }
                  qty: { column: qty, type: integer }
                  price: { column: price, type: decimal }
                  amount: { column: amount, type: cents }
                  paid: { column: paid, type: boolean }
                  day: { column: day, type: date, formats: ["MM/dd/yyyy"] }
                  ts: { column: ts, type: timestamp }
                  note: note

            """)
        let validate = try CLI.run(["validate", pipeline])
        #expect(validate.exited && validate.status == 0, "\(validate)")
        try runPipeline(pipeline, ["--jobs", "2"])

        let db = try Database(output)
        #expect(db.rows("SELECT name, type FROM pragma_table_info('src_orders') WHERE cid >= 4 ORDER BY cid") == [
            ["order_id", "INTEGER"], ["qty", "INTEGER"], ["price", "TEXT"], ["amount", "INTEGER"], ["paid", "INTEGER"],
            ["day", "TEXT"], ["ts", "TEXT"], ["note", "TEXT"],
        ])
        #expect(db.rows("SELECT _line, order_id, qty, price, amount, paid, day, ts, note FROM src_orders ORDER BY _record_id") == [
            ["2", "1", "1234", "12.5", "1250", "1", "2024-03-07", "2024-03-10T07:30:00.000Z", "first"],
            ["3", "2", "-3", "-0.5", "7", "0", "2024-03-08", "2024-03-10T07:30:00.123Z", "second"],
            ["10", "9", nil, nil, nil, nil, nil, nil, "empty"],
            ["11", "10", "7", "1", "100010", "0", "1999-12-31", "2024-03-10T12:30:00.000Z", "last"],
        ])
        #expect(db.rows("""
            SELECT typeof(order_id), typeof(qty), typeof(price), typeof(amount), typeof(paid), typeof(day), typeof(ts), typeof(note)
            FROM src_orders ORDER BY _record_id
            """) == [
            ["integer", "integer", "text", "integer", "integer", "text", "text", "text"],
            ["integer", "integer", "text", "integer", "integer", "text", "text", "text"],
            ["integer", "null", "null", "null", "null", "null", "null", "text"],
            ["integer", "integer", "text", "integer", "integer", "text", "text", "text"],
        ])
        // Integer columns compare as numbers.
        #expect(db.value("SELECT sum(qty) FROM src_orders") == "1238")
        #expect(db.value("SELECT sum(amount) FROM src_orders") == "101267")

        #expect(db.rows("SELECT source, file_id, file, line, reason, detail, raw FROM quarantine ORDER BY line") == [
            ["orders", "1", csv, "4", "invalid_value", "field 'qty' is not an integer",
             "3,12a,1.00,1.00,true,03/09/2024,2024-03-10T07:30:00Z,bad qty"],
            ["orders", "1", csv, "5", "invalid_value", "field 'price' is not a decimal number",
             "4,4,abc,1.00,true,03/09/2024,2024-03-10T07:30:00Z,bad price"],
            ["orders", "1", csv, "6", "invalid_value", "field 'amount' is not an amount with at most 2 decimal places",
             "5,5,1.00,0.015,true,03/09/2024,2024-03-10T07:30:00Z,bad amount"],
            ["orders", "1", csv, "7", "invalid_value", "field 'paid' is not a boolean (true/false, yes/no, y/n, 1/0)",
             "6,6,1.00,1.00,maybe,03/09/2024,2024-03-10T07:30:00Z,bad paid"],
            ["orders", "1", csv, "8", "invalid_value", "field 'day' is not a date in MM/dd/yyyy",
             "7,7,1.00,1.00,true,02/30/2024,2024-03-10T07:30:00Z,bad day"],
            ["orders", "1", csv, "9", "invalid_value", "field 'ts' is not a timestamp in iso8601",
             "8,8,1.00,1.00,true,03/09/2024,yesterday,bad ts"],
        ])
        // The detail never repeats the value.
        for bad in ["12a", "abc", "0.015", "maybe", "02/30", "yesterday"] {
            #expect(db.value("SELECT count(*) FROM quarantine WHERE instr(detail, '\(bad)') > 0") == "0", "\(bad)")
        }
        #expect(db.rows("SELECT physical_lines, header_lines, records, loaded, quarantined, filtered, duplicates FROM run_inputs")
                == [["11", "1", "10", "4", "6", "0", "0"]])
        #expect(db.rows("SELECT records_read, records_loaded, records_quarantined, records_duplicates FROM runs")
                == [["10", "4", "6", "0"]])
        expectCountsReconcile(db)
    }

    // MARK: - Rules

    @Test func rulesQuarantineWithTheRuleName() throws {
        let workspace = try Workspace()
        let csv = try workspace.write("in/lines.csv", """
            txn_id,kind,qty,unit_price,amount_cents,email,phone
            T1,sale,3,19.99,5997,a@x.com,
            T2,sale,3,19.99,5996,b@x.com,
            ,sale,1,1.00,100,c@x.com,
            T4,refund,1,1.00,100,d@x.com,
            T5,return,1,1.00,100,,
            T6,return,2,0.10,20,,555
            T7,sale,,1.00,100,e@x.com,
            T8,sale,x,1.00,100,f@x.com,

            """)
        let output = workspace.file("out/rules.sqlite")
        let pipeline = try workspace.write("rules.yml", """
            version: 1
            name: rules
            output:
              sqlite: \(output)
            sources:
              lines:
                format: csv
                path: \(csv)
                fields:
                  txn_id: txn_id
                  kind: kind
                  qty: { column: qty, type: integer }
                  unit_price: { column: unit_price, type: decimal }
                  amount_cents: { column: amount_cents, type: cents, formats: [cents] }
                  email: email
                  phone: phone
                rules:
                  - required: [txn_id]
                  - allowed: { field: kind, values: [sale, return] }
                  - at_least_one_of: [email, phone]
                  - check: amount_cents == qty * unit_price * 100
                    name: amount_matches
                transforms:
                  - rename: { kind: txn_kind }
                  - filter: { field: txn_id, not_equals: T7 }

            """)
        let validate = try CLI.run(["validate", pipeline])
        #expect(validate.exited && validate.status == 0, "\(validate)")
        try runPipeline(pipeline)

        let db = try Database(output)
        // T7 passes its check (qty is empty) and is then filtered out.
        #expect(db.rows("SELECT _line, txn_id, txn_kind, qty, unit_price, amount_cents, email, phone FROM src_lines ORDER BY _record_id") == [
            ["2", "T1", "sale", "3", "19.99", "5997", "a@x.com", nil],
            ["7", "T6", "return", "2", "0.1", "20", nil, "555"],
        ])
        #expect(db.rows("SELECT line, reason, detail, raw FROM quarantine ORDER BY line") == [
            ["3", "rule_failed", "rule 'amount_matches' failed", "T2,sale,3,19.99,5996,b@x.com,"],
            ["4", "rule_failed", "rule 'required #1' failed", ",sale,1,1.00,100,c@x.com,"],
            ["5", "rule_failed", "rule 'allowed #2' failed", "T4,refund,1,1.00,100,d@x.com,"],
            ["6", "rule_failed", "rule 'at_least_one_of #3' failed", "T5,return,1,1.00,100,,"],
            ["9", "invalid_value", "field 'qty' is not an integer", "T8,sale,x,1.00,100,f@x.com,"],
        ])
        #expect(db.rows("SELECT records, loaded, quarantined, filtered, duplicates FROM run_inputs") == [["8", "2", "5", "1", "0"]])
        #expect(db.rows("SELECT source, reason, records FROM quarantine_summary ORDER BY reason") == [["lines", "invalid_value", "1"], ["lines", "rule_failed", "4"]])
        expectCountsReconcile(db)
    }

    /// `line_no` is a field the rules can use, and the numbering continues across pieces: a rule
    /// on it must see the continued number, whatever the piece size.
    /// The group line is numbered as pieces are loaded, after rules and transforms ran on each
    /// piece, so they cannot see it: referring to it is a validation error, never a result that
    /// depends on where pieces were cut.
    @Test func rulesAndTransformsCannotUseTheGroupLine() throws {
        let workspace = try Workspace()
        let csv = try workspace.write("in/one.csv", "txn_id,sku\nONE,a\n")
        let pipeline = try workspace.write("p.yml", """
            version: 1
            name: p
            output:
              sqlite: \(workspace.file("out/p.sqlite"))
            sources:
              pos:
                format: csv
                path: \(csv)
                fields:
                  txn_id: txn_id
                  sku: sku
                group_line: { into: line_no, group_by: txn_id }
                key: [txn_id, line_no]
                rules:
                  - check: line_no <= 30000
                transforms:
                  - upper: [line_no]

            """)
        let outcome = try CLI.run(["validate", pipeline])
        #expect(outcome.status == 78, "\(outcome)")
        // The check expression (line 15, column 16 where `line_no` starts) and the transform.
        #expect(outcome.stdout.contains("p.yml:15:16: error[TR201]: unknown field 'line_no' in check expression"), "\(outcome)")
        #expect(outcome.stdout.contains("p.yml:17:17: error[TR201]: unknown field 'line_no'"), "\(outcome)")
        #expect(outcome.stdout.contains("is numbered after rules and transforms run"), "\(outcome)")
    }

    // MARK: - Keys

    @Test func keyDropsLaterDuplicatesAcrossFiles() throws {
        let workspace = try Workspace()
        let first = try workspace.write("in/customers_1.csv", """
            id,region,name
            1,EU,Ann
            2,EU,Bob
            1,EU,Ann again
            1,US,Ann US
            ,EU,No id 1
            ,EU,No id 2

            """)
        let second = try workspace.write("in/customers_2.csv", """
            id,region,name
            002,EU,Bob again
            3,EU,Cy
            3,eu,Cy lower case
            ,EU,No id 3
            1,US,Ann US again
            4,,No region 1
            4,,No region 2

            """)
        let output = workspace.file("out/customers.sqlite")
        let pipeline = try workspace.write("customers.yml", """
            version: 1
            name: customers
            output:
              sqlite: \(output)
            sources:
              customers:
                format: csv
                path: \(workspace.file("in/customers_*.csv"))
                fields:
                  id: { column: id, type: integer }
                  region: region
                  name: name
                key: [id, region]
                transforms:
                  - upper: [region]

            """)
        try runPipeline(pipeline, ["--jobs", "2"])
        let db = try Database(output)
        // 002 is the integer 2 (keys compare typed values); 'eu' is upper-cased before the key is compared;
        // a record with an empty key part is never a duplicate.
        #expect(db.rows("SELECT _file_id, _line, id, region, name FROM src_customers ORDER BY _record_id") == [
            ["1", "2", "1", "EU", "Ann"],
            ["1", "3", "2", "EU", "Bob"],
            ["1", "5", "1", "US", "Ann US"],
            ["1", "6", nil, "EU", "No id 1"],
            ["1", "7", nil, "EU", "No id 2"],
            ["2", "3", "3", "EU", "Cy"],
            ["2", "5", nil, "EU", "No id 3"],
            ["2", "7", "4", nil, "No region 1"],
            ["2", "8", "4", nil, "No region 2"],
        ])
        #expect(db.rows("SELECT file_id, path, records, loaded, quarantined, filtered, duplicates FROM run_inputs ORDER BY file_id") == [
            ["1", first, "6", "5", "0", "0", "1"],
            ["2", second, "7", "4", "0", "0", "3"],
        ])
        #expect(db.rows("SELECT records_read, records_loaded, records_duplicates FROM runs") == [["13", "9", "4"]])
        #expect(db.value("SELECT count(*) FROM quarantine") == "0", "duplicates are counted, not quarantined")
        expectCountsReconcile(db)
    }

    // MARK: - group_line

    @Test func groupLineTellsRescansFromRepeatedTransactions() throws {
        let workspace = try Workspace()
        try workspace.write("in/pos_1.csv", """
            txn_id,sku,qty
            A,apple,1
            A,apple,1
            A,pear,2
            B,milk,1
            D,x1,1
            D,x2,bad
            D,x3,1
            A,apple,1
            A,apple,1
            A,pear,2
            C,egg,1

            """)
        try workspace.write("in/pos_2.csv", """
            txn_id,sku,qty
            C,egg,1
            B,milk,1
            B,bread,1
            ,loose,1
            E,tea,1

            """)
        let output = workspace.file("out/pos.sqlite")
        let pipeline = try workspace.write("pos.yml", """
            version: 1
            name: pos
            output:
              sqlite: \(output)
            sources:
              pos:
                format: csv
                path: \(workspace.file("in/pos_*.csv"))
                fields:
                  txn_id: txn_id
                  sku: sku
                  qty: { column: qty, type: integer }
                group_line: { into: line_no, group_by: txn_id }
                key: [txn_id, line_no]

            """)
        let validate = try CLI.run(["validate", pipeline])
        #expect(validate.exited && validate.status == 0, "\(validate)")
        try runPipeline(pipeline)
        let db = try Database(output)
        #expect(db.rows("SELECT _file_id, _line, txn_id, sku, qty, line_no FROM src_pos ORDER BY _record_id") == [
            ["1", "2", "A", "apple", "1", "1"],
            ["1", "3", "A", "apple", "1", "2"],      // the same item scanned twice: kept
            ["1", "4", "A", "pear", "2", "3"],
            ["1", "5", "B", "milk", "1", "1"],
            ["1", "6", "D", "x1", "1", "1"],
            ["1", "8", "D", "x3", "1", "3"],         // line 2 of D was quarantined but counted
            // lines 9-11: transaction A again (lines 1-3): dropped
            ["1", "12", "C", "egg", "1", "1"],
            // file 2: numbering starts again; C/1 and B/1 were seen
            ["2", "4", "B", "bread", "1", "2"],
            ["2", "5", nil, "loose", "1", "1"],
            ["2", "6", "E", "tea", "1", "1"],
        ])
        #expect(db.rows("SELECT typeof(line_no), count(*) FROM src_pos GROUP BY 1") == [["integer", "10"]])
        #expect(db.rows("SELECT name, type FROM pragma_table_info('src_pos') WHERE name = 'line_no'") == [["line_no", "INTEGER"]])
        #expect(db.rows("SELECT file_id, records, loaded, quarantined, filtered, duplicates FROM run_inputs ORDER BY file_id") == [
            ["1", "11", "7", "1", "0", "3"],
            ["2", "5", "3", "0", "0", "2"],
        ])
        #expect(db.rows("SELECT line, reason, detail FROM quarantine") == [["7", "invalid_value", "field 'qty' is not an integer"]])
        expectCountsReconcile(db)
    }

    /// About 4.3 MB of point-of-sale lines, cut into 1 MiB pieces. Two long transactions lie across
    /// cut points: BIG (50,000 lines of 45 bytes from about 0.6 MB to 2.85 MB, across the 1 MiB and
    /// 2 MiB cuts) and LONG (20,000 lines of 47 bytes from about 3.0 MB to 3.94 MB, across the 3 MiB cut). Small transactions
    /// fill the rest; every tenth has its last item scanned twice (kept, numbered on), and every
    /// 50th small transaction is followed, 25 transactions later, by an exact replay (dropped).
    /// At the end, the first 10 lines of BIG come again as a new run of BIG (dropped).
    struct POSInput {
        var bytes: [UInt8] = []
        /// Each loaded row: _line, txn_id, sku, line_no.
        var expected: [[String?]] = []
        var records = 0
        var duplicates = 0
        var bigFirstLine = 0
        var bigStart = 0, bigEnd = 0
        var longStart = 0, longEnd = 0

        private var line = 2
        private var smallCount = 0
        /// The rows of each small transaction, to replay later.
        private var small: [[String]] = []

        init() {
            bytes = Array("txn_id,sku,qty,note\n".utf8)
            fillSmall(until: 600_000)
            bigStart = bytes.count
            bigFirstLine = line
            long("BIG", count: 50_000)
            bigEnd = bytes.count
            fillSmall(until: 3_000_000)
            longStart = bytes.count
            long("LONG", count: 20_000)
            longEnd = bytes.count
            fillSmall(until: 4_300_000)
            // A new run of BIG: its lines 1-10 were seen.
            for j in 1...10 { emit("BIG", "big-\(String(format: "%05d", j))", lineNo: j, kept: false) }
        }

        private mutating func emit(_ txn: String, _ sku: String, lineNo: Int, kept: Bool, note: String = "n") {
            bytes += Array("\(txn),\(sku),1,\(note)\n".utf8)
            records += 1
            if kept { expected.append(["\(line)", txn, sku, "\(lineNo)"]) } else { duplicates += 1 }
            line += 1
        }

        private mutating func long(_ txn: String, count: Int) {
            let pad = String(repeating: "x", count: 28)
            for j in 1...count { emit(txn, "\(txn.lowercased())-\(String(format: "%05d", j))", lineNo: j, kept: true, note: pad) }
        }

        private mutating func fillSmall(until size: Int) {
            while bytes.count < size {
                let i = smallCount
                smallCount += 1
                let txn = "S\(String(format: "%06d", i))"
                var rows: [String] = (0...(i % 4)).map { "sku-\(i)-\($0)" }
                if i % 10 == 3 { rows.append(rows.last!) }      // the last item scanned twice
                for (j, sku) in rows.enumerated() { emit(txn, sku, lineNo: j + 1, kept: true) }
                small.append(rows)
                if i >= 25, (i - 25) % 50 == 0 {
                    // Replay of the transaction 25 before this one: every line was seen.
                    let old = i - 25
                    for (j, sku) in small[old].enumerated() {
                        emit("S\(String(format: "%06d", old))", sku, lineNo: j + 1, kept: false)
                    }
                }
            }
        }
    }

    @Test func groupLineAndKeyAcrossPieces() throws {
        let input = POSInput()
        // The fixture is laid out as described: the long transactions cross the cut points.
        #expect(input.bytes.count > 4 << 20)
        #expect(input.bigStart < 1 << 20 && input.bigEnd > 2 << 20)
        #expect(input.longStart < 3 << 20 && input.longEnd > 3 << 20)
        #expect(input.duplicates > 100)

        let workspace = try Workspace()
        let csv = try workspace.write("in/pos.csv", input.bytes)
        func pipeline(_ name: String) throws -> String {
            try workspace.write("\(name).yml", """
                version: 1
                name: \(name)
                output:
                  sqlite: \(workspace.file("out/\(name).sqlite"))
                sources:
                  pos:
                    format: csv
                    path: \(csv)
                    fields:
                      txn_id: txn_id
                      sku: sku
                      qty: { column: qty, type: integer }
                    group_line: { into: line_no, group_by: txn_id }
                    key: [txn_id, line_no]

                """)
        }
        try runPipeline(try pipeline("two"), ["--jobs", "2", "--piece-mib", "1"])
        try runPipeline(try pipeline("one"), ["--jobs", "1", "--piece-mib", "1"])
        let two = try Database(workspace.file("out/two.sqlite"))
        let one = try Database(workspace.file("out/one.sqlite"))

        let pieces = Int(two.value("SELECT records_out FROM run_stages WHERE stage = 'plan'") ?? "") ?? 0
        #expect(pieces >= 4, "pieces: \(pieces)")

        let rows = two.rows("SELECT _line, txn_id, sku, line_no FROM src_pos ORDER BY _record_id")
        expectSameRows(rows, input.expected, "src_pos with --jobs 2")
        // BIG is numbered 1...50,000 in file order, through both cuts.
        #expect(two.rows("SELECT count(*), min(line_no), max(line_no) FROM src_pos WHERE txn_id = 'BIG'") == [["50000", "1", "50000"]])
        #expect(two.value("SELECT count(*) FROM src_pos WHERE txn_id = 'BIG' AND line_no != _line - \(input.bigFirstLine - 1)") == "0")
        #expect(two.rows("SELECT count(*), min(line_no), max(line_no) FROM src_pos WHERE txn_id = 'LONG'") == [["20000", "1", "20000"]])

        #expect(two.rows("SELECT records, loaded, quarantined, filtered, duplicates FROM run_inputs")
                == [["\(input.records)", "\(input.expected.count)", "0", "0", "\(input.duplicates)"]])
        expectCountsReconcile(two)

        // One job and two jobs give the same tables.
        let table = "SELECT _record_id, _file_id, _line, txn_id, sku, qty, line_no FROM src_pos ORDER BY _record_id"
        let tableTwo = two.rows(table)
        expectSameRows(one.rows(table), tableTwo, "src_pos: --jobs 1 against --jobs 2")
        #expect(tableTwo.count == input.expected.count)
        let counts = "SELECT records, loaded, quarantined, filtered, duplicates FROM run_inputs"
        #expect(one.rows(counts) == two.rows(counts))
    }

    // MARK: - Time zones looked up per record

    @Test func perRecordTimeZoneFromALookupTable() throws {
        let workspace = try Workspace()
        try workspace.write("ref/stores.csv", """
            store_id,timezone,name
            S1,America/New_York,Manhattan
            S2,Europe/Berlin,Mitte
            S3, UTC ,Spaces around the zone

            """)
        let csv = try workspace.write("in/sales.csv", """
            store_id,txn_ts,amount
            S1,03/10/2024 01:30,1.00
            S1,03/10/2024 02:30,2.00
            S1,03/10/2024 03:30,3.00
            S1,11/03/2024 01:30,4.00
            S2,03/31/2024 02:30,5.00
            S2,10/27/2024 02:30,6.00
            S3,03/10/2024 02:30,7.00
            S9,03/10/2024 02:30,8.00
            S1,2024-03-10 02:30,9.00

            """)
        let output = workspace.file("out/sales.sqlite")
        let pipeline = try workspace.write("sales.yml", """
            version: 1
            name: sales
            output:
              sqlite: \(output)
            sources:
              sales:
                format: csv
                path: \(csv)
                fields:
                  store_id: store_id
                  ts:
                    column: txn_ts
                    type: timestamp
                    formats: ["MM/dd/yyyy HH:mm"]
                    timezone: { lookup: ref/stores.csv, key: store_id, key_column: store_id, zone_column: timezone }
                  amount: { column: amount, type: cents }

            """)
        let validate = try CLI.run(["validate", pipeline])
        #expect(validate.exited && validate.status == 0, "\(validate)")
        try runPipeline(pipeline)
        let db = try Database(output)
        #expect(db.rows("SELECT _line, store_id, ts, amount FROM src_sales ORDER BY _record_id") == [
            ["2", "S1", "2024-03-10T06:30:00.000Z", "100"],   // EST
            ["3", "S1", "2024-03-10T07:30:00.000Z", "200"],   // does not exist: read as EST
            ["4", "S1", "2024-03-10T07:30:00.000Z", "300"],   // EDT
            ["5", "S1", "2024-11-03T05:30:00.000Z", "400"],   // occurs twice: the first (EDT)
            ["6", "S2", "2024-03-31T01:30:00.000Z", "500"],   // does not exist: read as CET
            ["7", "S2", "2024-10-27T00:30:00.000Z", "600"],   // occurs twice: the first (CEST)
            ["8", "S3", "2024-03-10T02:30:00.000Z", "700"],   // UTC
        ])
        #expect(db.rows("SELECT line, reason, detail, raw FROM quarantine ORDER BY line") == [
            ["9", "invalid_value", "field 'ts': no time zone for this record's key in ref/stores.csv", "S9,03/10/2024 02:30,8.00"],
            ["10", "invalid_value", "field 'ts' is not a timestamp in MM/dd/yyyy HH:mm", "S1,2024-03-10 02:30,9.00"],
        ])
        #expect(db.value("SELECT count(*) FROM quarantine WHERE instr(detail, 'S9') > 0") == "0")
        expectCountsReconcile(db)
    }

    @Test func unknownZoneInTheLookupTableStopsTheRun() throws {
        let workspace = try Workspace()
        try workspace.write("stores.csv", "store_id,timezone\nS1,America/New_York\nS2,Mars/Olympus_Mons\n")
        let csv = try workspace.write("in/sales.csv", "store_id,txn_ts\nS1,03/10/2024 01:30\n")
        let output = workspace.file("out/sales.sqlite")
        let pipeline = try workspace.write("sales.yml", """
            version: 1
            name: sales
            output:
              sqlite: \(output)
            sources:
              sales:
                format: csv
                path: \(csv)
                fields:
                  store_id: store_id
                  ts:
                    column: txn_ts
                    type: timestamp
                    formats: ["MM/dd/yyyy HH:mm"]
                    timezone: { lookup: stores.csv, key: store_id, key_column: store_id, zone_column: timezone }

            """)
        let outcome = try CLI.run(["run", pipeline])
        #expect(outcome.exited && outcome.status == 1, "\(outcome)")
        #expect(outcome.stderr.contains("unknown time zone 'Mars/Olympus_Mons'"), "\(outcome)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    // MARK: - validate

    @Test func validateReportsKeyGroupLineAndZoneProblems() throws {
        let workspace = try Workspace()
        try workspace.write("pos.csv", "txn_id,sku,ts,store_id\n")
        try workspace.write("stores.csv", "store_id,timezone\n")
        // Line and column of each problem, counted by hand (the text starts at line 1, column 1):
        //   line 12 col 7   `ts:`, whose time zone key `store` is not a field          TR201
        //   line 16 col 25  `sku` in group_line.into, an existing field                 TR202
        //   line 17 col 19  `nope` in key                                               TR201
        //   line 22 col 52  `America/New_Yrok`                                          TR106
        let pipeline = try workspace.write("bad.yml", """
            version: 1
            name: bad
            output:
              sqlite: out/bad.sqlite
            sources:
              pos:
                format: csv
                path: pos.csv
                fields:
                  txn_id: txn_id
                  sku: sku
                  ts:
                    column: ts
                    type: timestamp
                    timezone: { lookup: stores.csv, key: store, key_column: store_id, zone_column: timezone }
                group_line: { into: sku, group_by: txn_id }
                key: [txn_id, nope]
              sales:
                format: csv
                path: pos.csv
                fields:
                  ts: { column: ts, type: timestamp, timezone: America/New_Yrok }

            """)
        let outcome = try CLI.run(["validate", "--format", "json", pipeline])
        #expect(outcome.exited && outcome.status == 78, "\(outcome)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any], "\(outcome)")
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        let errors = diagnostics.filter { $0["severity"] as? String == "error" }
        let found = Set(errors.map { "\($0["line"] ?? "?"):\($0["column"] ?? "?") \($0["code"] ?? "?")" })
        #expect(found == ["12:7 TR201", "16:25 TR202", "17:19 TR201", "22:52 TR106"], "\(outcome.stdout)")
        #expect(object["errors"] as? Int == 4)

        func diagnostic(_ code: String, line: Int) -> [String: Any]? {
            errors.first { $0["code"] as? String == code && $0["line"] as? Int == line }
        }
        #expect(diagnostic("TR201", line: 12)?["message"] as? String
                == "field 'ts' looks up its time zone by 'store', which is not a field of the source")
        #expect(diagnostic("TR202", line: 16)?["message"] as? String == "a field named 'sku' already exists")
        #expect(diagnostic("TR201", line: 17)?["message"] as? String == "unknown field 'nope'")
        #expect(diagnostic("TR106", line: 22)?["message"] as? String == "unknown time zone 'America/New_Yrok'")
        #expect(diagnostic("TR106", line: 22)?["hint"] as? String == "did you mean 'America/New_York'?")

        // The text format shows the same codes at the same positions.
        let text = try CLI.run(["validate", pipeline])
        #expect(text.exited && text.status == 78)
        for position in ["12:7: error[TR201]", "16:25: error[TR202]", "17:19: error[TR201]", "22:52: error[TR106]"] {
            #expect(text.stdout.contains("\(pipeline):\(position)"), "\(position)\n\(text.stdout)")
        }
        #expect(text.stdout.contains("1 file checked: 4 errors, 0 warnings"), "\(text.stdout)")
    }

    @Test func validateReportsBadFormatsAndRuleExpressions() throws {
        let workspace = try Workspace()
        try workspace.write("lines.csv", "txn_id,qty,unit_price,amount,day\n")
        //   line 11 col 49  `MM/yyyy` (no day)                                   TR106
        //   line 15 col 32  `unit_prise`                                         TR201
        let pipeline = try workspace.write("bad.yml", """
            version: 1
            name: bad
            output:
              sqlite: out/bad.sqlite
            sources:
              lines:
                format: csv
                path: lines.csv
                fields:
                  qty: { column: qty, type: integer }
                  day: { column: day, type: date, formats: [MM/yyyy] }
                  unit_price: { column: unit_price, type: decimal }
                  amount: { column: amount, type: cents }
                rules:
                  - check: amount == qty * unit_prise * 100

            """)
        let outcome = try CLI.run(["validate", "--format", "json", pipeline])
        #expect(outcome.exited && outcome.status == 78, "\(outcome)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any], "\(outcome)")
        let errors = (object["diagnostics"] as? [[String: Any]] ?? []).filter { $0["severity"] as? String == "error" }
        let found = Set(errors.map { "\($0["line"] ?? "?"):\($0["column"] ?? "?") \($0["code"] ?? "?")" })
        // `- check: ` puts the expression at column 16; "amount == qty * " is 16 characters.
        #expect(found == ["11:49 TR106", "15:32 TR201"], "\(outcome.stdout)")
        let unknown = errors.first { $0["code"] as? String == "TR201" }
        #expect(unknown?["message"] as? String == "unknown field 'unit_prise' in check expression")
        #expect(unknown?["hint"] as? String == "did you mean 'unit_price'?")
        let format = errors.first { $0["code"] as? String == "TR106" }
        #expect(format?["message"] as? String == "date format 'MM/yyyy' needs a year (yyyy), a month (MM) and a day (dd)")
    }
}
