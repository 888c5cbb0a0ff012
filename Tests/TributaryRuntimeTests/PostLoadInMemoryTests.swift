import Foundation
import Logging
import Testing
import TributaryComponents
import TributaryConfig
import TributaryCore
import TributaryMatching
@testable import TributaryRuntime
import TributaryTestSupport

/// The work the stages after the load do in memory instead of in SQL, each checked against what
/// SQLite gives for the same input: the RFM ranking against `rank() OVER`, values read and
/// written back by the trait stage against their storage classes, the load's deduplication set
/// against a `Set`, and a whole Acme run with identity reading the load's columns against the
/// same run reading every table back out of SQLite.
@Suite("Post-load stages in memory")
struct PostLoadInMemoryTests {
    // MARK: RFM

    @Test(arguments: 0..<8)
    func rfmScoresAreSQLiteWindowRanks(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 101)
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, last_purchase_at, orders, lifetime_spend_cents)")
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?, ?)")
        let days = ["2024-01-01T00:00:00.000Z", "2024-03-05T10:00:00.000Z", "2024-03-05T10:00:00.001Z", "2023-12-31T23:59:59.999Z"]
        let rows = 1 + rng.below(300)
        for id in 1...rows {
            insert.bind(1, id)
            if rng.below(5) == 0 { insert.bindNull(2) } else { insert.bind(2, days[rng.below(days.count)]) }
            insert.bind(3, rng.below(6))
            // Spend: integers with ties, now and then a real (a user's amount expression).
            if rng.below(7) == 0 { insert.bind(4, Double(rng.below(40)) + 0.5) } else { insert.bind(4, rng.below(40) * 100 - 500) }
            try insert.run()
        }
        var values = StoredColumns(columns: 3)
        let scan = try db.prepare("SELECT last_purchase_at, orders, lifetime_spend_cents FROM t ORDER BY id")
        while try scan.next() { values.append(scan, first: 0) }
        let swift = AudienceStage.rfmScores(values: values, valueRow: Array(0..<rows),
                                            traits: ["last_purchase_at", "orders", "lifetime_spend_cents"])
        var sql = [(r: Int, f: Int, m: Int)?](repeating: nil, count: rows)
        let ranked = try db.prepare("""
            SELECT id, 1 + 5 * (rank() OVER (ORDER BY last_purchase_at) - 1) / count(*) OVER (),
                       1 + 5 * (rank() OVER (ORDER BY orders) - 1) / count(*) OVER (),
                       1 + 5 * (rank() OVER (ORDER BY lifetime_spend_cents) - 1) / count(*) OVER ()
            FROM t WHERE last_purchase_at IS NOT NULL
            """)
        while try ranked.next() { sql[ranked.int(0) - 1] = (ranked.int(1), ranked.int(2), ranked.int(3)) }
        for i in 0..<rows {
            #expect(swift[i].map { [$0.r, $0.f, $0.m] } == sql[i].map { [$0.r, $0.f, $0.m] }, "row \(i + 1)")
        }
    }

    // MARK: Stored values

    @Test func storedValuesMakeTheRoundTripWithTheirStorageClasses() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("""
            CREATE TABLE a (x);
            INSERT INTO a VALUES (NULL), (0), (-7), (9007199254740993), (2.5), (-0.0), (1e300), (''), ('Zoë'),
                                 ('2024-01-01T00:00:00.000Z'), (x''), (x'00ff10'), ('12');
            CREATE TABLE b (x);
            """)
        var values = StoredColumns(columns: 1)
        let scan = try db.prepare("SELECT x FROM a ORDER BY rowid")
        while try scan.next() { values.append(scan, first: 0) }
        #expect(values.count == 13)
        let insert = try db.prepare("INSERT INTO b VALUES (?)")
        for row in 0..<values.count {
            values.bind(insert, 1, column: 0, row: row)
            try insert.run()
        }
        func dump(_ table: String) throws -> [String] {
            var out: [String] = []
            let rows = try db.prepare("SELECT typeof(x) || ' ' || quote(x) FROM \(table) ORDER BY rowid")
            while try rows.next() { out.append(rows.text(0) ?? "?") }
            return out
        }
        #expect(try dump("b") == dump("a"))
        // SQL's order: NULL, numbers by value, text, blobs.
        #expect(values.compare(0, 0, 1) < 0)
        #expect(values.compare(0, 2, 1) < 0)
        #expect(values.compare(0, 4, 12) < 0)  // 2.5 before the text '12'
        #expect(values.compare(0, 1, 5) == 0)  // 0 and -0.0
        #expect(values.compare(0, 8, 10) < 0)  // text before a blob
    }

    // MARK: Deduplication

    @Test(arguments: 0..<4)
    func keyHashSetAgreesWithASet(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) &+ 7)
        var set = KeyHashSet()
        var oracle = Set<[UInt64]>()
        // A small pool, so keys repeat; (0, 0) is kept as (0, 1), one key.
        let pool = (0..<5_000).map { i -> [UInt64] in i == 0 ? [0, 1] : [rng.next(), rng.below(3) == 0 ? 0 : rng.next()] }
        for _ in 0..<40_000 {
            let key = pool[rng.below(pool.count)]
            #expect(set.insert(key[0], key[1]) == oracle.insert(key).inserted)
        }
        #expect(set.insert(0, 0) == false)
        #expect(set.count == oracle.count)
    }

    // MARK: The load's columns

    @Test func canonicalIntegersAreTheOnlyIntegerTextTakenAsStored() {
        for (text, canonical) in [("0", true), ("7", true), ("-7", true), ("123456789012345678", true), ("007", false),
                                  ("-0", false), ("+7", false), ("", false), ("-", false), ("1,234", false), ("1.0", false),
                                  ("1234567890123456789", false), (" 7", false)] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBufferPointer { LoadedColumns.isCanonicalInteger($0) } == canonical, "\(text)")
        }
    }

    @Test func loadedColumnsStandForATableOnlyWhenTheyHoldItExactly() {
        let table = SourceTable(source: "s", fields: ["name", "n", "code"], types: [.string, .integer, .integer])
        let loaded = LoadedColumns(tables: [table], fields: ["s": ["n", "name", "code", "missing"]])
        func batch(_ rows: [(String?, String?, String?)], firstLine: Int) -> RecordBatch {
            var batch = RecordBatch(columnCount: 3)
            for (i, row) in rows.enumerated() {
                batch.columns[0].append(row.0)
                batch.columns[1].append(row.1)
                batch.columns[2].append(row.2)
                batch.lines.append(firstLine + i)
            }
            return batch
        }
        // The batch's columns in another order than the table's: layout maps field → column.
        loaded.append(source: "s", batch: batch([("Ann", "1", "1"), (nil, "", "2")], firstLine: 2), layout: [0, 1, 2], fileID: 1)
        loaded.append(source: "s", batch: batch([("Bo", nil, "007")], firstLine: 9), layout: [0, 1, 2], fileID: 2)
        #expect(loaded.table("s", fields: ["name"], rows: 2) == nil, "another row count than the store's")
        #expect(loaded.table("s", fields: ["missing"], rows: 3) == nil, "a field that was not kept")
        #expect(loaded.table("s", fields: ["code"], rows: 3) == nil, "007 reads back from an INTEGER column as 7")
        let kept = loaded.table("s", fields: ["name", "n"], rows: 3)
        #expect(kept != nil)
        var names: [String] = []
        kept?.forEachValue(kept!.fields.firstIndex(of: "name")!) { id, text in names.append("\(id):\(String(decoding: text, as: UTF8.self))") }
        #expect(names == ["1:Ann", "3:Bo"])
        var records: [String] = []
        kept?.forEachRecord { id, file, line, _, _ in records.append("\(id)@\(file):\(line)") }
        #expect(records == ["1@1:2", "2@1:3", "3@2:9"])
        loaded.drop(source: "s")
        #expect(loaded.table("s", fields: ["name"], rows: 3) == nil, "a table changed after the load")
    }

    // MARK: A whole run

    /// Every table of `Pipelines/acme.yml`'s output but the run's own ledger (times, paths).
    static func tables(_ path: String) throws -> [String: [[String?]]] {
        let db = try Database(path)
        var out: [String: [[String?]]] = [:]
        let names = db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('runs', 'run_stages', 'run_inputs', 'exports') ORDER BY name")
        for name in names.compactMap({ $0[0] }) {
            out[name] = db.rows("SELECT * FROM \"\(name)\"")
        }
        out["schema"] = db.rows("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
        return out
    }

    @Test func identityFromTheLoadsColumnsWritesWhatAScanOfTheStoreWrites() throws {
        let ws = try Workspace()
        try Generated.write(persons: 800, seed: 5, shape: "acme", into: ws.file("export"))
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/acme.yml").path
        var outputs: [[String: [[String?]]]] = []
        for (i, inMemory) in [true, false].enumerated() {
            let environment = ["ACME_DATA": ws.file("export"), "TRIBUTARY_OUT": ws.file("out\(i)")]
            let (definition, diagnostics) = PipelineLoader(catalog: Registry.standard, environment: environment, mode: .run).load(path: pipeline)
            let loaded = try #require(definition, "\(diagnostics.items)")
            var options = RunOptions(jobs: 2, asOf: try #require(AsOf(parsing: "2024-11-15")))
            options.readsLoadedColumns = inMemory
            let runner = Runner(definition: loaded, pipelineText: "", options: options,
                                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            _ = try runner.run()
            outputs.append(try Self.tables(ws.file("out\(i)/acme.sqlite")))
        }
        #expect(outputs[0].keys.sorted() == outputs[1].keys.sorted())
        #expect((outputs[0]["profile_records"]?.count ?? 0) > 1000)
        for name in outputs[0].keys.sorted() {
            #expect(outputs[0][name] == outputs[1][name], "table \(name)")
        }
    }
}
