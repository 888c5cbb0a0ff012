import TributaryConfig
import TributaryCore

/// The golden record stage: for each profile and attribute, the candidate values of its records
/// are ranked by the attribute's rules (`GoldenCandidates`), the best one becomes a column of
/// `profiles`, and `golden_values` keeps where it came from (source and record), for lineage.
///
/// A stage over the storage seam: it reads and writes through a `StageStore` in its dialect, and
/// takes identity's decision (each record's profile) as a `ProfileMap` in memory.
///
/// Candidates are read by scanning each source table (no join: each record's profile comes from
/// identity resolution), grouped by profile with a counting sort, and ranked in Swift; ranking in
/// SQL took a join and three window sorts per attribute (4.4 s against about 1 s for the five
/// attributes of 100k generated persons).
struct GoldenRecordStage {
    let survivorship: SurvivorshipDefinition
    let tables: [SourceTable]
    let profiles: ProfileMap
    /// Threads ranking attributes at once (each attribute's candidates are ranked by one).
    var jobs = 1

    /// Runs the stage; returns how many golden values were chosen.
    func run(on store: StageStore) throws(RunError) -> Int {
        let map = profiles
        let dialect = store.dialect
        let text = dialect.textType
        let tableBySource = Dictionary(uniqueKeysWithValues: tables.map { ($0.source, $0) })
        try store.execute("""
            CREATE TABLE golden_values (profile_id \(text) NOT NULL, attribute \(text) NOT NULL, value \(text) NOT NULL,
                                        source \(text) NOT NULL, record_id INTEGER NOT NULL, candidates INTEGER NOT NULL,
                                        PRIMARY KEY (profile_id, attribute));
            """)
        let profileCount = map.ids.count
        let attributeCount = survivorship.attributes.count
        // The chosen value of each attribute and profile, in one arena (start -1: none), with its
        // source, record and number of candidates.
        var chosenBytes: [UInt8] = []
        var chosenStart = [[Int]](repeating: [], count: attributeCount)
        var chosenEnd = [[Int]](repeating: [], count: attributeCount)
        var chosenSource = [[Int]](repeating: [], count: attributeCount)
        var chosenRecord = [[Int]](repeating: [], count: attributeCount)
        var chosenCandidates = [[Int]](repeating: [], count: attributeCount)
        var sourceNames = [[String]](repeating: [], count: attributeCount)
        // Candidates of every attribute's fields, one scan per table for all of them (22 scans of
        // the wide source tables took 1.3 s at 100k Acme customers). Each field's source index
        // follows the attribute's field order (the fields with a table and a profile map: the names
        // `golden_values.source` takes); a tie on every rule, the priority and the record goes to
        // the lower index, as the field listed first won when each field had its own scan.
        var sourceOf = survivorship.attributes.map { [Int](repeating: -1, count: $0.fields.count) }
        for (a, attribute) in survivorship.attributes.enumerated() {
            for (f, (source, _)) in attribute.fields.enumerated() where tableBySource[source] != nil && map.byTable[source] != nil {
                sourceOf[a][f] = sourceNames[a].count
                sourceNames[a].append(source)
            }
        }
        var candidatesOf = [GoldenCandidates](repeating: GoldenCandidates(), count: attributeCount)
        for table in tables {
            guard let byRecord = map.byTable[table.source] else { continue }
            // For each field read here: its attribute and place among the attribute's fields, its
            // value's column, its dating field's column (-1: none), the source's rank in `prefer`,
            // and whether the attribute ranks by completeness.
            var reads: [(a: Int, f: Int, value: Int32, recency: Int32, priority: Int, complete: Bool)] = []
            var list: [String] = []
            var recencyColumns: [String: Int32] = [:]
            var needsCompleteness = false
            for (a, attribute) in survivorship.attributes.enumerated() {
                for (f, (source, field)) in attribute.fields.enumerated() where source == table.source {
                    list.append(dialect.castText(dialect.quote(field)))
                    let value = Int32(list.count)
                    var recency: Int32 = -1
                    if attribute.rules.contains(.mostRecent), let dating = attribute.recency[source] {
                        recency = recencyColumns[dating] ?? {
                            list.append(dialect.castText(dialect.quote(dating)))
                            recencyColumns[dating] = Int32(list.count)
                            return Int32(list.count)
                        }()
                    }
                    let complete = attribute.rules.contains(.mostComplete)
                    if complete { needsCompleteness = true }
                    reads.append((a, f, value, recency, attribute.prefer.firstIndex(of: source) ?? attribute.prefer.count, complete))
                }
            }
            guard !reads.isEmpty else { continue }
            let completeness = !needsCompleteness || table.fields.isEmpty ? "0"
                : table.fields.map { "(\(dialect.quote($0)) IS NOT NULL)" }.joined(separator: " + ")
            list.append(completeness)
            let completenessColumn = Int32(list.count)
            let rows = try store.scan("SELECT _record_id, \(list.joined(separator: ", ")) FROM \(dialect.quote(table.tableName))")
            while try rows.next() {
                let record = rows.int(0)
                guard record < byRecord.count, byRecord[record] >= 0 else { continue }
                for read in reads {
                    guard let text = rows.textBytes(read.value), !text.isEmpty else { continue }
                    candidatesOf[read.a].append(value: text, recency: read.recency < 0 ? nil : rows.textBytes(read.recency),
                                                 priority: read.priority, completeness: read.complete ? rows.int(completenessColumn) : 0,
                                                 recordID: record, source: sourceOf[read.a][read.f], profile: byRecord[record])
                }
            }
        }
        // The attributes ranked side by side, one per core; each attribute's candidates are let
        // go once its winners are copied out.
        let all = CandidateSets(candidatesOf)
        candidatesOf = []
        let rules = survivorship.attributes.map(\.rules)
        let ranked = parallelMap(attributeCount, jobs: jobs) { a in all.sets[a].winners(profiles: profileCount, rules: rules[a]) }
        for (a, attribute) in survivorship.attributes.enumerated() {
            let candidates = all.sets[a]
            defer { all.sets[a] = GoldenCandidates() }
            let (winner, counts) = ranked[a]
            chosenStart[a] = [Int](repeating: -1, count: profileCount)
            chosenEnd[a] = chosenStart[a]
            chosenSource[a] = chosenStart[a]
            chosenRecord[a] = chosenStart[a]
            chosenCandidates[a] = counts
            for p in 0..<profileCount where winner[p] >= 0 {
                let (start, end) = candidates.value(winner[p])
                chosenStart[a][p] = chosenBytes.count
                candidates.bytes.withUnsafeBufferPointer { chosenBytes.append(contentsOf: $0[start..<end]) }
                chosenEnd[a][p] = chosenBytes.count
                chosenSource[a][p] = candidates.source[winner[p]]
                chosenRecord[a][p] = candidates.recordID[winner[p]]
            }
            try store.execute("ALTER TABLE profiles ADD COLUMN \(dialect.quote(attribute.name)) \(text)")
        }
        guard attributeCount > 0 else { return 0 }
        // golden_values in the order of its primary key (profile_id, attribute), so that the key's
        // index is appended to rather than written at random (1.9 s against 0.4 s at 100k persons).
        let profileOrder = (0..<profileCount).filter { map.rows[$0] > 0 }.sorted { map.ids[$0].utf8.lexicographicallyPrecedes(map.ids[$1].utf8) }
        let attributeOrder = (0..<attributeCount).sorted {
            survivorship.attributes[$0].name.utf8.lexicographicallyPrecedes(survivorship.attributes[$1].name.utf8)
        }
        var rows: [(profile: Int, attribute: Int)] = []
        for p in profileOrder {
            for a in attributeOrder where chosenStart[a][p] >= 0 { rows.append((p, a)) }
        }
        let insert = try store.appender(table: "golden_values", width: 6)
        let names = survivorship.attributes.map(\.name)
        let set = names.map { "\(dialect.quote($0)) = ?" }.joined(separator: ", ")
        let update = try store.statement("UPDATE profiles SET \(set) WHERE \(dialect.rowKey) = ?")
        try chosenBytes.withUnsafeBufferPointer { (arena) throws(RunError) in
            func bindValue(_ statement: RowStatement, _ index: Int32, _ a: Int, _ p: Int) {
                let start = chosenStart[a][p]
                guard start >= 0 else { statement.bindNull(index); return }
                let length = chosenEnd[a][p] - start
                if length == 0 { statement.bind(index, "") } else { statement.bindText(index, arena.baseAddress! + start, length) }
            }
            try insert.append(count: rows.count) { statement, i, base in
                let (p, a) = rows[i]
                statement.bind(base + 1, map.ids[p])
                statement.bind(base + 2, names[a])
                bindValue(statement, base + 3, a, p)
                statement.bind(base + 4, sourceNames[a][chosenSource[a][p]])
                statement.bind(base + 5, chosenRecord[a][p])
                statement.bind(base + 6, chosenCandidates[a][p])
            }
            // One UPDATE per profile that has any golden value, by row, in the order rows were written.
            let width = Int32(attributeCount)
            for p in 0..<profileCount where map.rows[p] > 0 && (0..<attributeCount).contains(where: { chosenStart[$0][p] >= 0 }) {
                for a in 0..<attributeCount { bindValue(update, Int32(a) + 1, a, p) }
                update.bind(width + 1, map.rows[p])
                try update.run()
            }
        }
        return rows.count
    }
}

/// Every attribute's candidates, read by the ranking threads (each its own attribute) before the
/// stage's thread empties them one by one.
private final class CandidateSets: @unchecked Sendable {
    var sets: [GoldenCandidates]
    init(_ sets: [GoldenCandidates]) { self.sets = sets }
}
