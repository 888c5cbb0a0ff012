import Foundation
import TributaryConfig

/// Read-only summaries of a published output database, for `pipeline inspect` and `pipeline runs`.
public enum OutputInspector {
    /// Tables with their row counts, quarantine by source and reason, profiles, reconciliations.
    public static func inspect(_ path: String) throws(RunError) -> String {
        let db = try open(path)
        var out = "\(PostgresURL.isURL(path) ? PostgresURL.redacted(path) : path)\n\ntables:\n"
        let tables = try strings(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        for table in tables {
            out += "  " + table.padding(toLength: 24, withPad: " ", startingAt: 0)
                + { n in ProgressReporter.grouped(n) + (n == 1 ? " row\n" : " rows\n") }(try int(db, "SELECT count(*) FROM \(SQLiteWriter.quote(table))"))
        }
        if tables.contains("quarantine") {
            let rows = try rowsOf(db, "SELECT source, reason, count(*) FROM quarantine GROUP BY source, reason ORDER BY source, reason")
            out += "\nquarantine by source and reason:\n" + (rows.isEmpty ? "  none\n" : rows.map { "  \($0[0]) \($0[1]): \(ProgressReporter.grouped(Int($0[2]) ?? 0))\n" }.joined())
        }
        if tables.contains("profiles") {
            out += "\nprofiles: \(ProgressReporter.grouped(try int(db, "SELECT count(*) FROM profiles"))) from \(ProgressReporter.grouped(try int(db, "SELECT count(*) FROM profile_records"))) records"
            if tables.contains("identity_refusals") {
                let refused = try rowsOf(db, "SELECT reason, count(*) FROM identity_refusals GROUP BY reason ORDER BY reason")
                if !refused.isEmpty { out += "; links refused: " + refused.map { "\($0[0]) \(ProgressReporter.grouped(Int($0[1]) ?? 0))" }.joined(separator: ", ") }
            }
            out += "\n"
        }
        if tables.contains("segments") {
            let asOf = tables.contains("runs") ? (try? strings(db, "SELECT as_of FROM runs ORDER BY run_id DESC LIMIT 1").first) ?? nil : nil
            let rows = try rowsOf(db, "SELECT segment, members, entered, exited FROM segments ORDER BY segment")
            out += "\nsegments" + (asOf.map { " as of \($0)" } ?? "") + ":\n"
                + (rows.isEmpty ? "  none\n" : rows.map { row in
                    // Grouped digits, and no sign: "1,204 profiles (1,204 entered, 0 exited)".
                    let n = row.map { Int($0) ?? 0 }
                    return "  \(row[0]): \(ProgressReporter.grouped(n[1])) profile\(n[1] == 1 ? "" : "s") "
                        + "(\(ProgressReporter.grouped(n[2])) entered, \(ProgressReporter.grouped(n[3])) exited)\n"
                }.joined())
        }
        if tables.contains("exports") {
            let rows = try rowsOf(db, "SELECT export, rows, path FROM exports WHERE run_id = (SELECT max(run_id) FROM exports) ORDER BY export")
            if !rows.isEmpty { out += "\nexports of the last run:\n" + rows.map { "  \($0[0]): \(ProgressReporter.grouped(Int($0[1]) ?? 0)) rows → \($0[2])\n" }.joined() }
        }
        if tables.contains("reconciliations") {
            let failed = try int(db, "SELECT count(*) FROM reconciliations WHERE passed = 0")
            let total = try int(db, "SELECT count(*) FROM reconciliations")
            if total > 0 { out += "\nreconciliations: \(total - failed) of \(total) passed\n" }
        }
        if tables.contains("runs") { out += "\n" + (try runs(path, limit: 1)) }
        return out
    }

    /// The most recent runs, newest first: the published ones (`runs`) and the failed ones
    /// (`<output>.runs.jsonl`), with each run's peak memory and, for a failed run, why it failed.
    public static func runs(_ path: String, limit: Int = 20) throws(RunError) -> String {
        let failed = FailedRunLog(output: path).records()
        var published: [RunReport.HistoryRun] = []
        if FileManager.default.fileExists(atPath: path) || failed.isEmpty {
            let reader = try Reader(path: path)
            let peak = reader.columns("run_stages").contains("peak_rss_bytes")
                ? "(SELECT max(peak_rss_bytes) FROM run_stages s WHERE s.run_id = runs.run_id)" : "NULL"
            published = try reader.rows("""
                SELECT run_id, started_at, status, (julianday(finished_at) - julianday(started_at)) * 86400,
                       records_read, records_loaded, records_quarantined, jobs, \(peak)
                FROM runs ORDER BY run_id DESC LIMIT \(limit)
                """).map {
                RunReport.HistoryRun(runID: $0[0].int ?? 0, startedAt: $0[1].text ?? "", status: $0[2].text ?? "",
                                     seconds: $0[3].double, records: $0[4].int, loaded: $0[5].int, quarantined: $0[6].int,
                                     peakRSSBytes: $0[8].int, note: "")
            }
        }
        let rows = RunReport.history(published: published, failed: failed).prefix(limit)
        func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count), withPad: " ", startingAt: 0) }
        var out = "run  started                   status     seconds   read       loaded     quarantined  peak_mib  note\n"
        for r in rows {
            let seconds = r.seconds.map { String(format: "%.2f", $0) } ?? ""
            let peak = r.peakRSSBytes.map { String(format: "%.1f", Double($0) / 1_048_576) } ?? ""
            let line = pad("\(r.runID)", 4) + " " + pad(r.startedAt, 25) + " " + pad(r.status, 10) + " " + pad(seconds, 9) + " "
                + pad(r.records.map(ProgressReporter.grouped) ?? "", 10) + " " + pad(r.loaded.map(ProgressReporter.grouped) ?? "", 10) + " "
                + pad(r.quarantined.map(ProgressReporter.grouped) ?? "", 12) + " " + pad(peak, 9) + " " + r.note
            out += line.trimmingCharacters(in: .whitespaces) + "\n"
        }
        return out
    }

    private static func open(_ path: String) throws(RunError) -> SQLiteDatabase {
        try OutputDatabase.open(path).db
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
