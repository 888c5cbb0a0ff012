import CSQLite
import Foundation
import TributaryConfig
import TributaryCore

/// Writes a run into a new SQLite database beside the target and swaps it in atomically.
///
/// Bulk load: one transaction, one prepared statement per table, text bound straight from the
/// batch arenas (no copy), journal off (the file is private to the run until published), and
/// indexes built after the load. The run history (`runs`, `run_inputs`, `run_stages`) of the
/// previously published database is carried over, so the ledger survives the swap.
final class SQLiteWriter: OutputWriter {
    let location: OutputLocation
    let temporaryPath: String
    let db: SQLiteDatabase
    /// Per source: a one-row insert, and one that inserts `rowsPerStatement` rows at once.
    private var inserts: [String: (single: SQLiteDatabase.Statement, multi: SQLiteDatabase.Statement, rows: Int)] = [:]
    private var quarantineInsert: SQLiteDatabase.Statement?
    private var tables: [SourceTable] = []
    var previousRunID = 0
    /// The previous output's profile id of each record and its profile count, read before the
    /// load's transaction starts (SQLite cannot attach a database inside one).
    private(set) var previousProfiles = PreviousProfiles()
    /// The previous output's segment members, read before the transaction like `previousProfiles`.
    private(set) var previousSegmentMembers: [(segment: String, profile: String, since: String)] = []
    var runID: Int { previousRunID + 1 }
    private(set) lazy var stageStore: StageStore = SQLiteStageStore(db)
    private var finished = false

    init(location: OutputLocation) throws(RunError) {
        self.location = location
        temporaryPath = location.newTemporaryPath()
        try location.createPrivateFile(temporaryPath)
        InterruptCleanup.register(temporaryPath)
        do {
            db = try SQLiteDatabase(path: temporaryPath)
            try db.execute("""
                PRAGMA journal_mode = OFF;
                PRAGMA synchronous = OFF;
                PRAGMA locking_mode = EXCLUSIVE;
                PRAGMA temp_store = MEMORY;
                PRAGMA cache_size = -262144;
                """)
        } catch {
            unlink(temporaryPath)
            throw error
        }
    }

    static func quote(_ identifier: String) -> String {
        quoteIdentifier(identifier)
    }

    func begin(tables: [SourceTable]) throws(RunError) {
        self.tables = tables
        try db.execute(Self.ledgerSchema)
        // What the published output holds, read once, with the output attached read-only before
        // the load's transaction starts (SQLite cannot attach inside one).
        if attachPreviousOutput() {
            defer { try? db.execute("DETACH DATABASE previous") }
            try carryOverHistory()
            previousProfiles = try previousProfileIDs(tables: tables)
            previousSegmentMembers = try previousSegmentMembership()
        }
        let lastRun = try db.prepare("SELECT coalesce(max(run_id), 0) FROM runs")
        if try lastRun.next() { previousRunID = lastRun.int(0) }
        // Failed runs (in `<output>.runs.jsonl`) took ids too: this run's id follows theirs.
        previousRunID = max(previousRunID, FailedRunLog(output: location.target).lastRunID)
        try db.execute("BEGIN")
        for table in tables {
            let name = Self.quote(table.tableName)
            try db.execute(Self.tableSchema(table, runID: previousRunID + 1))
            // Multi-row INSERTs bind the same values with a quarter of the statement steps
            // (about 1.5x the rows/s of one-row statements, measured on a 17-column table).
            let tuple = "(" + Array(repeating: "?", count: table.fields.count + 2).joined(separator: ", ") + ")"
            let columnList = (["_file_id", "_line"] + table.fields.map(Self.quote)).joined(separator: ", ")
            let rows = max(1, min(64, 32_000 / (table.fields.count + 2)))
            inserts[table.source] = (
                single: try db.prepare("INSERT INTO \(name) (\(columnList)) VALUES \(tuple)"),
                multi: try db.prepare("INSERT INTO \(name) (\(columnList)) VALUES " + Array(repeating: tuple, count: rows).joined(separator: ", ")),
                rows: rows)
        }
        quarantineInsert = try db.prepare("""
            INSERT INTO quarantine (run_id, source, file_id, file, line, reason, detail, raw)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    /// The table of one source's loaded records (also built, empty, by `AudienceChecker`). Every
    /// record was loaded by run `runID` (the column's default) from its file `_file_id`: together
    /// they are the key of that file's row in `run_inputs`, which holds every run's files.
    static func tableSchema(_ table: SourceTable, runID: Int = 0) -> String {
        let columns = zip(table.fields, table.types).map { quote($0) + " " + $1.sqlType }
        return """
            CREATE TABLE \(quote(table.tableName)) (
              _record_id INTEGER PRIMARY KEY,
              _run_id INTEGER NOT NULL DEFAULT \(runID),
              _file_id INTEGER NOT NULL,
              _line INTEGER NOT NULL\(columns.isEmpty ? "" : ",\n  " + columns.joined(separator: ",\n  ")),
              FOREIGN KEY (_run_id, _file_id) REFERENCES run_inputs(run_id, file_id)
            )
            """
    }

    static let ledgerSchema = """
        CREATE TABLE runs (
          run_id INTEGER PRIMARY KEY,
          pipeline TEXT NOT NULL,
          pipeline_file TEXT NOT NULL,
          pipeline_sha256 TEXT NOT NULL,
          tributary_version TEXT NOT NULL,
          started_at TEXT NOT NULL,
          finished_at TEXT,
          status TEXT NOT NULL,
          jobs INTEGER NOT NULL,
          records_read INTEGER, records_loaded INTEGER, records_quarantined INTEGER, records_filtered INTEGER,
          records_duplicates INTEGER,
          as_of TEXT
        );
        CREATE TABLE run_inputs (
          file_id INTEGER NOT NULL,
          run_id INTEGER NOT NULL REFERENCES runs(run_id),
          source TEXT NOT NULL,
          path TEXT NOT NULL,
          size_bytes INTEGER NOT NULL,
          sha256 TEXT NOT NULL,
          modified_at TEXT,
          physical_lines INTEGER NOT NULL, header_lines INTEGER NOT NULL, blank_lines INTEGER NOT NULL,
          records INTEGER NOT NULL, loaded INTEGER NOT NULL, quarantined INTEGER NOT NULL, filtered INTEGER NOT NULL,
          duplicates INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (run_id, file_id)
        );
        CREATE TABLE run_counters (
          run_id INTEGER NOT NULL,
          source TEXT NOT NULL,
          counter TEXT NOT NULL,
          value INTEGER NOT NULL
        );
        CREATE TABLE run_quarantine (
          run_id INTEGER NOT NULL,
          source TEXT NOT NULL,
          reason TEXT NOT NULL,
          records INTEGER NOT NULL
        );
        CREATE TABLE reconciliations (
          run_id INTEGER NOT NULL,
          source TEXT NOT NULL,
          file_id INTEGER NOT NULL,
          file TEXT NOT NULL,
          line INTEGER NOT NULL,
          check_name TEXT NOT NULL,
          expected TEXT NOT NULL,
          actual TEXT NOT NULL,
          passed INTEGER NOT NULL,
          FOREIGN KEY (run_id, file_id) REFERENCES run_inputs(run_id, file_id)
        );
        CREATE TABLE run_stages (
          run_id INTEGER NOT NULL REFERENCES runs(run_id),
          stage TEXT NOT NULL,
          started_at TEXT NOT NULL,
          wall_ms REAL NOT NULL,
          cpu_ms REAL NOT NULL,
          records_in INTEGER NOT NULL,
          records_out INTEGER NOT NULL,
          peak_rss_bytes INTEGER
        );
        CREATE TABLE profile_id_changes (
          run_id INTEGER NOT NULL,
          profile_id TEXT NOT NULL,
          change TEXT NOT NULL,
          previous_profile_id TEXT NOT NULL
        );
        CREATE TABLE segment_changes (
          run_id INTEGER NOT NULL,
          segment TEXT NOT NULL,
          profile_id TEXT NOT NULL,
          change TEXT NOT NULL,
          at TEXT NOT NULL,
          previous_profile_id TEXT
        );
        CREATE TABLE exports (
          run_id INTEGER NOT NULL,
          export TEXT NOT NULL,
          path TEXT NOT NULL,
          segment TEXT,
          rows INTEGER NOT NULL,
          sha256 TEXT NOT NULL,
          unhashable_emails INTEGER NOT NULL,
          unhashable_phones INTEGER NOT NULL,
          file TEXT
        );
        CREATE TABLE quarantine (
          quarantine_id INTEGER PRIMARY KEY,
          run_id INTEGER NOT NULL,
          source TEXT NOT NULL,
          file_id INTEGER NOT NULL,
          file TEXT NOT NULL,
          line INTEGER NOT NULL,
          reason TEXT NOT NULL,
          detail TEXT NOT NULL,
          raw BLOB,
          FOREIGN KEY (run_id, file_id) REFERENCES run_inputs(run_id, file_id)
        );
        """

    /// Attaches the currently published output as `previous`, read-only; false when there is
    /// none or it cannot be read (a new history starts).
    private func attachPreviousOutput() -> Bool {
        guard FileManager.default.fileExists(atPath: location.target) else { return false }
        let uri = "file:" + location.target.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)! + "?mode=ro"
        return (try? db.execute("ATTACH DATABASE '\(uri.replacingOccurrences(of: "'", with: "''"))' AS previous")) != nil
    }

    /// Copies the ledger of the attached previous output.
    private func carryOverHistory() throws(RunError) {
        do {
            // Copy the columns both versions have, so an older output's history survives upgrades.
            for table in ["runs", "run_inputs", "run_stages", "run_counters", "run_quarantine", "profile_id_changes", "segment_changes", "exports"] {
                let old = try columnNames(table, schema: "previous")
                let shared = try columnNames(table, schema: "main").filter(old.contains).map(Self.quote)
                guard !shared.isEmpty else { continue }
                let list = shared.joined(separator: ", ")
                try db.execute("INSERT INTO main.\(table) (\(list)) SELECT \(list) FROM previous.\(table)")
            }
        } catch {
            try? db.execute("DELETE FROM runs; DELETE FROM run_inputs; DELETE FROM run_stages; DELETE FROM run_counters; DELETE FROM run_quarantine; DELETE FROM profile_id_changes; DELETE FROM segment_changes; DELETE FROM exports;")
        }
    }

    /// The columns of `schema.table`, or none when the table does not exist there.
    private func columnNames(_ table: String, schema: String) throws(RunError) -> [String] {
        let exists = try db.prepare("SELECT count(*) FROM \(schema).sqlite_master WHERE type = 'table' AND name = '\(table)'")
        guard try exists.next(), exists.int(0) > 0 else { return [] }
        // The schema goes in the second argument: `previous.pragma_table_info(...)` reads main.
        let info = try db.prepare("SELECT name FROM pragma_table_info('\(table)', '\(schema)')")
        var names: [String] = []
        while try info.next() { if let name = info.text(0) { names.append(name) } }
        return names
    }

    func write(_ table: SourceTable, batch: RecordBatch, layout: [Int], fileID: Int) throws(RunError) {
        guard let statements = inserts[table.source], batch.count > 0 else { return }
        let count = batch.count
        let width = layout.count + 2
        var failure: RunError?
        withPinned(batch, layout) { arenas, spans in
            batch.lines.withUnsafeBufferPointer { lines in
                /// Binds row `row` at parameter offset `base` of `statement`.
                @inline(__always)
                func bind(_ statement: SQLiteDatabase.Statement, row: Int, base: Int32) {
                    statement.bind(base + 1, fileID)
                    statement.bind(base + 2, lines[row])
                    for i in 0..<arenas.count {
                        let span = spans[i][row]
                        let index = base + Int32(i + 3)
                        if span.isNull {
                            statement.bindNull(index)
                        } else {
                            statement.bindText(index, arenas[i].baseAddress! + Int(span.offset), Int(span.length))
                        }
                    }
                }
                var row = 0
                do throws(RunError) {
                    while row + statements.rows <= count {
                        for r in 0..<statements.rows { bind(statements.multi, row: row + r, base: Int32(r * width)) }
                        try statements.multi.run()
                        row += statements.rows
                    }
                    while row < count {
                        bind(statements.single, row: row, base: 0)
                        try statements.single.run()
                        row += 1
                    }
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
    }

    /// Pins the byte arenas and span arrays of the laid-out columns (nested withUnsafeBufferPointer).
    private func withPinned(_ batch: RecordBatch, _ layout: [Int],
                            _ body: ([UnsafeBufferPointer<UInt8>], [UnsafeBufferPointer<Span>]) -> Void) {
        var arenas: [UnsafeBufferPointer<UInt8>] = []
        var spans: [UnsafeBufferPointer<Span>] = []
        func pin(_ i: Int) {
            if i == layout.count { body(arenas, spans); return }
            let column = batch.columns[layout[i]]
            column.bytes.withUnsafeBufferPointer { bytes in
                column.spans.withUnsafeBufferPointer { spanBuffer in
                    // An empty arena has no base address; give it a valid one (no value points into it).
                    arenas.append(bytes.baseAddress == nil ? UnsafeBufferPointer(start: Self.emptyByte, count: 0) : bytes)
                    spans.append(spanBuffer)
                    pin(i + 1)
                }
            }
        }
        pin(0)
    }

    nonisolated(unsafe) private static let emptyByte: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    func writeQuarantine(source: String, records: [QuarantinedRecord], files: [InputFile]) throws(RunError) {
        guard let insert = quarantineInsert else { return }
        let runID = previousRunID + 1
        for record in records {
            insert.bind(1, runID)
            insert.bind(2, source)
            insert.bind(3, record.fileIndex + 1)
            insert.bind(4, files[record.fileIndex].path)
            insert.bind(5, record.line)
            insert.bind(6, record.reason.rawValue)
            insert.bind(7, record.detail)
            if UTF8Validation.isValid(record.raw) {
                insert.bind(8, String(decoding: record.raw, as: UTF8.self))
            } else {
                insert.bindBlob(8, record.raw)
            }
            try insert.run()
        }
    }

    func deduplicate(_ table: SourceTable, keys: [String], keep: KeepRule) throws(RunError) -> [Int: Int] {
        let name = Self.quote(table.tableName)
        let partition = keys.map(Self.quote).joined(separator: ", ")
        let order: String = switch keep {
        case .first: "_record_id"
        case .last: "_record_id DESC"
        case .latest(let field): "\(Self.quote(field)) IS NULL, \(Self.quote(field)) DESC, _record_id DESC"
        case .mostComplete:
            "(" + table.fields.map { "(\(Self.quote($0)) IS NOT NULL)" }.joined(separator: " + ") + ") DESC, _record_id DESC"
        }
        let complete = keys.map { "\(Self.quote($0)) IS NOT NULL" }.joined(separator: " AND ")
        try db.execute("""
            CREATE TEMP TABLE dropped AS
              SELECT _record_id, _file_id FROM (
                SELECT _record_id, _file_id, row_number() OVER (PARTITION BY \(partition) ORDER BY \(order)) AS rank
                FROM \(name) WHERE \(complete))
              WHERE rank > 1
            """)
        defer { try? db.execute("DROP TABLE temp.dropped") }
        var counts: [Int: Int] = [:]
        let byFile = try db.prepare("SELECT _file_id, count(*) FROM temp.dropped GROUP BY _file_id")
        while try byFile.next() { counts[byFile.int(0)] = byFile.int(1) }
        try db.execute("DELETE FROM \(name) WHERE _record_id IN (SELECT _record_id FROM temp.dropped)")
        return counts
    }

    func writeReconciliations(_ checks: [ReconciliationCheck], files: [InputFile]) throws(RunError) {
        guard !checks.isEmpty else { return }
        let insert = try db.prepare("INSERT INTO reconciliations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for check in checks {
            insert.bind(1, previousRunID + 1)
            insert.bind(2, files[check.fileIndex].source)
            insert.bind(3, check.fileIndex + 1)
            insert.bind(4, files[check.fileIndex].path)
            insert.bind(5, check.line)
            insert.bind(6, check.check)
            insert.bind(7, check.expected)
            insert.bind(8, check.actual)
            insert.bind(9, check.passed ? 1 : 0)
            try insert.run()
        }
    }

    func finish(_ ledger: RunLedger) throws(RunError) {
        var ledger = ledger
        var stopwatch = Stopwatch()
        try createIndexes()
        ledger.stages.append(stopwatch.lap("index", recordsIn: ledger.totals.loaded, recordsOut: ledger.totals.loaded))
        let runID = ledger.runID
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let run = try db.prepare("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        let totals = ledger.totals
        run.bind(1, runID)
        run.bind(2, ledger.pipeline)
        run.bind(3, ledger.pipelineFile)
        run.bind(4, ledger.pipelineSHA256)
        run.bind(5, ledger.version)
        run.bind(6, iso.string(from: ledger.startedAt))
        run.bind(7, ledger.finishedAt.map(iso.string(from:)))
        run.bind(8, ledger.status)
        run.bind(9, ledger.jobs)
        run.bind(10, totals.records)
        run.bind(11, totals.loaded)
        run.bind(12, totals.quarantined)
        run.bind(13, totals.filtered)
        run.bind(14, totals.duplicates)
        run.bind(15, ledger.asOf?.text)
        try run.run()

        let input = try db.prepare("INSERT INTO run_inputs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for item in ledger.inputs {
            let c = item.counts
            input.bind(1, item.file.index + 1)
            input.bind(2, runID)
            input.bind(3, item.file.source)
            input.bind(4, item.file.path)
            input.bind(5, item.file.size)
            input.bind(6, item.sha256)
            input.bind(7, item.modifiedAt.map(iso.string(from:)))
            for (i, value) in [c.physicalLines, c.headerLines, c.blankLines, c.records, c.loaded, c.quarantined,
                               c.filtered, c.duplicates].enumerated() {
                input.bind(Int32(8 + i), value)
            }
            try input.run()
        }
        let counter = try db.prepare("INSERT INTO run_counters VALUES (?, ?, ?, ?)")
        for (source, counters) in ledger.counters.sorted(by: { $0.key < $1.key }) {
            for (name, value) in counters.values.sorted(by: { $0.key < $1.key }) {
                counter.bind(1, runID)
                counter.bind(2, source)
                counter.bind(3, name)
                counter.bind(4, value)
                try counter.run()
            }
        }
        // Quarantined records by source and reason: the quarantine table holds the last run's
        // records only; this keeps every run's counts for `pipeline diff`.
        var reasons: [String: [String: Int]] = [:]
        for input in ledger.inputs {
            for (reason, count) in input.quarantinedByReason { reasons[input.file.source, default: [:]][reason.rawValue, default: 0] += count }
        }
        let quarantined = try db.prepare("INSERT INTO run_quarantine VALUES (?, ?, ?, ?)")
        for (source, byReason) in reasons.sorted(by: { $0.key < $1.key }) {
            for (reason, count) in byReason.sorted(by: { $0.key < $1.key }) {
                quarantined.bind(1, runID)
                quarantined.bind(2, source)
                quarantined.bind(3, reason)
                quarantined.bind(4, count)
                try quarantined.run()
            }
        }
        let stage = try db.prepare("INSERT INTO run_stages VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        for s in ledger.stages {
            stage.bind(1, runID)
            stage.bind(2, s.stage)
            stage.bind(3, iso.string(from: s.startedAt))
            stage.bind(4, s.wallSeconds * 1000)
            stage.bind(5, s.cpuSeconds * 1000)
            stage.bind(6, s.recordsIn)
            stage.bind(7, s.recordsOut)
            stage.bind(8, s.peakRSSBytes)
            try stage.run()
        }
        try db.execute("COMMIT")
        inserts.removeAll()
        quarantineInsert = nil
        try db.execute("PRAGMA journal_mode = DELETE")
        db.close()
        finished = true
    }

    /// The output's views (standard SQL: PostgreSQL runs them too).
    static let views = """
        CREATE VIEW IF NOT EXISTS quarantine_summary AS
          SELECT source, reason, count(*) AS records FROM quarantine GROUP BY source, reason;
        CREATE VIEW IF NOT EXISTS quarantine_by_file AS
          SELECT source, file_id, min(file) AS file, reason, count(*) AS records, min(line) AS first_line
          FROM quarantine GROUP BY source, file_id, reason;
        CREATE VIEW IF NOT EXISTS latest_run_inputs AS
          SELECT * FROM run_inputs WHERE run_id = (SELECT max(run_id) FROM runs);

        """

    /// The views that answer an analyst's usual questions, for an output with these tables
    /// (standard SQL: PostgreSQL runs them too, and the PostgreSQL copy checks it).
    static func analystViews(tables: Set<String>) -> String {
        var sql = ""
        if tables.isSuperset(of: ["segment_membership", "segments"]) {
            sql += """
                CREATE VIEW IF NOT EXISTS current_segments AS
                  SELECT m.profile_id, m.segment, m.since, s.description
                  FROM segment_membership m JOIN segments s ON s.segment = m.segment;

                """
        }
        if tables.contains("profiles") {
            let segments = tables.contains("segment_membership")
                ? "(SELECT count(*) FROM segment_membership m WHERE m.profile_id = p.profile_id)" : "0"
            sql += """
                CREATE VIEW IF NOT EXISTS profile_overview AS
                  SELECT p.*, \(segments) AS segment_count FROM profiles p;

                """
        }
        if tables.contains("profile_records") {
            // The identity graph as edges: each record to its profile with the identifier that
            // joined it (NULL: the record the profile grew from), and each probabilistic link
            // between two records with its probability.
            let links = tables.contains("match_evidence") ? """

                  UNION ALL
                  SELECT r.profile_id, e.a_source || ':' || e.a_record_id, e.b_source || ':' || e.b_record_id,
                         'probabilistic', e.probability
                  FROM match_evidence e JOIN profile_records r ON r.source = e.a_source AND r.record_id = e.a_record_id
                """ : ""
            sql += """
                CREATE VIEW IF NOT EXISTS identity_edges AS
                  SELECT profile_id, source || ':' || record_id AS from_record, profile_id AS to_node,
                         linked_by, NULL AS probability
                  FROM profile_records WHERE profile_id IS NOT NULL\(links);

                """
        }
        return sql
    }

    /// The output's schema version (`PRAGMA user_version`): 2 adds the `docs` table; 1 is the
    /// layout with `run_quarantine` and the analyst views; 0 is every output before it.
    static let schemaVersion = 2

    private func createIndexes() throws(RunError) {
        let present = Set(try db.strings("SELECT name FROM sqlite_master WHERE type = 'table'"))
        var indexes = """
            CREATE INDEX quarantine_by_source_reason ON quarantine(source, reason);
            CREATE INDEX quarantine_by_file_line ON quarantine(file_id, line);
            CREATE INDEX run_stages_by_run ON run_stages(run_id);
            \(Self.views)
            \(Self.analystViews(tables: present))
            PRAGMA user_version = \(Self.schemaVersion);
            """
        for table in tables {
            let name = Self.quote(table.tableName)
            indexes += "CREATE INDEX \(Self.quote(table.tableName + "_by_file_line")) ON \(name)(_file_id, _line);\n"
        }
        try db.execute(indexes)
    }

    func writeDocs(_ pipeline: OutputSchemaDocs.Pipeline) throws(RunError) {
        try db.execute("""
            DROP TABLE IF EXISTS docs;
            CREATE TABLE docs (table_name TEXT NOT NULL, column_name TEXT, description TEXT NOT NULL);
            """)
        var tables: [(name: String, columns: [String])] = []
        let columns = try db.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid")
        for name in try db.strings("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") where !name.hasPrefix("sqlite_") {
            columns.bind(1, name)
            var names: [String] = []
            while try columns.next() { names.append(columns.text(0) ?? "") }
            tables.append((name, names))
        }
        let insert = try db.prepare("INSERT INTO docs VALUES (?, ?, ?)")
        for row in OutputSchemaDocs.rows(tables: tables, pipeline: pipeline) {
            insert.bind(1, row.table)
            insert.bind(2, row.column)
            insert.bind(3, row.description)
            try insert.run()
        }
    }

    func publish() throws(RunError) {
        guard finished else { throw RunError.internalError("publish before finish") }
        try location.publish(temporaryPath)
        InterruptCleanup.unregister(temporaryPath)
    }

    func abort() {
        inserts.removeAll()
        quarantineInsert = nil
        db.close()
        unlink(temporaryPath)
        InterruptCleanup.unregister(temporaryPath)
    }
}
