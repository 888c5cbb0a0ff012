import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// A small, explicit layer over the SQLite C API: open, execute, prepared statements with
/// zero-copy text binding. Used by the writer for bulk loads at the C API's speed.
final class SQLiteDatabase {
    private(set) var handle: OpaquePointer?
    let path: String

    init(path: String, readOnly: Bool = false) throws(RunError) {
        self.path = path
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw readOnly ? RunError.input("cannot open \(path): \(message)")
                           : RunError.output("cannot create the output database \(path): \(message)")
        }
        handle = db
        // Expressions in pipeline files run as SQL: a function that reaches outside the database
        // (loading a shared library) is refused when a statement is prepared, so `validate`
        // reports it at its position instead of the run failing on it.
        sqlite3_set_authorizer(db, { _, action, _, function, _, _ in
            guard action == SQLITE_FUNCTION, let function else { return SQLITE_OK }
            return strcasecmp(function, "load_extension") == 0 ? SQLITE_DENY : SQLITE_OK
        }, nil)
        if StatementProfile.enabled { StatementProfile.shared.attach(db) }
    }

    deinit { close() }

    func close() {
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    func execute(_ sql: String) throws(RunError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "error \(rc)"
            sqlite3_free(error)
            throw failure(rc, message)
        }
    }

    func prepare(_ sql: String) throws(RunError) -> Statement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw failure(rc, lastError) }
        return Statement(statement, database: self)
    }

    /// The first column of every row of a query, as text (NULL rows left out).
    func strings(_ sql: String) throws(RunError) -> [String] {
        let statement = try prepare(sql)
        var values: [String] = []
        while try statement.next() {
            if let text = statement.text(0) { values.append(text) }
        }
        return values
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    func failure(_ rc: Int32, _ message: String) -> RunError {
        let primary = rc & 0xFF
        if primary == SQLITE_FULL {
            return .output("the disk holding \(path) is full; the previous output was kept")
        }
        if primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY {
            return .output("cannot write \(path): \(message)")
        }
        return .internalError("SQLite: \(message)")
    }

    /// A prepared statement. `bindText` does not copy: the bytes must stay alive until `step()`.
    final class Statement {
        let raw: OpaquePointer
        unowned let database: SQLiteDatabase

        init(_ raw: OpaquePointer, database: SQLiteDatabase) {
            self.raw = raw
            self.database = database
        }

        deinit { sqlite3_finalize(raw) }

        @inline(__always)
        func bindText(_ index: Int32, _ pointer: UnsafePointer<UInt8>, _ count: Int) {
            sqlite3_bind_text(raw, index, UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self),
                              Int32(count), SQLITE_STATIC_DESTRUCTOR)
        }

        /// Binds text that SQLite copies (the bytes may change after the call).
        func bindTextCopy(_ index: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
            let pointer = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(("" as StaticString).utf8Start)
            sqlite3_bind_text(raw, index, pointer.assumingMemoryBound(to: CChar.self), Int32(bytes.count), SQLITE_TRANSIENT_DESTRUCTOR)
        }

        func bind(_ index: Int32, _ text: String?) {
            guard let text else { sqlite3_bind_null(raw, index); return }
            sqlite3_bind_text(raw, index, text, -1, SQLITE_TRANSIENT_DESTRUCTOR)
        }

        func bind(_ index: Int32, _ value: Int?) {
            guard let value else { sqlite3_bind_null(raw, index); return }
            sqlite3_bind_int64(raw, index, Int64(value))
        }

        func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(raw, index, value) }

        func bindBlob(_ index: Int32, _ bytes: [UInt8]) {
            bytes.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT_DESTRUCTOR) }
        }

        /// Binds a BLOB without copying it: the bytes must stay valid until the row is run.
        func bindBlob(_ index: Int32, _ pointer: UnsafeRawPointer?, _ count: Int) {
            sqlite3_bind_blob(raw, index, pointer ?? UnsafeRawPointer(("" as StaticString).utf8Start), Int32(count),
                              SQLITE_STATIC_DESTRUCTOR)
        }

        @inline(__always)
        func bindNull(_ index: Int32) { sqlite3_bind_null(raw, index) }

        /// Runs an insert or update.
        @inline(__always)
        func run() throws(RunError) {
            let rc = sqlite3_step(raw)
            sqlite3_reset(raw)
            guard rc == SQLITE_DONE else { throw database.failure(rc, database.lastError) }
        }

        /// Steps a query; returns false when there are no more rows.
        func next() throws(RunError) -> Bool {
            let rc = sqlite3_step(raw)
            if rc == SQLITE_ROW { return true }
            sqlite3_reset(raw)
            guard rc == SQLITE_DONE else { throw database.failure(rc, database.lastError) }
            return false
        }

        func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(raw, column)) }

        var columnCount: Int { Int(sqlite3_column_count(raw)) }

        func double(_ column: Int32) -> Double { sqlite3_column_double(raw, column) }

        func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }

        /// The storage class of the column's value in the current row.
        func kind(_ column: Int32) -> StoredKind {
            switch sqlite3_column_type(raw, column) {
            case SQLITE_INTEGER: .integer
            case SQLITE_FLOAT: .real
            case SQLITE_TEXT: .text
            case SQLITE_BLOB: .blob
            default: .null
            }
        }

        /// The bytes of a BLOB value, valid until the next step (empty for NULL).
        func blobBytes(_ column: Int32) -> UnsafeRawBufferPointer {
            let pointer = sqlite3_column_blob(raw, column)
            return UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : Int(sqlite3_column_bytes(raw, column)))
        }

        func text(_ column: Int32) -> String? {
            sqlite3_column_text(raw, column).map { String(cString: $0) }
        }

        /// The column's text as bytes, valid until the next step; nil for NULL.
        @inline(__always)
        func textBytes(_ column: Int32) -> UnsafeBufferPointer<UInt8>? {
            guard let pointer = sqlite3_column_text(raw, column) else { return nil }
            return UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(raw, column)))
        }
    }
}

let SQLITE_STATIC_DESTRUCTOR = unsafeBitCast(0, to: sqlite3_destructor_type.self)
let SQLITE_TRANSIENT_DESTRUCTOR = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
