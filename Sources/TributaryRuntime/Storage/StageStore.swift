import TributaryConfig

/// What the stages after the load need from where the output is stored, and nothing more: scans
/// of the loaded tables, bulk appends, schema changes and row updates, in one SQL dialect.
///
/// A stage (`GoldenRecordStage`, ...) is written against these protocols, never against a
/// database type; `SQLiteStageStore` is the implementation the runner uses today. A store for
/// another engine (PostgreSQL, Spark SQL) implements the same few calls. Stages keep their work
/// partitionable: a scan reads one table, an append writes rows in any order the caller chooses.
protocol StageStore: AnyObject {
    /// How this store spells identifiers, casts and types.
    var dialect: SQLDialect { get }
    /// The rows of a query, read column by column; text stays in the store's buffers.
    func scan(_ sql: String) throws(RunError) -> RowCursor
    /// Appends rows of `width` values to `table`, many at a time.
    func appender(table: String, width: Int) throws(RunError) -> RowAppender
    /// A statement that returns no rows: a schema change, an `INSERT ... SELECT`.
    func execute(_ sql: String) throws(RunError)
    /// A statement run once per row with bound values (an `UPDATE ... WHERE` by key).
    func statement(_ sql: String) throws(RunError) -> RowStatement
    /// The column names of a table, in order.
    func columns(of table: String) throws(RunError) -> [String]
    /// Makes the time functions of the pipeline's SQL (`as_of()`, `days_since`, `within_days`,
    /// `days_between`, `utc_instant`) answer for `asOf`.
    func prepareTimeFunctions(asOf: AsOf) throws(RunError)
}

/// The rows of a scan (parameters bound first, as in a statement). Text is valid until the next
/// call to `next()`.
protocol RowCursor: RowStatement {
    func next() throws(RunError) -> Bool
    func int(_ column: Int32) -> Int
    func double(_ column: Int32) -> Double
    func text(_ column: Int32) -> String?
    func textBytes(_ column: Int32) -> UnsafeBufferPointer<UInt8>?
    /// The bytes of a BLOB value (empty for NULL).
    func blobBytes(_ column: Int32) -> UnsafeRawBufferPointer
    /// The storage class of the column's value in the current row.
    func kind(_ column: Int32) -> StoredKind
}

/// The storage class of a value, in the order SQL sorts them (NULL first, then numbers, text,
/// blobs); the raw values are the codes the trait stage compares to declare column types.
enum StoredKind: UInt8, Sendable {
    case null = 0, integer = 1, real = 2, text = 3, blob = 4
}

/// Values bound by position (1-based), then run.
protocol RowStatement: AnyObject {
    func bind(_ index: Int32, _ text: String?)
    func bind(_ index: Int32, _ value: Int?)
    func bind(_ index: Int32, _ value: Double)
    /// Text that must stay valid until the row is run.
    func bindText(_ index: Int32, _ pointer: UnsafePointer<UInt8>, _ count: Int)
    /// A BLOB that must stay valid until the row is run.
    func bindBlob(_ index: Int32, _ pointer: UnsafeRawPointer?, _ count: Int)
    func bindNull(_ index: Int32)
    func run() throws(RunError)
}

/// Rows appended in batches: `bind(statement, row, base)` binds row `row` at `base + 1...`.
protocol RowAppender {
    func append(count: Int, _ bind: (RowStatement, Int, Int32) -> Void) throws(RunError)
}

/// The spelling of the SQL the stages generate (user expressions are checked by `validate`
/// for the dialect they run in).
struct SQLDialect: Sendable {
    var name: String
    /// A quoted identifier.
    var quote: @Sendable (String) -> String
    /// An expression's value as text.
    var castText: @Sendable (String) -> String
    /// The column type of text values.
    var textType: String
    /// The key of a row in a table written by a stage, for updates in written order.
    var rowKey: String

    static let sqlite = SQLDialect(
        name: "SQLite",
        quote: { quoteIdentifier($0) },
        castText: { "CAST(\($0) AS TEXT)" },
        textType: "TEXT",
        rowKey: "rowid")
}
