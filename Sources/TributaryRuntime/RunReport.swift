import CSQLite
import Foundation

/// What the HTML run report shows, read from an output database (and its failed-run log) or
/// from a failed run. Only names, counts, timings and fingerprints: never a customer value.
public struct RunReport: Sendable {
    public struct Stage: Sendable, Equatable {
        public var name: String
        public var wallMs: Double
        public var cpuMs: Double
        public var peakRSSBytes: Int?
        public var recordsIn: Int
        public var recordsOut: Int

        public init(name: String, wallMs: Double, cpuMs: Double, peakRSSBytes: Int?, recordsIn: Int, recordsOut: Int) {
            self.name = name
            self.wallMs = wallMs
            self.cpuMs = cpuMs
            self.peakRSSBytes = peakRSSBytes
            self.recordsIn = recordsIn
            self.recordsOut = recordsOut
        }
    }

    public struct Input: Sendable, Equatable {
        public var source: String
        public var path: String
        public var sizeBytes: Int
        public var sha256: String
        public var records = 0, loaded = 0, quarantined = 0, filtered = 0, duplicates = 0
    }

    public struct QuarantineCount: Sendable, Equatable {
        public var source: String
        public var file: String
        public var reason: String
        public var records: Int
    }

    public struct Counter: Sendable, Equatable {
        public var source: String
        public var name: String
        public var value: Int
    }

    /// A labelled count, a bar of a chart.
    public struct Bin: Sendable, Equatable {
        public var label: String
        public var count: Int
    }

    public struct Identity: Sendable, Equatable {
        public var profiles = 0
        public var records = 0
        /// Records that joined no profile: no identifier value, no probabilistic link.
        public var unidentified = 0
        /// Profiles kept but not identified (`profiles.identified` = 0): visitor devices, and with
        /// `attributes_identify: false` profiles known only by a name. In no segment by default.
        public var notIdentified = 0
        public var clusterSizes: [Bin] = []
        public var sourceMixes: [Bin] = []
        public var linkedBy: [Bin] = []
        public var refusals: [Bin] = []
        public var idChanges: [Bin] = []
        public var goldenAttributes: [Bin] = []
    }

    public struct Matching: Sendable, Equatable {
        public var pairs = 0
        public var weights: [Bin] = []
        public var probabilities: [Bin] = []
    }

    public struct Segment: Sendable, Equatable {
        public var name: String
        public var members: Int
        public var entered: Int
        public var exited: Int
    }

    public struct HistoryRun: Sendable, Equatable {
        public var runID: Int
        public var startedAt: String
        public var status: String
        public var seconds: Double?
        public var records: Int?
        public var loaded: Int?
        public var quarantined: Int?
        public var peakRSSBytes: Int?
        public var note: String
        /// The profiles identity resolution made (its stage's records out); nil without one.
        public var profiles: Int? = nil
    }

    public var database: String
    public var pipeline = ""
    public var pipelineFile = ""
    public var pipelineSHA256 = ""
    public var version = ""
    public var runID = 0
    public var status = ""
    public var startedAt = ""
    public var finishedAt: String?
    public var durationSeconds: Double?
    public var jobs = 0
    /// For a failed run: the kind (`gate_failed`, `input`, ...) and one line per reason.
    public var failureKind: String?
    public var failureReasons: [String] = []
    public var stages: [Stage] = []
    public var inputs: [Input] = []
    public var quarantine: [QuarantineCount] = []
    public var counters: [Counter] = []
    public var reconciliationsPassed = 0
    public var reconciliationsFailed = 0
    public var identity: Identity?
    public var matching: Matching?
    /// The match model, every scored pair's weight, blocking and the largest profiles
    /// (`RunReport+Identity.swift`); nil without `identity:`.
    public var identityDetails: IdentityDetails?
    /// Null rates per source column and golden fill per field (`RunReport+Health.swift`).
    public var health: Health?
    /// What changed since the previous succeeded run (`RunReport+Changes.swift`); nil for a
    /// failed run.
    public var changes: Changes?
    /// nil when the output has no segment tables.
    public var segments: [Segment]?
    public var history: [HistoryRun] = []
    /// Remarks shown under the header (e.g. which run the published tables belong to).
    public var notes: [String] = []

    public init(database: String) { self.database = database }

    /// The report of `runID` (default: the latest published run) of the output at `database`.
    /// A failed run is read from `<database>.runs.jsonl`.
    public static func load(database: String, runID: Int? = nil) throws(RunError) -> RunReport {
        let failed = FailedRunLog(output: database).records()
        if let runID, let record = failed.last(where: { $0.runId == runID }) {
            return RunReport(failed: record, database: database)
        }
        let reader = try Reader(path: database)
        var report = RunReport(database: database)
        guard reader.has("runs") else { throw RunError.input("\(database) has no run ledger (runs table)") }
        let latest = try reader.int("SELECT coalesce(max(run_id), 0) FROM runs")
        let id = runID ?? latest
        guard try reader.int("SELECT count(*) FROM runs WHERE run_id = \(id)") == 1 else {
            throw RunError.input("\(database) has no run \(id)")
        }
        try report.readRun(reader, id: id)
        if id == latest {
            try report.readPublished(reader, id: id)
            report.identityDetails = try IdentityDetails.read(reader)
            report.health = try Health.read(reader)
        } else {
            report.notes.append("The published tables belong to run \(latest); quarantine, profiles, matching and segments are not shown for run \(id).")
        }
        report.history = try history(reader: reader, failed: failed)
        report.changes = Changes.read(database: database, runID: id)
        return report
    }

    /// The report of a run that failed: what it did before it stopped, and why.
    public init(failed record: FailedRunRecord, database: String) {
        self.database = database
        pipeline = record.pipeline
        pipelineFile = record.pipelineFile
        pipelineSHA256 = record.pipelineSha256
        version = record.tributaryVersion
        runID = record.runId
        status = record.status
        startedAt = record.startedAt
        finishedAt = record.finishedAt
        durationSeconds = Self.seconds(from: record.startedAt, to: record.finishedAt)
        jobs = record.jobs
        failureKind = record.failure
        failureReasons = record.reasons
        stages = record.stages.sorted { $0.startedAt < $1.startedAt }.map {
            Stage(name: $0.stage, wallMs: $0.wallMs, cpuMs: $0.cpuMs, peakRSSBytes: $0.peakRssBytes,
                  recordsIn: $0.recordsIn, recordsOut: $0.recordsOut)
        }
        inputs = record.inputs.map {
            Input(source: $0.source, path: $0.path, sizeBytes: $0.sizeBytes, sha256: $0.sha256, records: $0.records,
                  loaded: $0.loaded, quarantined: $0.quarantined, filtered: $0.filtered, duplicates: $0.duplicates)
        }
        quarantine = record.inputs.flatMap { input in
            input.quarantinedByReason.sorted { $0.key < $1.key }.map {
                QuarantineCount(source: input.source, file: input.path, reason: $0.key, records: $0.value)
            }
        }
        counters = record.counters.sorted { $0.key < $1.key }.flatMap { source, values in
            values.sorted { $0.key < $1.key }.map { Counter(source: source, name: $0.key, value: $0.value) }
        }
        notes.append("This run did not publish: the previous output stays as it was.")
        let failed = FailedRunLog(output: database).records()
        if let reader = try? Reader(path: database), reader.has("runs") {
            history = (try? Self.history(reader: reader, failed: failed)) ?? []
        } else {
            history = Self.history(published: [], failed: failed)
        }
        if !history.contains(where: { $0.runID == runID }) {
            history.insert(Self.historyRun(record), at: 0)
        }
    }

    // MARK: - Reading the database

    private mutating func readRun(_ db: Reader, id: Int) throws(RunError) {
        let row = try db.rows("""
            SELECT pipeline, pipeline_file, pipeline_sha256, tributary_version, started_at, finished_at, status, jobs
            FROM runs WHERE run_id = \(id)
            """)[0]
        runID = id
        pipeline = row[0].text ?? ""
        pipelineFile = row[1].text ?? ""
        pipelineSHA256 = row[2].text ?? ""
        version = row[3].text ?? ""
        startedAt = row[4].text ?? ""
        finishedAt = row[5].text
        status = row[6].text ?? ""
        jobs = row[7].int ?? 0
        durationSeconds = finishedAt.flatMap { Self.seconds(from: startedAt, to: $0) }
        if db.has("run_stages") {
            let peak = db.columns("run_stages").contains("peak_rss_bytes") ? "peak_rss_bytes" : "NULL"
            stages = try db.rows("""
                SELECT stage, wall_ms, cpu_ms, \(peak), records_in, records_out FROM run_stages
                WHERE run_id = \(id) ORDER BY started_at, rowid
                """).map {
                Stage(name: $0[0].text ?? "", wallMs: $0[1].double ?? 0, cpuMs: $0[2].double ?? 0, peakRSSBytes: $0[3].int,
                      recordsIn: $0[4].int ?? 0, recordsOut: $0[5].int ?? 0)
            }
        }
        if db.has("run_inputs") {
            let duplicates = db.columns("run_inputs").contains("duplicates") ? "duplicates" : "0"
            inputs = try db.rows("""
                SELECT source, path, size_bytes, sha256, records, loaded, quarantined, filtered, \(duplicates)
                FROM run_inputs WHERE run_id = \(id) ORDER BY file_id
                """).map {
                Input(source: $0[0].text ?? "", path: $0[1].text ?? "", sizeBytes: $0[2].int ?? 0, sha256: $0[3].text ?? "",
                      records: $0[4].int ?? 0, loaded: $0[5].int ?? 0, quarantined: $0[6].int ?? 0,
                      filtered: $0[7].int ?? 0, duplicates: $0[8].int ?? 0)
            }
        }
        if db.has("run_counters") {
            counters = try db.rows("SELECT source, counter, value FROM run_counters WHERE run_id = \(id) ORDER BY source, counter").map {
                Counter(source: $0[0].text ?? "", name: $0[1].text ?? "", value: $0[2].int ?? 0)
            }
        }
    }

    /// The tables that hold only the published run's data.
    private mutating func readPublished(_ db: Reader, id: Int) throws(RunError) {
        if db.has("quarantine") {
            quarantine = try db.rows("""
                SELECT source, file, reason, count(*) FROM quarantine WHERE run_id = \(id)
                GROUP BY source, file_id, reason ORDER BY source, file_id, reason
                """).map { QuarantineCount(source: $0[0].text ?? "", file: $0[1].text ?? "", reason: $0[2].text ?? "", records: $0[3].int ?? 0) }
        }
        if db.has("reconciliations") {
            reconciliationsPassed = try db.int("SELECT count(*) FROM reconciliations WHERE run_id = \(id) AND passed = 1")
            reconciliationsFailed = try db.int("SELECT count(*) FROM reconciliations WHERE run_id = \(id) AND passed = 0")
        }
        if db.has("profiles") {
            var identity = Identity()
            identity.profiles = try db.int("SELECT count(*) FROM profiles")
            identity.records = try db.int("SELECT coalesce(sum(records), 0) FROM profiles")
            let sizes = try db.rows("SELECT records, count(*) FROM profiles GROUP BY records ORDER BY records")
                .map { (size: $0[0].int ?? 0, count: $0[1].int ?? 0) }
            identity.clusterSizes = Self.sizeBins(sizes)
            identity.sourceMixes = try db.bins("SELECT sources, count(*) FROM profiles GROUP BY sources ORDER BY 2 DESC, 1 LIMIT 12")
            if db.columns("profiles").contains("identified") {
                identity.notIdentified = try db.int("SELECT count(*) FROM profiles WHERE identified = 0")
            }
            if db.has("profile_records") {
                identity.linkedBy = try db.bins("""
                    SELECT CASE WHEN profile_id IS NULL THEN '(no profile: no identifier, no link)'
                                ELSE coalesce(linked_by, '(founded a profile)') END, count(*) FROM profile_records
                    GROUP BY 1 ORDER BY 2 DESC, 1
                    """)
                identity.unidentified = try db.int("SELECT count(*) FROM profile_records WHERE profile_id IS NULL")
            }
            if db.has("identity_refusals") {
                identity.refusals = try db.bins("SELECT reason, count(*) FROM identity_refusals GROUP BY reason ORDER BY reason")
            }
            if db.has("profile_id_changes") {
                identity.idChanges = try db.bins("SELECT change, count(*) FROM profile_id_changes WHERE run_id = \(id) GROUP BY change ORDER BY change")
            }
            if db.has("golden_values") {
                identity.goldenAttributes = try db.bins("SELECT attribute, count(*) FROM golden_values GROUP BY attribute ORDER BY attribute")
            }
            self.identity = identity
        }
        if db.has("match_evidence") {
            var matching = Matching()
            matching.pairs = try db.int("SELECT count(*) FROM match_evidence")
            if matching.pairs > 0 {
                // floor(weight) without SQLite's optional math functions (weights are far above -1000).
                let weights = try db.rows("""
                    SELECT CAST(weight + 1000 AS INTEGER) - 1000 AS w, count(*) FROM match_evidence GROUP BY w ORDER BY w
                    """).map { (lower: $0[0].int ?? 0, count: $0[1].int ?? 0) }
                matching.weights = Self.weightBins(weights)
                var probabilities = [Int](repeating: 0, count: 20)
                for row in try db.rows("SELECT min(CAST(probability * 20 AS INTEGER), 19), count(*) FROM match_evidence GROUP BY 1") {
                    probabilities[max(0, min(19, row[0].int ?? 0))] += row[1].int ?? 0
                }
                let first = probabilities.firstIndex { $0 > 0 } ?? 0
                matching.probabilities = (first..<20).map {
                    Bin(label: String(format: "%.2f", Double($0) / 20), count: probabilities[$0])
                }
            }
            self.matching = matching
        }
        if db.has("segment_membership") {
            var byName: [String: Segment] = [:]
            if db.has("segments") {  // every defined segment, the empty ones too
                for row in try db.rows("SELECT segment FROM segments") {
                    let name = row[0].text ?? ""
                    byName[name] = Segment(name: name, members: 0, entered: 0, exited: 0)
                }
            }
            for row in try db.rows("SELECT segment, count(*) FROM segment_membership GROUP BY segment") {
                let name = row[0].text ?? ""
                byName[name] = Segment(name: name, members: row[1].int ?? 0, entered: 0, exited: 0)
            }
            if db.has("segment_changes") {
                for row in try db.rows("""
                    SELECT segment, sum(change = 'entered'), sum(change = 'exited') FROM segment_changes
                    WHERE run_id = \(id) GROUP BY segment
                    """) {
                    let name = row[0].text ?? ""
                    byName[name, default: Segment(name: name, members: 0, entered: 0, exited: 0)].entered = row[1].int ?? 0
                    byName[name]!.exited = row[2].int ?? 0
                }
            }
            segments = byName.values.sorted { $0.name < $1.name }
        }
    }

    private static func history(reader: Reader, failed: [FailedRunRecord]) throws(RunError) -> [HistoryRun] {
        let peak = reader.has("run_stages") && reader.columns("run_stages").contains("peak_rss_bytes")
            ? "(SELECT max(peak_rss_bytes) FROM run_stages s WHERE s.run_id = runs.run_id)" : "NULL"
        let profiles = reader.has("run_stages")
            ? "(SELECT max(records_out) FROM run_stages s WHERE s.run_id = runs.run_id AND s.stage = 'identity')" : "NULL"
        let published = try reader.rows("""
            SELECT run_id, started_at, status, (julianday(finished_at) - julianday(started_at)) * 86400,
                   records_read, records_loaded, records_quarantined, \(peak), \(profiles)
            FROM runs ORDER BY run_id DESC LIMIT 20
            """).map {
            HistoryRun(runID: $0[0].int ?? 0, startedAt: $0[1].text ?? "", status: $0[2].text ?? "", seconds: $0[3].double,
                       records: $0[4].int, loaded: $0[5].int, quarantined: $0[6].int, peakRSSBytes: $0[7].int, note: "",
                       profiles: $0[8].int)
        }
        return history(published: published, failed: failed)
    }

    /// Published and failed runs, newest first, at most 20.
    static func history(published: [HistoryRun], failed: [FailedRunRecord]) -> [HistoryRun] {
        let all = published + failed.map(historyRun)
        return Array(all.sorted { ($0.startedAt, $0.runID) > ($1.startedAt, $1.runID) }.prefix(20))
    }

    static func historyRun(_ r: FailedRunRecord) -> HistoryRun {
        HistoryRun(runID: r.runId, startedAt: r.startedAt, status: r.status, seconds: seconds(from: r.startedAt, to: r.finishedAt),
                   records: r.recordsRead, loaded: r.recordsLoaded, quarantined: r.recordsQuarantined,
                   peakRSSBytes: r.stages.map(\.peakRssBytes).max(), note: r.failure + ": " + (r.reasons.first ?? ""))
    }

    static func seconds(from start: String, to end: String) -> Double? {
        let iso = ISO8601.formatter
        guard let a = iso.date(from: start), let b = iso.date(from: end) else { return nil }
        return b.timeIntervalSince(a)
    }

    /// Cluster sizes in bins doubling in width (a log scale): 1, 2, 3-4, 5-8, 9-16, ... up to
    /// the bin of the largest profile.
    static func sizeBins(_ sizes: [(size: Int, count: Int)]) -> [Bin] {
        guard let largest = sizes.map(\.size).max(), largest >= 1 else { return [] }
        var ranges: [ClosedRange<Int>] = [1...1]
        while ranges.last!.upperBound < largest {
            let low = ranges.last!.upperBound + 1
            ranges.append(low...max(low, 2 * ranges.last!.upperBound))
        }
        return ranges.map { range in
            Bin(label: range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)",
                count: sizes.filter { range.contains($0.size) }.reduce(0) { $0 + $1.count })
        }
    }

    /// Weight bins one unit wide from the smallest to the largest weight (wider when there are
    /// more than 40 of them).
    static func weightBins(_ floors: [(lower: Int, count: Int)]) -> [Bin] {
        guard let low = floors.map(\.lower).min(), let high = floors.map(\.lower).max() else { return [] }
        let width = max(1, (high - low + 40) / 40)
        var bins: [Bin] = []
        var start = low
        while start <= high {
            let end = start + width
            let count = floors.filter { $0.lower >= start && $0.lower < end }.reduce(0) { $0 + $1.count }
            bins.append(Bin(label: width == 1 ? "\(start)" : "\(start)–\(end)", count: count))
            start = end
        }
        return bins
    }
}

/// Read-only queries for the report; every value as a `Value`.
struct Reader {
    struct Value {
        var text: String?
        var int: Int?
        var double: Double?
    }

    let db: SQLiteDatabase
    let tables: Set<String>

    init(path: String) throws(RunError) {
        (db, tables) = try OutputDatabase.open(path)
    }

    func has(_ table: String) -> Bool { tables.contains(table) }

    func columns(_ table: String) -> Set<String> {
        guard let s = try? db.prepare("SELECT name FROM pragma_table_info('\(table)')") else { return [] }
        var names = Set<String>()
        while (try? s.next()) == true { if let name = s.text(0) { names.insert(name) } }
        return names
    }

    func rows(_ sql: String) throws(RunError) -> [[Value]] {
        let s = try db.prepare(sql)
        var rows: [[Value]] = []
        while try s.next() {
            rows.append((0..<Int32(s.columnCount)).map { i in
                if sqlite3_column_type(s.raw, i) == SQLITE_NULL { return Value() }
                return Value(text: s.text(i), int: s.int(i), double: sqlite3_column_double(s.raw, i))
            })
        }
        return rows
    }

    func int(_ sql: String) throws(RunError) -> Int {
        try rows(sql).first?.first?.int ?? 0
    }

    func bins(_ sql: String) throws(RunError) -> [RunReport.Bin] {
        try rows(sql).map { RunReport.Bin(label: $0[0].text ?? "", count: $0[1].int ?? 0) }
    }
}
