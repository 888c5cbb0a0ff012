import Foundation
import TributaryConfig
import TributaryCore

/// Activities, traits, segments and exports: the audience stages, over the storage seam. They
/// run the pipeline's SQL (activity kinds, trait aggregates, segment conditions) in the store's
/// dialect, with the time functions (`as_of()`, `within_days`, ...) the store provides for `asOf`.
/// Segment changes follow people across merges and splits through `history`, the previous
/// output's lineage and members.
struct AudienceStage {
    let audience: AudienceDefinition
    let tables: [SourceTable]
    let asOf: AsOf
    let runID: Int
    let history: OutputHistory

    /// Runs the stages; returns what they produced and the export files staged beside their
    /// targets (published by `ExportFile.publish(_:runID:)` after the output).
    func run(on store: StageStore) throws(RunError) -> (AudienceSummary, [ExportFile]) {
        try store.prepareTimeFunctions(asOf: asOf)
        var summary = AudienceSummary()
        var watch = Stopwatch()
        let profiles = try count("profiles", in: store)
        if !audience.activities.isEmpty {
            summary = try buildActivities(on: store)
            summary.stages.append(watch.lap("activities", recordsIn: 0, recordsOut: summary.activityCount))
            summary.traits = try computeTraits(on: store)
            summary.stages.append(watch.lap("traits", recordsIn: summary.activityCount, recordsOut: profiles))
        }
        if !audience.segments.isEmpty {
            summary.segments = try evaluateSegments(on: store)
            summary.stages.append(watch.lap("segments", recordsIn: profiles, recordsOut: summary.segments.reduce(0) { $0 + $1.members }))
        }
        var files: [ExportFile] = []
        if !audience.exports.isEmpty {
            files = try writeExports(on: store)
            summary.stages.append(watch.lap("exports", recordsIn: profiles, recordsOut: files.reduce(0) { $0 + $1.rows }))
        }
        return (summary, files)
    }

    func count(_ table: String, in store: StageStore) throws(RunError) -> Int {
        let statement = try store.scan("SELECT count(*) FROM \(store.dialect.quote(table))")
        return try statement.next() ? statement.int(0) : 0
    }

    /// The SELECT that maps one source's records to activities: the source table joined to its
    /// profiles, exposed as a subquery so expressions see exactly the source's fields.
    static func activitySelect(_ activity: ActivityDefinition, table: SourceTable) -> String {
        let source = table.source.replacingOccurrences(of: "'", with: "''")
        let kinds = activity.kinds.map { "WHEN (\($0.when.text)) THEN '\($0.name)'" }.joined(separator: " ")
        let key = activity.key.map { "CAST((\($0.text)) AS TEXT)" } ?? "CAST(_record_id AS TEXT)"
        let order = activity.order.map { "CAST((\($0.text)) AS TEXT)" } ?? "NULL"
        let amount = activity.amountCents.map { "CAST((\($0.text)) AS INTEGER)" } ?? "NULL"
        return """
            SELECT _profile_id, '\(source)', _record_id, CASE \(kinds) END AS _kind, \(instantSQL(activity.at, table: table)),
                   \(amount), \(key) AS _key, coalesce(\(order), \(key))
            FROM (SELECT s.*, r.profile_id AS _profile_id FROM \(quoteIdentifier(table.tableName)) s
                  JOIN profile_records r ON r.source = '\(source)' AND r.record_id = s._record_id)
            """
    }

    /// `at` in the stored form: a timestamp field as it is, a date field at midnight UTC, any
    /// other expression through `utc_instant`.
    static func instantSQL(_ at: SQLExpression, table: SourceTable) -> String {
        let name = at.text.trimmingCharacters(in: .whitespaces)
        if let index = table.fields.firstIndex(of: name) {
            switch table.types[index] {
            case .timestamp: return quoteIdentifier(name)
            case .date: return "\(quoteIdentifier(name)) || 'T00:00:00.000Z'"
            default: break
            }
        }
        return "utc_instant(\(at.text))"
    }

    /// The `activities` table (also built, empty, by `AudienceChecker`).
    static let activitiesSchema = """
        CREATE TABLE activities (
          activity_id INTEGER PRIMARY KEY,
          profile_id TEXT,
          source TEXT NOT NULL,
          record_id INTEGER NOT NULL,
          kind TEXT NOT NULL,
          at TEXT,
          amount_cents INTEGER,
          record_key TEXT,
          order_id TEXT
        );
        """

    /// Writes `activities`: every record of the declared sources whose kind condition holds,
    /// with its profile, instant, amount and key.
    func buildActivities(on store: StageStore) throws(RunError) -> AudienceSummary {
        var summary = AudienceSummary()
        try store.execute(Self.activitiesSchema)
        let tableBySource = Dictionary(uniqueKeysWithValues: tables.map { ($0.source, $0) })
        // Each source's activities take the next ids: counted by kind over that range (a GROUP BY
        // over the whole table sorted all of them, 0.37 s of 1.5 at 100k Acme customers).
        var ranges: [(activity: ActivityDefinition, after: Int, last: Int)] = []
        for activity in audience.activities {
            guard let table = tableBySource[activity.source] else { continue }
            let after = try lastActivityID(store)
            try store.execute("""
                INSERT INTO activities (profile_id, source, record_id, kind, at, amount_cents, record_key, order_id)
                SELECT * FROM (\(Self.activitySelect(activity, table: table))) WHERE _kind IS NOT NULL
                """)
            ranges.append((activity, after, try lastActivityID(store)))
        }
        for (activity, after, last) in ranges where last > after {
            let kinds = activity.kinds.map { Array($0.name.utf8) }
            var counts = [Int](repeating: 0, count: kinds.count)
            let rows = try store.scan("SELECT kind, at IS NULL FROM activities WHERE activity_id > \(after) AND activity_id <= \(last)")
            while try rows.next() {
                guard let kind = rows.textBytes(0), let k = kinds.firstIndex(where: { $0.elementsEqual(kind) }) else { continue }
                counts[k] += 1
                summary.activitiesWithoutInstant += rows.int(1)
            }
            for (k, kind) in activity.kinds.enumerated() where counts[k] > 0 {
                summary.activities[activity.source, default: [:]][kind.name, default: 0] += counts[k]
            }
        }
        // Unattributed activities (a walk-in sale) are in no trait or segment: not indexed.
        try store.execute("CREATE INDEX activities_by_profile ON activities(profile_id, at) WHERE profile_id IS NOT NULL")
        return summary
    }

    /// The largest `activity_id` so far (0: none).
    private func lastActivityID(_ store: StageStore) throws(RunError) -> Int {
        let last = try store.scan("SELECT coalesce(max(activity_id), 0) FROM activities")
        defer { _ = try? last.next() }
        return try last.next() ? last.int(0) : 0
    }

    /// All traits, built-in first, as (name, SQL aggregate).
    static func traitColumns(_ audience: AudienceDefinition) -> [(name: String, sql: String)] {
        AudienceDefinition.builtInTraits.map { ($0.name, $0.sql) } + audience.traits.map { ($0.name, $0.expression.text) }
    }

    /// Aggregates each profile's activities up to `as_of` into trait columns of `profiles`;
    /// profiles without activities get the aggregates' values over no rows (0 for counts).
    ///
    /// The aggregates are SQL (the user's), evaluated by the store in one grouped scan; what
    /// follows is ours: each profile's values are read into columns in memory, each trait column
    /// is declared with the type of the values it got when they are all of one kind, the RFM
    /// scores are ranked in Swift, and every profile row is written once, by row. (A temporary
    /// table, a type probe over it, an `UPDATE ... FROM` join and a window `UPDATE` for RFM: at 1M
    /// Acme customers the stage took 39.9 s with them, 30.4 s without.)
    func computeTraits(on store: StageStore) throws(RunError) -> Int {
        let traits = Self.traitColumns(audience)
        let dialect = store.dialect
        let selectList = traits.map { "(\($0.sql)) AS \(dialect.quote($0.name))" }.joined(separator: ",\n  ")
        // The join to `profiles` costs a lookup per activity; it is made only when a declared
        // trait names a profile column (or `p.`), which the built-in traits never do.
        let profileColumns = Set(try store.columns(of: "profiles")).subtracting(["profile_id"])
        let needsProfiles = audience.traits.contains { trait in
            let words = Self.identifierWords(trait.expression.text)
            return words.contains("p") || !profileColumns.isDisjoint(with: words)
        }
        let from = needsProfiles ? "FROM activities a JOIN profiles p USING (profile_id)" : "FROM activities a"
        // Every profile, in row order.
        var rowKeys: [Int] = []
        var position: [String: Int] = [:]
        let profiles = try store.scan("SELECT \(dialect.rowKey), profile_id FROM profiles ORDER BY \(dialect.rowKey)")
        while try profiles.next() {
            position[profiles.text(1) ?? ""] = rowKeys.count
            rowKeys.append(profiles.int(0))
        }
        // Each profile's aggregates (a row of `values`; -1: no activity, the values over no rows).
        var values = StoredColumns(columns: traits.count)
        var valueRow = [Int](repeating: -1, count: rowKeys.count)
        let grouped = try store.scan("""
            SELECT profile_id, \(selectList)
              \(from) WHERE a.profile_id IS NOT NULL AND (a.at IS NULL OR a.at <= as_of()) GROUP BY profile_id
            """)
        while try grouped.next() {
            guard let id = grouped.text(0), let p = position[id] else { continue }
            valueRow[p] = values.count
            values.append(grouped, first: 1)
        }
        let overNothing = try store.scan("SELECT \(selectList) \(from) WHERE 0")
        guard try overNothing.next() else { throw RunError.internalError("the traits over no activities returned no row") }
        let emptyRow = values.count
        values.append(overNothing, first: 0)
        while try overNothing.next() {}
        for p in valueRow.indices where valueRow[p] < 0 { valueRow[p] = emptyRow }
        let used = Set(valueRow)

        // Each trait column declared with the type of the values it got, when they are all of one
        // kind (the declaration then converts nothing); a column of mixed or no values, or of
        // blobs, stays untyped.
        var declared: [String] = []
        for c in traits.indices {
            var low = UInt8.max, high = UInt8(0)
            for row in used where values.kind(c, row) != .null {
                let kind = values.kind(c, row).rawValue
                low = min(low, kind)
                high = max(high, kind)
            }
            switch low == high ? StoredKind(rawValue: low) : nil {
            case .integer: declared.append(" INTEGER")
            case .real: declared.append(" REAL")
            case .text: declared.append(" TEXT")
            default: declared.append("")
            }
        }
        let names = traits.map(\.name) + AudienceDefinition.rfmTraits
        declared += [" INTEGER", " INTEGER", " INTEGER", " TEXT"]  // rfm_recency, _frequency, _monetary, rfm_score
        for (name, type) in zip(names, declared) { try store.execute("ALTER TABLE profiles ADD COLUMN \(dialect.quote(name))\(type)") }

        let rfm = Self.rfmScores(values: values, valueRow: valueRow, traits: traits.map(\.name))
        let set = names.map { "\(dialect.quote($0)) = ?" }.joined(separator: ", ")
        let update = try store.statement("UPDATE profiles SET \(set) WHERE \(dialect.rowKey) = ?")
        let width = Int32(traits.count)
        for p in rowKeys.indices {
            for c in traits.indices { values.bind(update, Int32(c) + 1, column: c, row: valueRow[p]) }
            if let score = rfm[p] {
                update.bind(width + 1, score.r)
                update.bind(width + 2, score.f)
                update.bind(width + 3, score.m)
                update.bind(width + 4, "\(score.r)\(score.f)\(score.m)")
            } else {
                for i in 1...4 { update.bindNull(width + Int32(i)) }
            }
            update.bind(width + 5, rowKeys[p])
            try update.run()
        }
        return names.count
    }

    /// RFM: quintiles among the profiles with a purchase, 5 best; ties share the lower score:
    /// `1 + 5 * (rank - 1) / n` for `rank()` in ascending order of the latest purchase, the orders
    /// and the lifetime spend (as `rank() OVER (ORDER BY ...)` gives it), n the profiles ranked.
    static func rfmScores(values: StoredColumns, valueRow: [Int], traits: [String]) -> [(r: Int, f: Int, m: Int)?] {
        guard let recency = traits.firstIndex(of: "last_purchase_at"), let frequency = traits.firstIndex(of: "orders"),
              let monetary = traits.firstIndex(of: "lifetime_spend_cents") else { return valueRow.map { _ in nil } }
        let ranked = valueRow.indices.filter { values.kind(recency, valueRow[$0]) != .null }
        let n = ranked.count
        func scores(_ column: Int) -> [Int] {
            let order = ranked.sorted { values.precedes(column, valueRow[$0], valueRow[$1]) }
            var score = [Int](repeating: 0, count: valueRow.count)
            var rank = 1
            for (i, p) in order.enumerated() {
                if i > 0 && values.compare(column, valueRow[order[i - 1]], valueRow[p]) != 0 { rank = i + 1 }
                score[p] = 1 + 5 * (rank - 1) / n
            }
            return score
        }
        let (r, f, m) = (scores(recency), scores(frequency), scores(monetary))
        var result = [(r: Int, f: Int, m: Int)?](repeating: nil, count: valueRow.count)
        for p in ranked { result[p] = (r[p], f[p], m[p]) }
        return result
    }

    /// The identifier-like words of an SQL text (letters, digits, `_`), lower-cased; quoted
    /// strings are skipped, so `kind = 'email'` does not name the column `email`.
    static func identifierWords(_ sql: String) -> Set<String> {
        var words = Set<String>()
        var word = ""
        var quote: Character?
        for ch in sql {
            if let q = quote {
                if ch == q { quote = nil }
                continue
            }
            if ch == "'" { quote = ch; continue }
            if ch.isLetter || ch.isNumber || ch == "_" {
                word.append(ch)
            } else {
                if !word.isEmpty { words.insert(word.lowercased()) }
                word = ""
            }
        }
        if !word.isEmpty { words.insert(word.lowercased()) }
        return words
    }

    /// Evaluates every segment at `as_of` into `segment_membership`, and writes what changed
    /// since the previously published output into `segment_changes`. A profile merged or split
    /// since then is followed through the records it shares with the previous profiles, so a
    /// person already in a segment under another id does not enter it again.
    func evaluateSegments(on store: StageStore) throws(RunError) -> [AudienceSummary.SegmentSummary] {
        try store.execute("""
            CREATE TABLE segments (segment TEXT PRIMARY KEY, description TEXT, condition TEXT NOT NULL,
                                   members INTEGER NOT NULL, entered INTEGER NOT NULL, exited INTEGER NOT NULL);
            CREATE TABLE segment_membership (segment TEXT NOT NULL, profile_id TEXT NOT NULL, since TEXT NOT NULL,
                                             PRIMARY KEY (segment, profile_id)) WITHOUT ROWID;
            CREATE TEMP TABLE lineage (profile_id TEXT NOT NULL, previous_profile_id TEXT NOT NULL, records INTEGER NOT NULL);
            CREATE TEMP TABLE previous_membership (segment TEXT NOT NULL, profile_id TEXT NOT NULL, since TEXT NOT NULL);
            """)
        let insertLineage = try store.statement("INSERT INTO temp.lineage VALUES (?, ?, ?)")
        for item in history.lineage {
            insertLineage.bind(1, item.profile)
            insertLineage.bind(2, item.previous)
            insertLineage.bind(3, item.records)
            try insertLineage.run()
        }
        let declared = Set(audience.segments.map(\.name))
        let insertPrevious = try store.statement("INSERT INTO temp.previous_membership VALUES (?, ?, ?)")
        for item in history.segmentMembers where declared.contains(item.segment) {
            insertPrevious.bind(1, item.segment)
            insertPrevious.bind(2, item.profile)
            insertPrevious.bind(3, item.since)
            try insertPrevious.run()
        }
        for segment in audience.segments {
            try store.execute("""
                INSERT INTO segment_membership SELECT '\(segment.name)', profile_id, as_of() FROM profiles WHERE (\(segment.condition.text))\(segment.includeAnonymous ? "" : " AND identified = 1")
                """)
        }
        try store.execute("""
            CREATE INDEX temp.lineage_by_previous ON lineage(previous_profile_id);
            CREATE TEMP TABLE carried AS
              SELECT m.segment, l.profile_id, m.since FROM temp.previous_membership m
                JOIN temp.lineage l ON l.previous_profile_id = m.profile_id
              UNION ALL
              SELECT m.segment, m.profile_id, m.since FROM temp.previous_membership m
                JOIN profiles p ON p.profile_id = m.profile_id;
            CREATE INDEX temp.carried_by_member ON carried(segment, profile_id);
            UPDATE segment_membership SET since = c.since
              FROM (SELECT segment, profile_id, min(since) AS since FROM temp.carried GROUP BY segment, profile_id) c
              WHERE c.segment = segment_membership.segment AND c.profile_id = segment_membership.profile_id;
            INSERT INTO segment_changes (run_id, segment, profile_id, change, at, previous_profile_id)
              SELECT \(runID), m.segment, m.profile_id, 'entered', as_of(), NULL FROM segment_membership m
              WHERE NOT EXISTS (SELECT 1 FROM temp.carried c WHERE c.segment = m.segment AND c.profile_id = m.profile_id)
              ORDER BY m.segment, m.profile_id;
            INSERT INTO segment_changes (run_id, segment, profile_id, change, at, previous_profile_id)
              SELECT \(runID), pm.segment,
                     coalesce((SELECT p.profile_id FROM profiles p WHERE p.profile_id = pm.profile_id),
                              (SELECT l.profile_id FROM temp.lineage l WHERE l.previous_profile_id = pm.profile_id
                               ORDER BY l.records DESC, l.profile_id LIMIT 1),
                              pm.profile_id),
                     'exited', as_of(), pm.profile_id
              FROM temp.previous_membership pm
              WHERE NOT EXISTS (SELECT 1 FROM segment_membership m WHERE m.segment = pm.segment AND m.profile_id = pm.profile_id)
                AND NOT EXISTS (SELECT 1 FROM temp.lineage l JOIN segment_membership m
                                  ON m.segment = pm.segment AND m.profile_id = l.profile_id
                                WHERE l.previous_profile_id = pm.profile_id)
              ORDER BY pm.segment, pm.profile_id;
            DROP TABLE temp.carried;
            DROP TABLE temp.previous_membership;
            DROP TABLE temp.lineage;
            CREATE INDEX segment_membership_by_profile ON segment_membership(profile_id);
            """)
        var summaries: [AudienceSummary.SegmentSummary] = []
        let insert = try store.statement("INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?)")
        for segment in audience.segments {
            var summary = AudienceSummary.SegmentSummary(name: segment.name)
            let counts = try store.scan("""
                SELECT (SELECT count(*) FROM segment_membership WHERE segment = ?1),
                       (SELECT count(*) FROM segment_changes WHERE run_id = \(runID) AND segment = ?1 AND change = 'entered'),
                       (SELECT count(*) FROM segment_changes WHERE run_id = \(runID) AND segment = ?1 AND change = 'exited')
                """)
            counts.bind(1, segment.name)
            if try counts.next() {
                summary.members = counts.int(0)
                summary.entered = counts.int(1)
                summary.exited = counts.int(2)
            }
            insert.bind(1, segment.name)
            insert.bind(2, segment.description)
            insert.bind(3, segment.condition.written)  // as written: an interpolated value may be a secret
            insert.bind(4, summary.members)
            insert.bind(5, summary.entered)
            insert.bind(6, summary.exited)
            try insert.run()
            summaries.append(summary)
        }
        return summaries
    }

}

/// What a run carries over from the previous output for following people across runs.
struct OutputHistory {
    /// Each new profile's share of records of each previous profile (merges and splits).
    var lineage: [(profile: String, previous: String, records: Int)] = []
    /// The previous output's segment members.
    var segmentMembers: [(segment: String, profile: String, since: String)] = []
}
