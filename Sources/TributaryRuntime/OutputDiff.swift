import Foundation

/// `pipeline diff`: what changed between two runs of an output ("what changed since last
/// night?"), from its ledger: input files added, removed and changed (by SHA-256), records
/// loaded and quarantined per source, profiles, merges and splits, segment entries and exits,
/// quarantine by reason. Counts, file paths and profile counts only; never a customer value.
public struct OutputDiff: Sendable, Encodable {
    public struct Run: Sendable, Encodable {
        public var runID: Int
        public var startedAt: String
        public var asOf: String?
        public var status: String
        /// The profiles identity resolution made in that run (nil without `identity:`).
        public var profiles: Int?

        enum CodingKeys: String, CodingKey {
            case runID = "run_id", startedAt = "started_at", asOf = "as_of", status, profiles
        }
    }

    public struct File: Sendable, Encodable {
        public var source: String
        public var path: String
        /// Records loaded from it in the `from` run (removed, changed) or the `to` run (added, changed).
        public var loadedBefore: Int?
        public var loadedAfter: Int?

        enum CodingKeys: String, CodingKey {
            case source, path, loadedBefore = "loaded_before", loadedAfter = "loaded_after"
        }
    }

    public struct Count: Sendable, Encodable {
        public var name: String
        public var before: Int
        public var after: Int
    }

    public struct SegmentChange: Sendable, Encodable {
        public var segment: String
        public var entered: Int
        public var exited: Int
    }

    public var from: Run
    public var to: Run
    public var added: [File] = []
    public var removed: [File] = []
    public var changed: [File] = []
    public var unchangedFiles = 0
    /// Records loaded per source, and quarantined per source.
    public var loaded: [Count] = []
    public var quarantined: [Count] = []
    /// Profiles whose id came from more than one previous profile (`merged_from`) or whose
    /// previous profile was divided (`split_from`), in the runs after `from` up to `to`.
    public var merges = 0
    public var splits = 0
    public var segments: [SegmentChange] = []
    /// Quarantined records by `source reason`; nil when a run predates the per-run record.
    public var quarantineByReason: [Count]?

    enum CodingKeys: String, CodingKey {
        case from, to, added, removed, changed, unchangedFiles = "unchanged_files", loaded, quarantined, merges, splits,
             segments, quarantineByReason = "quarantine_by_reason"
    }

    /// The difference between runs `from` and `to` of the output at `path` (by default the last
    /// run and the succeeded run before it).
    public static func between(path: String, from: Int?, to: Int?) throws(RunError) -> OutputDiff {
        let (db, tables) = try OutputDatabase.open(path)
        let succeeded = try db.strings("SELECT run_id FROM runs WHERE status = 'succeeded' ORDER BY run_id").compactMap { Int($0) }
        guard let last = succeeded.last else {
            throw OutputDatabase.mistake("\(path) holds no succeeded run", hint: "`pipeline runs \(path)` lists its runs")
        }
        let toRun = to ?? last
        guard let fromRun = from ?? succeeded.last(where: { $0 < toRun }) else {
            throw OutputDatabase.mistake("run \(toRun) is the first run of \(path): there is nothing to compare it with",
                                         hint: "run the pipeline again, or give --from and --to")
        }
        for run in [fromRun, toRun] where !succeeded.contains(run) {
            throw OutputDatabase.mistake("\(path) has no succeeded run \(run)", hint: "`pipeline runs \(path)` lists its runs")
        }
        func run(_ id: Int) throws(RunError) -> Run {
            let row = try db.prepare("SELECT started_at, as_of, status FROM runs WHERE run_id = \(id)")
            _ = try row.next()
            let profiles = try db.strings("SELECT records_out FROM run_stages WHERE run_id = \(id) AND stage = 'identity'").first.flatMap { Int($0) }
            return Run(runID: id, startedAt: row.text(0) ?? "", asOf: row.text(1),
                       status: row.text(2) ?? "", profiles: profiles)
        }
        var diff = OutputDiff(from: try run(fromRun), to: try run(toRun))

        // Files by source and path, compared by content.
        struct Input { var sha: String; var loaded: Int; var quarantined: Int }
        func inputs(_ id: Int) throws(RunError) -> [String: (source: String, path: String, input: Input)] {
            let rows = try db.prepare("SELECT source, path, sha256, loaded, quarantined FROM run_inputs WHERE run_id = \(id)")
            var map: [String: (String, String, Input)] = [:]
            while try rows.next() {
                let source = rows.text(0) ?? "", path = rows.text(1) ?? ""
                map[source + "\u{1F}" + path] = (source, path, Input(sha: rows.text(2) ?? "", loaded: rows.int(3), quarantined: rows.int(4)))
            }
            return map
        }
        let before = try inputs(fromRun), after = try inputs(toRun)
        for key in after.keys.sorted() {
            let (source, path, input) = after[key]!
            if let old = before[key] {
                if old.input.sha != input.sha {
                    diff.changed.append(File(source: source, path: path, loadedBefore: old.input.loaded, loadedAfter: input.loaded))
                } else {
                    diff.unchangedFiles += 1
                }
            } else {
                diff.added.append(File(source: source, path: path, loadedBefore: nil, loadedAfter: input.loaded))
            }
        }
        for key in before.keys.sorted() where after[key] == nil {
            let (source, path, input) = before[key]!
            diff.removed.append(File(source: source, path: path, loadedBefore: input.loaded, loadedAfter: nil))
        }
        let sources = Set(before.values.map(\.source)).union(after.values.map(\.source)).sorted()
        for source in sources {
            let b = before.values.filter { $0.source == source }, a = after.values.filter { $0.source == source }
            diff.loaded.append(Count(name: source, before: b.reduce(0) { $0 + $1.input.loaded }, after: a.reduce(0) { $0 + $1.input.loaded }))
            diff.quarantined.append(Count(name: source, before: b.reduce(0) { $0 + $1.input.quarantined },
                                          after: a.reduce(0) { $0 + $1.input.quarantined }))
        }

        // Identity and segments: the changes recorded by the runs after `from`, up to `to`.
        if tables.contains("profile_id_changes") {
            let rows = try db.prepare("SELECT change, count(*) FROM profile_id_changes WHERE run_id > \(fromRun) AND run_id <= \(toRun) GROUP BY change")
            while try rows.next() {
                if rows.text(0) == "merged_from" { diff.merges = rows.int(1) }
                if rows.text(0) == "split_from" { diff.splits = rows.int(1) }
            }
        }
        if tables.contains("segment_changes") {
            let rows = try db.prepare("""
                SELECT segment, sum(change = 'entered'), sum(change = 'exited') FROM segment_changes
                WHERE run_id > \(fromRun) AND run_id <= \(toRun) GROUP BY segment ORDER BY segment
                """)
            while try rows.next() {
                diff.segments.append(SegmentChange(segment: rows.text(0) ?? "", entered: rows.int(1), exited: rows.int(2)))
            }
        }
        if tables.contains("run_quarantine") {
            let recorded = Set(try db.strings("SELECT DISTINCT run_id FROM run_quarantine").compactMap { Int($0) })
            // A run is known when it recorded its reasons, or quarantined nothing.
            let before = diff.quarantined.reduce(0) { $0 + $1.before }, after = diff.quarantined.reduce(0) { $0 + $1.after }
            if (recorded.contains(fromRun) || before == 0) && (recorded.contains(toRun) || after == 0) {
                let rows = try db.prepare("""
                    SELECT source || ' ' || reason, sum(CASE WHEN run_id = \(fromRun) THEN records ELSE 0 END),
                           sum(CASE WHEN run_id = \(toRun) THEN records ELSE 0 END)
                    FROM run_quarantine WHERE run_id IN (\(fromRun), \(toRun)) GROUP BY source, reason ORDER BY source, reason
                    """)
                var counts: [Count] = []
                while try rows.next() { counts.append(Count(name: rows.text(0) ?? "", before: rows.int(1), after: rows.int(2))) }
                diff.quarantineByReason = counts
            }
        }
        return diff
    }

    /// The difference as text, one section per question.
    public static func text(_ d: OutputDiff) -> String {
        func g(_ n: Int) -> String { ProgressReporter.grouped(n) }
        func delta(_ before: Int, _ after: Int) -> String {
            after == before ? "\(g(after)) (same)" : "\(g(before)) → \(g(after)) (\(after > before ? "+" : "−")\(g(abs(after - before))))"
        }
        var out = "run \(d.from.runID) → run \(d.to.runID)"
        if let a = d.from.asOf, let b = d.to.asOf { out += " (as of \(a) → \(b))" }
        out += "\n\ninputs: \(d.added.count) added, \(d.removed.count) removed, \(d.changed.count) changed, \(d.unchangedFiles) unchanged\n"
        for f in d.added { out += "  + \(f.source)  \(f.path)  (\(g(f.loadedAfter ?? 0)) loaded)\n" }
        for f in d.removed { out += "  - \(f.source)  \(f.path)  (\(g(f.loadedBefore ?? 0)) loaded before)\n" }
        for f in d.changed { out += "  ~ \(f.source)  \(f.path)  (loaded \(delta(f.loadedBefore ?? 0, f.loadedAfter ?? 0)))\n" }
        out += "\nrecords loaded:\n"
        for c in d.loaded { out += "  \(c.name)  \(delta(c.before, c.after))\n" }
        out += "records quarantined:\n"
        for c in d.quarantined { out += "  \(c.name)  \(delta(c.before, c.after))\n" }
        if let reasons = d.quarantineByReason, !reasons.isEmpty {
            out += "quarantined by reason:\n"
            for c in reasons where c.before != c.after || c.after > 0 { out += "  \(c.name)  \(delta(c.before, c.after))\n" }
        }
        if let a = d.from.profiles, let b = d.to.profiles {
            out += "\nprofiles: \(delta(a, b)); \(g(d.merges)) merged from several, \(g(d.splits)) split\n"
        }
        if !d.segments.isEmpty {
            out += "\nsegments (entered / exited since run \(d.from.runID)):\n"
            for s in d.segments { out += "  \(s.segment)  +\(g(s.entered)) / −\(g(s.exited))\n" }
        }
        return out
    }
}
