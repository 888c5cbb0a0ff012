import CLibPQ
import CSQLite
import Foundation
import TributaryConfig

/// The published output, mirrored into PostgreSQL (`output: postgres:`): every table, primary
/// key, index and view of the SQLite output, in a schema named after the pipeline, for analysts
/// whose tools live in PostgreSQL.
///
/// A run holds an advisory lock on the pipeline's name for its whole length (a second run exits
/// 75), builds its tables in a staging schema `<name>__run_<id>` with COPY, and swaps it for the
/// published schema in one transaction: readers see the old output or the new one, never half.
/// A failed gate, a failed or killed run leaves the published schema as it was; its staging
/// schema is dropped by the next run. The URL is never printed with its password.
///
/// The SQLite output stays the run's working store and history (stable ids, segment changes):
/// the mirror is written from it after it is published.
final class PostgresOutput {
    private var connection: OpaquePointer?
    /// For a second connection (indexes built beside the copy); never printed.
    private let url: String
    let schema: String
    /// The URL without its password, for messages.
    let redactedURL: String

    /// Connects (at most 10 s) with libpq; the password comes from the URL (interpolated from the
    /// environment), PGPASSWORD or ~/.pgpass.
    /// `label` names the server in messages instead of the URL (`${PG_URL}` as written).
    init(url: String, pipeline: String, label: String? = nil) throws(RunError) {
        schema = pipeline
        self.url = url
        redactedURL = label ?? PostgresURL.redacted(url)
        let keys = ["dbname", "connect_timeout", "application_name"]
        let values = [url, "10", "tributary"]
        let conn = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { Self.message(PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(conn)
            throw RunError.output("cannot connect to the PostgreSQL output \(redactedURL): \(message)")
        }
        connection = conn
        try execute("SET client_min_messages = warning; SET maintenance_work_mem = '256MB'")
    }

    deinit { PQfinish(connection) }

    // MARK: - Lock and leftovers

    /// Takes the pipeline's advisory lock for the session; another run holding it is exit 75.
    func lock() throws(RunError) {
        let held = try query("SELECT pg_try_advisory_lock(hashtext($1))", ["tributary:" + schema])
        guard held.first?.first == "t" else {
            throw RunError.locked("another run of '\(schema)' is writing the PostgreSQL output \(redactedURL); try again when it has finished")
        }
    }

    /// Drops the staging schemas of runs that did not finish. Call only holding the lock.
    func removeLeftovers() throws(RunError) -> [String] {
        let rows = try query("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY nspname", [schema + "__run_"])
        var dropped: [String] = []
        for row in rows {
            guard let name = row.first ?? nil else { continue }
            try execute("DROP SCHEMA \(quoteIdentifier(name)) CASCADE")
            dropped.append(name)
        }
        return dropped
    }

    // MARK: - Publish

    /// Copies the SQLite output at `path` into a staging schema, then swaps it in.
    /// Returns the rows copied.
    @discardableResult
    func publish(sqlite path: String, runID: Int) throws(RunError) -> Int {
        let source = try SQLiteDatabase(path: path, readOnly: true)
        let staging = "\(schema)__run_\(runID)"
        try execute("DROP SCHEMA IF EXISTS \(quoteIdentifier(staging)) CASCADE; CREATE SCHEMA \(quoteIdentifier(staging))")
        var rows = 0
        let tables = try source.strings("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        // Each table's indexes, as in SQLite (its primary key comes from the copy).
        var indexesOf: [String: [String]] = [:]
        let indexes = try source.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        while try indexes.next() {
            guard let name = indexes.text(0), let table = indexes.text(1) else { continue }
            let columns = try source.strings("SELECT name FROM pragma_index_info(\(Self.literal(name))) ORDER BY seqno")
            let unique = try source.strings("SELECT \"unique\" FROM pragma_index_list(\(Self.literal(table))) WHERE name = \(Self.literal(name))").first == "1"
            indexesOf[table, default: []].append(
                "CREATE \(unique ? "UNIQUE " : "")INDEX \(quoteIdentifier(name)) ON \(quoteIdentifier(staging)).\(quoteIdentifier(table)) (\(columns.map(quoteIdentifier).joined(separator: ", ")))")
        }
        // Keys and indexes are built on a second connection while the next tables are copied:
        // the server sorts one table as it parses the next.
        let builder = try IndexBuilder(output: PostgresOutput(url: url, pipeline: schema, label: redactedURL))
        for table in tables {
            // A text column holding bytes PostgreSQL's text refuses (a quarantined line's invalid
            // UTF-8 or NUL, kept as read): the table again, that column as bytea.
            var binary: Set<Int> = []
            while true {
                let outcome = try copy(table: table, from: source, into: staging, binary: binary)
                if let column = outcome.needsBinary {
                    binary.insert(column)
                    continue
                }
                rows += outcome.rows
                builder.submit((outcome.key.map { [$0] } ?? []) + (indexesOf[table] ?? []))
                StatementProfile.lap("postgres: \(table), \(outcome.rows) rows")
                break
            }
        }
        try builder.finish()
        StatementProfile.lap("postgres: indexes")
        let views = try source.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY rowid")
        try execute("SET search_path TO \(quoteIdentifier(staging))")
        while try views.next() {
            guard let name = views.text(0), let sql = views.text(1) else { continue }
            do {
                try execute(sql)
            } catch {
                throw RunError.output("the view \(name) of the output does not run in PostgreSQL: \(error.description)")
            }
        }
        try execute("RESET search_path")
        // The swap: one transaction, so a reader sees the old schema or the new one.
        let old = "\(schema)__old_\(runID)"
        try execute("""
            BEGIN;
            DO $$ BEGIN
              IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = \(Self.literal(schema))) THEN
                EXECUTE 'ALTER SCHEMA ' || quote_ident(\(Self.literal(schema))) || ' RENAME TO ' || quote_ident(\(Self.literal(old)));
              END IF;
            END $$;
            ALTER SCHEMA \(quoteIdentifier(staging)) RENAME TO \(quoteIdentifier(schema));
            DROP SCHEMA IF EXISTS \(quoteIdentifier(old)) CASCADE;
            COMMIT;
            """)
        return rows
    }

    /// One table: created with PostgreSQL types for the values SQLite holds, filled with COPY,
    /// then given its primary key.
    private func copy(table: String, from source: SQLiteDatabase, into staging: String,
                      binary: Set<Int>) throws(RunError) -> (rows: Int, needsBinary: Int?, key: String?) {
        struct Column { var name: String; var type: String; var key: Int }
        var columns: [Column] = []
        let info = try source.prepare("SELECT name, type, pk FROM pragma_table_info(\(Self.literal(table))) ORDER BY cid")
        while try info.next() {
            columns.append(Column(name: info.text(0) ?? "", type: (info.text(1) ?? "").uppercased(), key: info.int(2)))
        }
        guard !columns.isEmpty else { return (0, nil, nil) }
        // What each column holds, by storage class: its PostgreSQL type follows the values, as
        // SQLite columns may hold any (an untyped trait column, an INTEGER column with text).
        // A column of TEXT affinity holds text (SQLite converts numbers written to it), and the
        // writer binds no blobs: only the other columns are scanned.
        let probes = columns.map { c in
            let q = SQLiteWriter.quote(c.name)
            if Self.hasTextAffinity(c.type) { return "1, 0, 0, 0" }
            return "max(typeof(\(q)) = 'text'), max(typeof(\(q)) = 'real'), max(typeof(\(q)) = 'blob'), max(typeof(\(q)) = 'integer')"
        }.joined(separator: ", ")
        let scan = columns.allSatisfy { Self.hasTextAffinity($0.type) } ? "" : " FROM \(SQLiteWriter.quote(table))"
        let classes = try source.prepare("SELECT \(probes)\(scan)")
        var pgTypes: [String] = []
        let scanned = try classes.next()
        for (i, column) in columns.enumerated() {
            let base = Int32(i * 4)
            let text = scanned && classes.int(base) == 1, real = scanned && classes.int(base + 1) == 1
            let blob = scanned && classes.int(base + 2) == 1, integer = scanned && classes.int(base + 3) == 1
            switch (text, real, blob, integer) {
            case _ where binary.contains(i): pgTypes.append("bytea")
            case (false, false, true, false): pgTypes.append("bytea")
            case (false, false, false, true): pgTypes.append("bigint")
            case (false, true, false, _): pgTypes.append("double precision")
            case (false, false, false, false):  // empty or all NULL: the declared type
                pgTypes.append(column.type.contains("INT") ? "bigint"
                               : column.type.contains("REAL") || column.type.contains("FLOA") || column.type.contains("DOUB") ? "double precision"
                               : column.type.contains("BLOB") ? "bytea" : "text")
            default: pgTypes.append("text")
            }
        }
        while try classes.next() {}
        let target = "\(quoteIdentifier(staging)).\(quoteIdentifier(table))"
        try execute("CREATE TABLE \(target) (" + zip(columns, pgTypes).map { "\(quoteIdentifier($0.name)) \($1)" }.joined(separator: ", ") + ")")

        // COPY in text format: tab-separated, \N for NULL, backslash escapes.
        try expect(PQexec(connection, "COPY \(target) FROM STDIN"), PGRES_COPY_IN, doing: "COPY into \(table)")
        let rows = try source.prepare("SELECT * FROM \(SQLiteWriter.quote(table))")
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var count = 0
        let hex = Array("0123456789abcdef".utf8)
        while try rows.next() {
            for c in 0..<columns.count {
                if c > 0 { buffer.append(0x09) }
                let i = Int32(c)
                switch sqlite3_column_type(rows.raw, i) {
                case SQLITE_NULL:
                    buffer.append(contentsOf: [0x5C, 0x4E])  // \N
                case SQLITE_INTEGER:
                    buffer.append(contentsOf: String(sqlite3_column_int64(rows.raw, i)).utf8)
                case SQLITE_FLOAT where pgTypes[c] == "double precision":
                    let d = sqlite3_column_double(rows.raw, i)
                    let text = d.isNaN ? "NaN" : d == .infinity ? "Infinity" : d == -.infinity ? "-Infinity" : "\(d)"
                    buffer.append(contentsOf: text.utf8)
                case _ where pgTypes[c] == "bytea":
                    buffer.append(contentsOf: [0x5C, 0x5C, 0x78])  // \\x
                    let n = Int(sqlite3_column_bytes(rows.raw, i))
                    if let p = sqlite3_column_blob(rows.raw, i)?.assumingMemoryBound(to: UInt8.self) {
                        for k in 0..<n {
                            buffer.append(hex[Int(p[k] >> 4)])
                            buffer.append(hex[Int(p[k] & 15)])
                        }
                    }
                default:  // text, or a value of another class in a text column: SQLite's text of it
                    if let bytes = rows.textBytes(i) {
                        switch Self.textClass(bytes) {
                        case .plain:
                            buffer.append(contentsOf: bytes)
                            continue
                        case .refused:
                            abandonCopy()
                            try execute("DROP TABLE \(target)")
                            return (0, c, nil)
                        case .escaped: break
                        }
                        for b in bytes {
                            switch b {
                            case 0x5C: buffer.append(contentsOf: [0x5C, 0x5C])
                            case 0x09: buffer.append(contentsOf: [0x5C, 0x74])
                            case 0x0A: buffer.append(contentsOf: [0x5C, 0x6E])
                            case 0x0D: buffer.append(contentsOf: [0x5C, 0x72])
                            default: buffer.append(b)
                            }
                        }
                    }
                }
            }
            buffer.append(0x0A)
            count += 1
            if buffer.count >= 1 << 20 {
                try send(buffer, table: table)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { try send(buffer, table: table) }
        guard PQputCopyEnd(connection, nil) == 1 else { throw failure("COPY into \(table)") }
        try expect(PQgetResult(connection), PGRES_COMMAND_OK, doing: "COPY into \(table)")
        while let extra = PQgetResult(connection) { PQclear(extra) }

        let key = columns.filter { $0.key > 0 }.sorted { $0.key < $1.key }.map(\.name)
        StatementProfile.lap("postgres: \(table) copied")
        return (count, nil, key.isEmpty ? nil : "ALTER TABLE \(target) ADD PRIMARY KEY (\(key.map(quoteIdentifier).joined(separator: ", ")))")
    }

    /// Runs statements on its own connection, in order, on a thread of its own; the first error
    /// is kept and stops the rest.
    final class IndexBuilder: @unchecked Sendable {
        private let output: PostgresOutput
        private let queue = DispatchQueue(label: "tributary.postgres.indexes")
        private var error: RunError?

        init(output: PostgresOutput) { self.output = output }

        func submit(_ statements: [String]) {
            guard !statements.isEmpty else { return }
            queue.async {
                guard self.error == nil else { return }
                for sql in statements {
                    do throws(RunError) { try self.output.execute(sql) } catch { self.error = error; return }
                }
            }
        }

        /// Waits for every statement; throws the first error.
        func finish() throws(RunError) {
            queue.sync {}
            if let error { throw error }
        }
    }

    /// Ends a COPY without committing its rows.
    private func abandonCopy() {
        _ = PQputCopyEnd(connection, "abandoned")
        while let result = PQgetResult(connection) { PQclear(result) }
    }

    enum TextClass { case plain, escaped, refused }

    /// How a text value goes into COPY: as it is, with backslash escapes (it holds a backslash,
    /// tab, newline or carriage return), or not at all (PostgreSQL's text refuses NUL and bytes
    /// that are not UTF-8).
    static func textClass(_ bytes: UnsafeBufferPointer<UInt8>) -> TextClass {
        var ascii = true
        var escapes = false
        for b in bytes {
            if b < 0x20 || b == 0x5C {
                if b == 0 { return .refused }
                if b == 0x5C || b == 0x09 || b == 0x0A || b == 0x0D { escapes = true }
            } else if b >= 0x80 {
                ascii = false
            }
        }
        if !ascii && String(validating: bytes, as: UTF8.self) == nil { return .refused }
        return escapes ? .escaped : .plain
    }

    /// SQLite's rule: a declared type containing CHAR, CLOB or TEXT has text affinity.
    static func hasTextAffinity(_ declared: String) -> Bool {
        !declared.contains("INT") && (declared.contains("CHAR") || declared.contains("CLOB") || declared.contains("TEXT"))
    }

    private func send(_ buffer: [UInt8], table: String) throws(RunError) {
        let ok = buffer.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { PQputCopyData(connection, $0, Int32(p.count)) }
        }
        guard ok == 1 else { throw failure("COPY into \(table)") }
    }

    // MARK: - libpq

    func execute(_ sql: String) throws(RunError) {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let message = Self.message(PQresultErrorMessage(result))
            _ = PQexec(connection, "ROLLBACK").map { PQclear($0) }
            throw RunError.output("PostgreSQL output \(redactedURL): \(message)")
        }
    }

    /// Rows of a query with text parameters, as text (nil: NULL).
    func query(_ sql: String, _ parameters: [String] = []) throws(RunError) -> [[String?]] {
        let result = withCStrings(parameters) { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK else {
            throw RunError.output("PostgreSQL output \(redactedURL): \(Self.message(PQresultErrorMessage(result)))")
        }
        return (0..<PQntuples(result)).map { r in
            (0..<PQnfields(result)).map { c in
                PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c))
            }
        }
    }

    /// The connection, for the reading side (`PostgresOutput+Fetch`).
    var connectionHandle: OpaquePointer? { connection }

    /// Starts a COPY ... TO STDOUT.
    func expectCopyOut(_ sql: String, table: String) throws(RunError) {
        try expect(PQexec(connection, sql), PGRES_COPY_OUT, doing: "reading \(table)")
    }

    private func expect(_ result: OpaquePointer?, _ status: ExecStatusType, doing what: String) throws(RunError) {
        defer { PQclear(result) }
        guard PQresultStatus(result) == status else {
            throw RunError.output("PostgreSQL output \(redactedURL): \(what): \(Self.message(PQresultErrorMessage(result)))")
        }
    }

    private func failure(_ what: String) -> RunError {
        .output("PostgreSQL output \(redactedURL): \(what): \(Self.message(PQerrorMessage(connection)))")
    }

    static func message(_ text: UnsafePointer<CChar>?) -> String {
        text.map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: "; ") ?? "unknown error"
    }

    // MARK: - Text

    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}

/// Calls `body` with the strings as a C array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    var pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeMutableBufferPointer { body(UnsafePointer($0.baseAddress!)) }
}
