/// The stages' storage in the run's SQLite database.
final class SQLiteStageStore: StageStore {
    let db: SQLiteDatabase
    let dialect = SQLDialect.sqlite

    init(_ db: SQLiteDatabase) { self.db = db }

    func scan(_ sql: String) throws(RunError) -> RowCursor { try db.prepare(sql) }

    func appender(table: String, width: Int) throws(RunError) -> RowAppender {
        try SQLiteRowInserter(db, table: dialect.quote(table), width: width)
    }

    func execute(_ sql: String) throws(RunError) { try db.execute(sql) }

    func statement(_ sql: String) throws(RunError) -> RowStatement { try db.prepare(sql) }

    func columns(of table: String) throws(RunError) -> [String] { try db.columns(of: table) }

    /// Functions registered on the connection (SQLite has no date arithmetic of its own that
    /// reads ISO-8601 with offsets).
    func prepareTimeFunctions(asOf: AsOf) throws(RunError) { try db.registerTimeFunctions(asOf: asOf) }
}

extension SQLiteDatabase.Statement: RowCursor, RowStatement {}

extension SQLiteRowInserter: RowAppender {
    func append(count: Int, _ bind: (RowStatement, Int, Int32) -> Void) throws(RunError) {
        try insert(count: count) { statement, row, base in bind(statement, row, base) }
    }
}

/// Inserts rows `batch` at a time through one multi-row statement (and a single-row one for
/// the rest): SQLite's per-statement cost is paid once per batch. Text bound with `bindText`
/// must stay valid until the batch is run, i.e. during the whole `insert` call.
struct SQLiteRowInserter {
    let single: SQLiteDatabase.Statement
    let multi: SQLiteDatabase.Statement
    let batch: Int

    init(_ db: SQLiteDatabase, table: String, width: Int, batch: Int = 64) throws(RunError) {
        let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        single = try db.prepare("INSERT INTO \(table) VALUES \(tuple)")
        multi = try db.prepare("INSERT INTO \(table) VALUES " + Array(repeating: tuple, count: batch).joined(separator: ", "))
        self.batch = batch
        self.width = Int32(width)
    }
    let width: Int32

    /// Calls `bind(statement, row, base)` for rows 0..<count; the row's parameters are base + 1...
    func insert(count: Int, _ bind: (SQLiteDatabase.Statement, Int, Int32) -> Void) throws(RunError) {
        var row = 0
        while row + batch <= count {
            for r in 0..<batch { bind(multi, row + r, Int32(r) * width) }
            try multi.run()
            row += batch
        }
        while row < count {
            bind(single, row, 0)
            try single.run()
            row += 1
        }
    }
}
