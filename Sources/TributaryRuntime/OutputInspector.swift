import Foundation
import TributaryConfig

/// Read-only summaries of a published output database, for `pipeline inspect` and `pipeline runs`.
public enum OutputInspector {
    /// What `pipeline inspect` reports, as values: the text and the JSON are two renderings of it.
    /// A section is nil when the output has no such table (no `quarantine:` table, no identity, …).
    public struct Summary: Sendable, Encodable {
        public struct Table: Sendable, Encodable {
            public var name: String
            public var rows: Int
        }

        public struct Quarantined: Sendable, Encodable {
            public var source: String
            public var reason: String
            public var records: Int
        }

        public struct Refused: Sendable, Encodable {
            public var reason: String
            public var links: Int
        }

        public struct Profiles: Sendable, Encodable {
            public var profiles: Int
            public var records: Int
            /// Links refused by reason; nil for an output without `identity_refusals`.
            public var refused: [Refused]?

            public func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(profiles, forKey: .profiles)
                try c.encode(records, forKey: .records)
                try c.encode(refused, forKey: .refused)
            }

            enum CodingKeys: String, CodingKey { case profiles, records, refused }
        }

        public struct Segment: Sendable, Encodable {
            public var segment: String
            public var members: Int
            public var entered: Int
            public var exited: Int
        }

        public struct Export: Sendable, Encodable {
            public var export: String
            public var rows: Int
            public var path: String
        }

        public struct Reconciliations: Sendable, Encodable {
            public var passed: Int
            public var total: Int
        }

        /// The output, a PostgreSQL URL without its password.
        public var output: String
        public var tables: [Table]
        public var quarantine: [Quarantined]?
        public var profiles: Profiles?
        /// The `as_of` of the last run, which the segments were evaluated at.
        public var segmentsAsOf: String?
        public var segments: [Segment]?
        /// The exports of the last run that wrote any.
        public var exports: [Export]?
        public var reconciliations: Reconciliations?
        public var lastRun: Run?

        /// Every key, null when unknown, so a reader never has to tell "absent" from "none".
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(output, forKey: .output)
            try c.encode(tables, forKey: .tables)
            try c.encode(quarantine, forKey: .quarantine)
            try c.encode(profiles, forKey: .profiles)
            try c.encode(segmentsAsOf, forKey: .segmentsAsOf)
            try c.encode(segments, forKey: .segments)
            try c.encode(exports, forKey: .exports)
            try c.encode(reconciliations, forKey: .reconciliations)
            try c.encode(lastRun, forKey: .lastRun)
        }

        enum CodingKeys: String, CodingKey {
            case output, tables, quarantine, profiles, segmentsAsOf, segments, exports, reconciliations, lastRun
        }
    }

    /// One line of `pipeline runs`: a published run (`runs`) or a failed one (`<output>.runs.jsonl`).
    public struct Run: Sendable, Encodable {
        public var runID: Int
        public var startedAt: String
        public var status: String
        public var seconds: Double?
        public var recordsRead: Int?
        public var recordsLoaded: Int?
        public var recordsQuarantined: Int?
        public var peakRSSBytes: Int?
        /// Why a failed run failed; nil for a published run.
        public var note: String?

        init(_ r: RunReport.HistoryRun) {
            runID = r.runID
            startedAt = r.startedAt
            status = r.status
            seconds = r.seconds
            recordsRead = r.records
            recordsLoaded = r.loaded
            recordsQuarantined = r.quarantined
            peakRSSBytes = r.peakRSSBytes
            note = r.note.isEmpty ? nil : r.note
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(runID, forKey: .runID)
            try c.encode(startedAt, forKey: .startedAt)
            try c.encode(status, forKey: .status)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(recordsRead, forKey: .recordsRead)
            try c.encode(recordsLoaded, forKey: .recordsLoaded)
            try c.encode(recordsQuarantined, forKey: .recordsQuarantined)
            try c.encode(peakRSSBytes, forKey: .peakRSSBytes)
            try c.encode(note, forKey: .note)
        }

        enum CodingKeys: String, CodingKey {
            case runID = "run_id", startedAt, status, seconds, recordsRead, recordsLoaded, recordsQuarantined
            case peakRSSBytes = "peak_rss_bytes", note
        }
    }

    /// Tables with their row counts, quarantine by source and reason, profiles, reconciliations.
    public static func inspect(_ path: String) throws(RunError) -> String {
        text(try summary(path))
    }

    /// The values `inspect` prints.
    public static func summary(_ path: String) throws(RunError) -> Summary {
        let db = try open(path)
        let names = try strings(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        var s = Summary(output: PostgresURL.isURL(path) ? PostgresURL.redacted(path) : path, tables: [])
        for name in names {
            s.tables.append(.init(name: name, rows: try int(db, "SELECT count(*) FROM \(SQLiteWriter.quote(name))")))
        }
        let tables = Set(names)
        if tables.contains("quarantine") {
            s.quarantine = try rowsOf(db, "SELECT source, reason, count(*) FROM quarantine GROUP BY source, reason ORDER BY source, reason")
                .map { .init(source: $0[0], reason: $0[1], records: Int($0[2]) ?? 0) }
        }
        if tables.contains("profiles") {
            var profiles = Summary.Profiles(profiles: try int(db, "SELECT count(*) FROM profiles"),
                                            records: try int(db, "SELECT count(*) FROM profile_records"))
            if tables.contains("identity_refusals") {
                profiles.refused = try rowsOf(db, "SELECT reason, count(*) FROM identity_refusals GROUP BY reason ORDER BY reason")
                    .map { .init(reason: $0[0], links: Int($0[1]) ?? 0) }
            }
            s.profiles = profiles
        }
        if tables.contains("segments") {
            s.segmentsAsOf = tables.contains("runs") ? (try? strings(db, "SELECT as_of FROM runs ORDER BY run_id DESC LIMIT 1").first) ?? nil : nil
            s.segments = try rowsOf(db, "SELECT segment, members, entered, exited FROM segments ORDER BY segment").map { row in
                let n = row.map { Int($0) ?? 0 }
                return .init(segment: row[0], members: n[1], entered: n[2], exited: n[3])
            }
        }
        if tables.contains("exports") {
            s.exports = try rowsOf(db, "SELECT export, rows, path FROM exports WHERE run_id = (SELECT max(run_id) FROM exports) ORDER BY export")
                .map { .init(export: $0[0], rows: Int($0[1]) ?? 0, path: $0[2]) }
        }
        if tables.contains("reconciliations") {
            let failed = try int(db, "SELECT count(*) FROM reconciliations WHERE passed = 0")
            let total = try int(db, "SELECT count(*) FROM reconciliations")
            s.reconciliations = .init(passed: total - failed, total: total)
        }
        if tables.contains("runs") { s.lastRun = try history(path, limit: 1).first }
        return s
    }

    /// The terminal rendering of `summary`.
    public static func text(_ s: Summary) -> String {
        var out = "\(s.output)\n\ntables:\n"
        for table in s.tables {
            out += "  " + table.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                + ProgressReporter.grouped(table.rows) + (table.rows == 1 ? " row\n" : " rows\n")
        }
        if let rows = s.quarantine {
            out += "\nquarantine by source and reason:\n"
                + (rows.isEmpty ? "  none\n" : rows.map { "  \($0.source) \($0.reason): \(ProgressReporter.grouped($0.records))\n" }.joined())
        }
        if let p = s.profiles {
            out += "\nprofiles: \(ProgressReporter.grouped(p.profiles)) from \(ProgressReporter.grouped(p.records)) records"
            if let refused = p.refused, !refused.isEmpty {
                out += "; links refused: " + refused.map { "\($0.reason) \(ProgressReporter.grouped($0.links))" }.joined(separator: ", ")
            }
            out += "\n"
        }
        if let rows = s.segments {
            out += "\nsegments" + (s.segmentsAsOf.map { " as of \($0)" } ?? "") + ":\n"
                + (rows.isEmpty ? "  none\n" : rows.map { row in
                    // Grouped digits, and no sign: "1,204 profiles (1,204 entered, 0 exited)".
                    "  \(row.segment): \(ProgressReporter.grouped(row.members)) profile\(row.members == 1 ? "" : "s") "
                        + "(\(ProgressReporter.grouped(row.entered)) entered, \(ProgressReporter.grouped(row.exited)) exited)\n"
                }.joined())
        }
        if let rows = s.exports, !rows.isEmpty {
            out += "\nexports of the last run:\n" + rows.map { "  \($0.export): \(ProgressReporter.grouped($0.rows)) rows → \($0.path)\n" }.joined()
        }
        if let r = s.reconciliations, r.total > 0 { out += "\nreconciliations: \(r.passed) of \(r.total) passed\n" }
        if let run = s.lastRun { out += "\n" + text([run]) }
        return out
    }

    /// The most recent runs, newest first: the published ones (`runs`) and the failed ones
    /// (`<output>.runs.jsonl`), with each run's peak memory and, for a failed run, why it failed.
    public static func runs(_ path: String, limit: Int = 20) throws(RunError) -> String {
        text(try history(path, limit: limit))
    }

    /// The runs `runs` prints, newest first.
    public static func history(_ path: String, limit: Int = 20) throws(RunError) -> [Run] {
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
        return RunReport.history(published: published, failed: failed).prefix(limit).map(Run.init)
    }

    /// The table `runs` prints.
    public static func text(_ rows: [Run]) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count), withPad: " ", startingAt: 0) }
        var out = "run  started                   status     seconds   read       loaded     quarantined  peak_mib  note\n"
        for r in rows {
            let seconds = r.seconds.map { String(format: "%.2f", $0) } ?? ""
            let peak = r.peakRSSBytes.map { String(format: "%.1f", Double($0) / 1_048_576) } ?? ""
            let line = pad("\(r.runID)", 4) + " " + pad(r.startedAt, 25) + " " + pad(r.status, 10) + " " + pad(seconds, 9) + " "
                + pad(r.recordsRead.map(ProgressReporter.grouped) ?? "", 10) + " " + pad(r.recordsLoaded.map(ProgressReporter.grouped) ?? "", 10) + " "
                + pad(r.recordsQuarantined.map(ProgressReporter.grouped) ?? "", 12) + " " + pad(peak, 9) + " " + (r.note ?? "")
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
