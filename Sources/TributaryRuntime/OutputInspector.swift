import Foundation

/// Read-only summaries of a published output database, for `pipeline inspect` and `pipeline runs`.
public enum OutputInspector {
    /// Tables with their row counts, quarantine by source and reason, profiles, reconciliations.
    public static func inspect(_ path: String) throws(RunError) -> String {
        let db = try open(path)
        var out = "\(path)\n\ntables:\n"
        let tables = try strings(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        for table in tables {
            out += "  " + table.padding(toLength: 24, withPad: " ", startingAt: 0)
                + String(try int(db, "SELECT count(*) FROM \(SQLiteWriter.quote(table))")) + " rows\n"
        }
        if tables.contains("quarantine") {
            let rows = try rowsOf(db, "SELECT source, reason, count(*) FROM quarantine GROUP BY source, reason ORDER BY source, reason")
            out += "\nquarantine by source and reason:\n" + (rows.isEmpty ? "  none\n" : rows.map { "  \($0[0]) \($0[1]): \($0[2])\n" }.joined())
        }
        if tables.contains("profiles") {
            out += "\nprofiles: \(try int(db, "SELECT count(*) FROM profiles")) from \(try int(db, "SELECT count(*) FROM profile_records")) records"
            if tables.contains("identity_refusals") {
                let refused = try rowsOf(db, "SELECT reason, count(*) FROM identity_refusals GROUP BY reason ORDER BY reason")
                if !refused.isEmpty { out += "; links refused: " + refused.map { "\($0[0]) \($0[1])" }.joined(separator: ", ") }
            }
            out += "\n"
        }
        if tables.contains("reconciliations") {
            let failed = try int(db, "SELECT count(*) FROM reconciliations WHERE passed = 0")
            let total = try int(db, "SELECT count(*) FROM reconciliations")
            if total > 0 { out += "\nreconciliations: \(total - failed) of \(total) passed\n" }
        }
        if tables.contains("runs") { out += "\n" + (try runs(path, limit: 1)) }
        return out
    }

    /// The most recent runs, newest first.
    public static func runs(_ path: String, limit: Int = 20) throws(RunError) -> String {
        let db = try open(path)
        let rows = try rowsOf(db, """
            SELECT run_id, started_at, status, round((julianday(finished_at) - julianday(started_at)) * 86400, 2),
                   records_read, records_loaded, records_quarantined, jobs
            FROM runs ORDER BY run_id DESC LIMIT \(limit)
            """)
        var out = "run  started                   status     seconds   read       loaded     quarantined  jobs\n"
        for r in rows {
            out += "\(r[0].padding(toLength: 4, withPad: " ", startingAt: 0)) \(r[1].padding(toLength: 25, withPad: " ", startingAt: 0)) "
                + "\(r[2].padding(toLength: 10, withPad: " ", startingAt: 0)) \(r[3].padding(toLength: 9, withPad: " ", startingAt: 0)) "
                + "\(r[4].padding(toLength: 10, withPad: " ", startingAt: 0)) \(r[5].padding(toLength: 10, withPad: " ", startingAt: 0)) "
                + "\(r[6].padding(toLength: 12, withPad: " ", startingAt: 0)) \(r[7])\n"
        }
        return out
    }

    private static func open(_ path: String) throws(RunError) -> SQLiteDatabase {
        guard FileManager.default.fileExists(atPath: path) else { throw RunError.input("no output database at \(path)") }
        return try SQLiteDatabase(path: path, readOnly: true)
    }

    private static func int(_ db: SQLiteDatabase, _ sql: String) throws(RunError) -> Int {
        let s = try db.prepare(sql)
        return try s.next() ? s.int(0) : 0
    }

    private static func strings(_ db: SQLiteDatabase, _ sql: String) throws(RunError) -> [String] {
        try rowsOf(db, sql).map { $0[0] }
    }

    private static func rowsOf(_ db: SQLiteDatabase, _ sql: String) throws(RunError) -> [[String]] {
        let s = try db.prepare(sql)
        var rows: [[String]] = []
        while try s.next() {
            rows.append((0..<s.columnCount).map { s.text(Int32($0)) ?? "" })
        }
        return rows
    }
}
