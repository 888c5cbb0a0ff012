import CSQLite
import Foundation
import Testing

/// Read-only access to an output database through the SQLite C API.
public final class Database {
    private var handle: OpaquePointer?

    public init(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil)
        try #require(rc == SQLITE_OK, "cannot open \(path): \(rc)", sourceLocation: sourceLocation)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Every row of `sql`, each value as text (NULL as nil; blobs as their bytes, lossily decoded).
    public func rows(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) -> [[String?]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            Issue.record("SQL error in \(sql): \(String(cString: sqlite3_errmsg(handle)))", sourceLocation: sourceLocation)
            return []
        }
        defer { sqlite3_finalize(statement) }
        var result: [[String?]] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            let count = sqlite3_column_count(statement)
            result.append((0..<count).map { i -> String? in
                switch sqlite3_column_type(statement, i) {
                case SQLITE_NULL:
                    return nil
                case SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(statement, i))
                    guard n > 0, let blob = sqlite3_column_blob(statement, i) else { return "" }
                    return String(decoding: UnsafeRawBufferPointer(start: blob, count: n), as: UTF8.self)
                default:
                    return sqlite3_column_text(statement, i).map { String(cString: $0) }
                }
            })
        }
        return result
    }

    /// The single value of a one-row, one-column query.
    public func value(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let all = rows(sql, sourceLocation: sourceLocation)
        #expect(all.count == 1 && all.first?.count == 1, "\(sql) → \(all)", sourceLocation: sourceLocation)
        return all.first?.first ?? nil
    }

    public func blobBytes(_ sql: String) -> [[UInt8]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { return [] }
        defer { sqlite3_finalize(statement) }
        var result: [[UInt8]] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            let n = Int(sqlite3_column_bytes(statement, 0))
            if n > 0, let blob = sqlite3_column_blob(statement, 0) {
                result.append(Array(UnsafeRawBufferPointer(start: blob, count: n)))
            } else {
                result.append([])
            }
        }
        return result
    }
}
