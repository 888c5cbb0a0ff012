import CLibPQ
import CSQLite
import Foundation
import TributaryConfig

extension PostgresOutput {
    /// Reads a PostgreSQL output (`postgresql://...`, optionally `#schema`) into a new SQLite file
    /// at `path`, for the commands that read an output (`inspect`, `runs`, `explain`, `report`):
    /// every table, its indexes and the views, in one repeatable-read snapshot. Without `#schema`
    /// the database must hold exactly one Tributary output (a schema with `runs` and `run_inputs`).
    static func fetch(_ argument: String, into path: String, label: String? = nil) throws(RunError) {
        let (url, requested) = splitSchema(argument)
        let output = try PostgresOutput(url: url, pipeline: requested ?? "", label: label)
        let candidates = try output.query("""
            SELECT table_schema FROM information_schema.tables WHERE table_name = 'runs'
            INTERSECT SELECT table_schema FROM information_schema.tables WHERE table_name = 'run_inputs'
            ORDER BY 1
            """).compactMap { $0.first ?? nil }
        let schema: String
        if let requested {
            guard candidates.contains(requested) else {
                throw OutputDatabase.mistake("the PostgreSQL database \(output.redactedURL) has no Tributary output in a schema '\(requested)'",
                                             hint: candidates.isEmpty ? "run a pipeline with `output: postgres:` first"
                                                 : "its outputs: " + candidates.joined(separator: ", "))
            }
            schema = requested
        } else {
            guard candidates.count == 1 else {
                throw OutputDatabase.mistake(candidates.isEmpty ? "the PostgreSQL database \(output.redactedURL) holds no Tributary output"
                                                 : "the PostgreSQL database \(output.redactedURL) holds several Tributary outputs",
                                             hint: candidates.isEmpty ? "run a pipeline with `output: postgres:` first"
                                                 : "name one after the URL: " + candidates.map { "#\($0)" }.joined(separator: ", "))
            }
            schema = candidates[0]
        }
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN")
        try output.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        let tables = try output.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1", [schema])
            .compactMap { $0.first ?? nil }
        for table in tables {
            let columns = try output.query("""
                SELECT column_name, data_type FROM information_schema.columns
                WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position
                """, [schema, table]).map { ($0[0] ?? "", $0[1] ?? "") }
            let key = try output.query("""
                SELECT a.attname FROM pg_index x
                JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                WHERE n.nspname = $1 AND t.relname = $2 AND x.indisprimary ORDER BY k.ord
                """, [schema, table]).compactMap { $0.first ?? nil }
            try output.fetchTable(schema: schema, table: table, columns: columns, key: key, into: db)
        }
        let indexes = try output.query("""
            SELECT i.relname, t.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord), bool_or(x.indisunique)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE n.nspname = $1 AND NOT x.indisprimary GROUP BY 1, 2 ORDER BY 1
            """, [schema])
        for index in indexes {
            guard let name = index[0], let table = index[1], let columns = index[2] else { continue }
            try db.execute("CREATE \(index[3] == "t" ? "UNIQUE " : "")INDEX \(SQLiteWriter.quote(name)) ON \(SQLiteWriter.quote(table)) (\(columns))")
        }
        try output.execute("COMMIT")
        if tables.contains("quarantine") && tables.contains("runs") && tables.contains("run_inputs") {
            try db.execute(SQLiteWriter.views)
        }
        try db.execute(SQLiteWriter.analystViews(tables: Set(tables)))
        try db.execute("COMMIT")
        db.close()
    }

    /// With PostgreSQL as the only output, the run works in a local SQLite copy of the published
    /// schema: its history (run ids, stable profile ids, segment members) must be the server's.
    /// A copy that is missing or holds another last run than the server (another machine ran
    /// since, or this is a fresh checkout) is fetched again. Returns what was done, for the log.
    func refreshWorkingCopy(at path: String, url: String) throws(RunError) -> String? {
        let published = try query("""
            SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'runs'
            """, [schema])
        guard !published.isEmpty else { return nil }  // the first run to this server
        let serverRun = try query("SELECT coalesce(max(run_id), 0)::text FROM \(quoteIdentifier(schema)).runs").first?.first ?? nil
        var localRun: String?
        if FileManager.default.fileExists(atPath: path), let db = try? SQLiteDatabase(path: path, readOnly: true) {
            localRun = (try? db.strings("SELECT coalesce(max(run_id), 0) FROM runs"))?.first
            db.close()
        }
        guard localRun != serverRun else { return nil }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError.output("cannot create the working copy's folder \(directory): \(error.localizedDescription)")
        }
        let temporary = path + ".fetch-\(getpid())"
        unlink(temporary)
        do {
            try Self.fetch(url + "#" + schema, into: temporary, label: redactedURL)
        } catch {
            unlink(temporary)
            throw error
        }
        chmod(temporary, 0o600)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw RunError.output("cannot replace the working copy \(path): \(String(cString: strerror(errno)))")
        }
        return "fetched the published output (run \(serverRun ?? "?")) from PostgreSQL into the working copy \(path)"
            + (localRun.map { " (it held run \($0))" } ?? "")
    }

    /// `postgresql://...#schema` → the URL libpq takes and the schema.
    static func splitSchema(_ argument: String) -> (url: String, schema: String?) {
        guard let hash = argument.lastIndex(of: "#") else { return (argument, nil) }
        let schema = String(argument[argument.index(after: hash)...])
        return (String(argument[..<hash]), schema.isEmpty ? nil : schema)
    }

    /// One table through COPY TO STDOUT (text format) into an SQLite table of the same columns.
    private func fetchTable(schema: String, table: String, columns: [(String, String)], key: [String],
                            into db: SQLiteDatabase) throws(RunError) {
        let affinity = columns.map { _, type -> String in
            switch type {
            case "bigint", "integer", "smallint": "INTEGER"
            case "double precision", "real", "numeric": "REAL"
            case "bytea": "BLOB"
            default: "TEXT"
            }
        }
        // A one-column integer key is the rowid, as in the output it was copied from.
        let definitions = zip(columns, affinity).map { column, type in
            SQLiteWriter.quote(column.0) + " " + type + (key.count == 1 && key[0] == column.0 && type == "INTEGER" ? " PRIMARY KEY" : "")
        }
        let keyClause = key.count > 1 ? ", PRIMARY KEY (" + key.map(SQLiteWriter.quote).joined(separator: ", ") + ")" : ""
        try db.execute("CREATE TABLE \(SQLiteWriter.quote(table)) (" + definitions.joined(separator: ", ") + keyClause + ")")
        let insert = try db.prepare("INSERT INTO \(SQLiteWriter.quote(table)) VALUES (" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")")

        try expectCopyOut("COPY \(quoteIdentifier(schema)).\(quoteIdentifier(table)) TO STDOUT", table: table)
        var field: [UInt8] = []
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(connectionHandle, &buffer, 0)
            if length < 0 { break }
            guard let buffer else { continue }
            defer { PQfreemem(buffer) }
            let line = UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: Int(length))
            var column = 0
            var i = 0
            // Fields are tab-separated; the line ends with \n.
            while i <= line.count && column < columns.count {
                field.removeAll(keepingCapacity: true)
                var isNull = false
                while i < line.count, line[i] != 0x09, line[i] != 0x0A {
                    if line[i] == 0x5C, i + 1 < line.count {
                        i += 1
                        switch line[i] {
                        case 0x4E: isNull = true  // \N
                        case 0x74: field.append(0x09)
                        case 0x6E: field.append(0x0A)
                        case 0x72: field.append(0x0D)
                        case 0x62: field.append(0x08)
                        case 0x66: field.append(0x0C)
                        case 0x76: field.append(0x0B)
                        default: field.append(line[i])
                        }
                    } else {
                        field.append(line[i])
                    }
                    i += 1
                }
                i += 1
                let index = Int32(column + 1)
                if isNull {
                    insert.bindNull(index)
                } else {
                    switch affinity[column] {
                    case "INTEGER": insert.bind(index, Int(String(decoding: field, as: UTF8.self)))
                    case "REAL": insert.bind(index, Double(String(decoding: field, as: UTF8.self)) ?? .nan)
                    case "BLOB": insert.bindBlob(index, Self.bytea(field))
                    default: field.withUnsafeBufferPointer { insert.bindTextCopy(index, $0) }
                    }
                }
                column += 1
            }
            try insert.run()
        }
        while let result = PQgetResult(connectionHandle) {
            defer { PQclear(result) }
            guard PQresultStatus(result) == PGRES_COMMAND_OK else {
                throw RunError.output("PostgreSQL output \(redactedURL): reading \(table): \(Self.message(PQresultErrorMessage(result)))")
            }
        }
    }

    /// bytea's hex text (`\x0a1b`) as bytes.
    private static func bytea(_ text: [UInt8]) -> [UInt8] {
        guard text.count >= 2, text[0] == 0x5C, text[1] == 0x78 else { return text }
        func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
        var bytes: [UInt8] = []
        var i = 2
        while i + 1 < text.count {
            bytes.append(nibble(text[i]) << 4 | nibble(text[i + 1]))
            i += 2
        }
        return bytes
    }
}
