/// The stages' storage in the run's SQLite database.
final class SQLiteStageStore: StageStore {
    let db: SQLiteDatabase
    let dialect = SQLDialect.sqlite

    init(_ db: SQLiteDatabase) { self.db = db }

    func scan(_ sql: String) throws(RunError) -> RowCursor { try db.prepare(sql) }

    func appender(table: String, width: Int) throws(RunError) -> RowAppender {
        try SQLiteWriter.RowInserter(db, table: dialect.quote(table), width: width)
    }

    func execute(_ sql: String) throws(RunError) { try db.execute(sql) }

    func statement(_ sql: String) throws(RunError) -> RowStatement { try db.prepare(sql) }

    func columns(of table: String) throws(RunError) -> [String] { try db.columns(of: table) }

    /// Functions registered on the connection (SQLite has no date arithmetic of its own that
    /// reads ISO-8601 with offsets).
    func prepareTimeFunctions(asOf: AsOf) throws(RunError) { try db.registerTimeFunctions(asOf: asOf) }
}

extension SQLiteDatabase.Statement: RowCursor, RowStatement {}

extension SQLiteWriter.RowInserter: RowAppender {
    func append(count: Int, _ bind: (RowStatement, Int, Int32) -> Void) throws(RunError) {
        try insert(count: count) { statement, row, base in bind(statement, row, base) }
    }
}
