import CSQLite
import Foundation

/// A developer's view of where SQLite spends a run's time: with `TRIBUTARY_SQL_PROFILE=1` in the
/// environment, every statement's run time (first step to reset, as SQLite's profile trace
/// measures it) is summed by SQL text, and the slowest are printed to standard error when the
/// process exits. Off by default; it costs a callback per statement run.
final class StatementProfile: @unchecked Sendable {
    static let enabled = ProcessInfo.processInfo.environment["TRIBUTARY_SQL_PROFILE"] == "1"
    static let shared = StatementProfile()

    private let lock = NSLock()
    private var totals: [String: (runs: Int, nanoseconds: UInt64)] = [:]
    private var laps: [(label: String, seconds: Double)] = []
    private var lastLap = Date()

    /// Marks the end of a step of a stage (`identity: keys read`): printed with the time since
    /// the previous mark. Nothing happens unless the profile is enabled.
    static func lap(_ label: @autoclosure () -> String) {
        guard enabled else { return }
        shared.lock.lock()
        defer { shared.lock.unlock() }
        let now = Date()
        shared.laps.append((label(), now.timeIntervalSince(shared.lastLap)))
        shared.lastLap = now
    }

    private init() {
        atexit { StatementProfile.shared.report() }
    }

    func attach(_ db: OpaquePointer) {
        sqlite3_trace_v2(db, UInt32(SQLITE_TRACE_PROFILE), { _, _, statement, nanoseconds in
            guard let statement, let nanoseconds,
                  let sql = sqlite3_sql(OpaquePointer(statement)) else { return 0 }
            let text = String(cString: sql)
            let elapsed = nanoseconds.assumingMemoryBound(to: UInt64.self).pointee
            StatementProfile.shared.add(text, elapsed)
            return 0
        }, nil)
    }

    private func add(_ sql: String, _ nanoseconds: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        var entry = totals[sql] ?? (0, 0)
        entry.runs += 1
        entry.nanoseconds += nanoseconds
        totals[sql] = entry
    }

    private func report() {
        lock.lock()
        defer { lock.unlock() }
        let slowest = totals.sorted { $0.value.nanoseconds > $1.value.nanoseconds }.prefix(40)
        var out = "Steps (wall seconds since the previous mark):\n"
        for (label, seconds) in laps { out += String(format: "%8.3f s  ", seconds) + label + "\n" }
        out += "SQL profile (statements by total time):\n"
        for (sql, entry) in slowest {
            let flat = sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            out += String(format: "%8.3f s %8d× ", Double(entry.nanoseconds) / 1e9, entry.runs) + flat.prefix(160) + "\n"
        }
        FileHandle.standardError.write(out.data(using: .utf8)!)
    }
}
