import Foundation
import TributaryConfig
import TributaryCore

extension SQLiteWriter {
    /// The attached previous output's profile id of each record, by source and natural key
    /// (`record_key`), and for records without one (or outputs older than `record_key`) by
    /// source, file name and line. Empty when the previous output has no profiles.
    func previousProfileIDs(tables: [SourceTable]) throws(RunError) -> PreviousProfiles {
        var count: Int?
        if let statement = try? db.prepare("SELECT count(*) FROM previous.profiles"), (try? statement.next()) == true {
            count = statement.int(0)
        }
        var map: [String: String] = [:]
        for table in tables {
            let exists = try db.prepare("SELECT count(*) FROM previous.sqlite_master WHERE type = 'table' AND name IN ('profile_records', '\(table.tableName)')")
            guard try exists.next(), exists.int(0) == 2 else { continue }
            let hasKeys = (try? db.prepare("SELECT record_key FROM previous.profile_records LIMIT 0")) != nil
            let rows: SQLiteDatabase.Statement
            do {
                rows = try db.prepare("""
                    SELECT r.profile_id, i.path, s._line, \(hasKeys ? "r.record_key" : "NULL") FROM previous.profile_records r
                    JOIN previous.\(Self.quote(table.tableName)) s ON r.source = '\(table.source)' AND s._record_id = r.record_id
                    JOIN previous.run_inputs i ON i.file_id = s._file_id AND i.run_id = (SELECT max(run_id) FROM previous.runs)
                    WHERE r.source = '\(table.source)'
                    """)
            } catch {
                continue  // an older layout: no ids to keep
            }
            while try rows.next() {
                guard let id = rows.text(0) else { continue }
                if let key = rows.text(3) {
                    map[IdentityStage.continuityKey(source: table.source, recordKey: key)] = id
                } else if let path = rows.text(1) {
                    let name = URL(fileURLWithPath: path).lastPathComponent
                    map[IdentityStage.continuityKey(source: table.source, fileName: name, line: rows.int(2))] = id
                }
            }
        }
        return PreviousProfiles(ids: map, count: count)
    }
}
