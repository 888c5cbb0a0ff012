import Crypto
import Foundation
import TributaryConfig
import TributaryCore
import TributaryMatching

/// What identity resolution found, for the ledger and the run summary.
public struct IdentitySummary: Sendable {
    public var records = 0
    public var profiles = 0
    public var linkedRecords = 0
    public var refusals: [String: Int] = [:]
    /// Pairs the probabilistic matcher scored above its threshold, and how many of them the
    /// guards refused.
    public var probabilisticLinks = 0
    public var refusedLinks = 0
    /// The records of the largest profile (for the `max_cluster_size` gate).
    public var largestProfile = 0
    /// The previously published output's profile count; nil without one.
    public var previousProfiles: Int?
    /// Records with no identifier value and no probabilistic link (a walk-in sale): they join
    /// no profile (`profile_records.profile_id` is NULL) and their activities are unattributed.
    public var unidentifiedRecords = 0
    /// With `attributes_identify: false`: profiles known only by a matching attribute's value (a
    /// name), kept but not identified (`profiles.identified` = 0, in no segment by default).
    public var nameOnlyProfiles = 0
    /// What the probabilistic matcher compared: the clusters the identifiers built and the
    /// records that joined none (0 without `probabilistic:`).
    public var matchedEntities = 0
}


/// Identity resolution as a stage over the storage seam: reads the identifiers and matching
/// attributes of the loaded records through a `StageStore`, links them (`Stitcher`,
/// Fellegi-Sunter), keeps the previous output's profile ids, and writes `profiles`,
/// `profile_records`, `identifiers`, `identity_refusals`, the match model and its evidence.
struct IdentityStage {
    let identity: IdentityDefinition
    let tables: [SourceTable]
    let files: [InputFile]
    let jobs: Int
    /// This run's id (`profile_id_changes.run_id`, `match_model.trained_at_run`).
    let runID: Int
    /// The previous output's profile ids, by record (see `continuityKey`), and its profile count.
    let previous: PreviousProfiles
    /// The load's columns of the fields this stage reads (`fieldsRead`), kept in memory; a table
    /// they do not hold exactly is scanned from the store.
    var loaded: LoadedColumns? = nil

    /// The fields of each source the stage reads: natural keys, identifiers, the attributes
    /// named by `conflicts:` and the matching attributes.
    static func fieldsRead(_ identity: IdentityDefinition, tables: [SourceTable]) -> [String: [String]] {
        var fields: [String: [String]] = [:]
        for table in tables { fields[table.source] = table.keyFields }
        for (source, field) in identity.identifiers.flatMap(\.fields) + (identity.probabilistic?.attributes.flatMap(\.fields) ?? []) {
            fields[source, default: []].append(field)
        }
        return fields
    }

    /// Links the loaded records into profiles by their identifiers (deterministic stitching) and
    /// writes `profiles`, `profile_records`, `identifiers` and `identity_refusals`.
    ///
    /// Profile ids are stable across runs as long as a profile keeps its strongest identifier:
    /// `p_` + the first 16 hex digits of SHA-256 of the first identifier type it holds and that
    /// type's smallest value; a record with no identifier at all gets `r_` + a hash of its source,
    /// file name and line.
    func run(on store: StageStore) throws(RunError) -> IdentityResult {
        StatementProfile.lap("before identity")
        let dialect = store.dialect
        var lineage: [(profile: String, previous: String, records: Int)] = []
        // Every loaded record gets a global index, source by source.
        var recordSource: [Int] = []          // index into `tables`
        var recordID: [Int] = []
        var recordOrigin: [(file: Int, line: Int)] = []
        var indexOf: [[Int]] = []             // per table, by _record_id: the global index (-1: none)
        // Each record's natural key (`key:` fields joined by `:`), in one arena; -1: no key.
        var keyArena: [UInt8] = []
        var keyStart: [Int] = []
        // Rows per table in the store: the load's columns stand for a table only when it holds
        // as many records, numbered 1 to n as the load wrote them.
        var storedRows = [Int](repeating: -1, count: tables.count)
        if loaded != nil {
            for (t, table) in tables.enumerated() {
                let count = try store.scan("SELECT count(*), coalesce(max(_record_id), 0) FROM \(dialect.quote(table.tableName))")
                if try count.next(), count.int(0) == count.int(1) { storedRows[t] = count.int(0) }
                while try count.next() {}
            }
        }
        /// The load's columns of table `t` when they hold `fields` exactly as the store does.
        func inMemory(_ t: Int, _ fields: [String]) -> LoadedColumns.Table? {
            loaded?.table(tables[t].source, fields: fields, rows: storedRows[t])
        }
        for (t, table) in tables.enumerated() {
            if let memory = inMemory(t, table.keyFields) {
                let keyColumns = table.keyFields.map { memory.fields.firstIndex(of: $0)! }
                var map = [Int](repeating: -1, count: memory.count + 1)
                memory.forEachRecord { id, file, line, chunk, row in
                    map[id] = recordID.count
                    recordSource.append(t)
                    recordID.append(id)
                    recordOrigin.append((file, line))
                    guard !keyColumns.isEmpty else { keyStart.append(-1); return }
                    // The key fields' text joined by `:`, a NULL as empty text (`recordKeySQL`).
                    keyStart.append(keyArena.count)
                    for (k, f) in keyColumns.enumerated() {
                        if k > 0 { keyArena.append(UInt8(ascii: ":")) }
                        chunk.columns[f].withValue(row) { if let value = $0 { keyArena.append(contentsOf: value) } }
                    }
                }
                indexOf.append(map)
                continue
            }
            let rows = try store.scan("SELECT _record_id, _file_id, _line, \(table.recordKeySQL) FROM \(dialect.quote(table.tableName)) ORDER BY _record_id")
            var map: [Int] = []
            while try rows.next() {
                let id = rows.int(0)
                if id >= map.count { map += Array(repeating: -1, count: id - map.count + 1) }
                map[id] = recordID.count
                recordSource.append(t)
                recordID.append(rows.int(0))
                recordOrigin.append((rows.int(1), rows.int(2)))
                if let key = rows.textBytes(3) {
                    keyStart.append(keyArena.count)
                    keyArena.append(contentsOf: key)
                } else {
                    keyStart.append(-1)
                }
            }
            indexOf.append(map)
        }
        StatementProfile.lap("identity: records and keys read")
        keyStart.append(keyArena.count)
        /// The end of record r's key in the arena (keys are stored in record order).
        func keyEnd(_ r: Int) -> Int {
            var next = r + 1
            while keyStart[next] < 0 { next += 1 }
            return keyStart[next]
        }
        let tableIndex = Dictionary(uniqueKeysWithValues: tables.enumerated().map { ($1.source, $0) })
        // Identifier values interned by their bytes as they are read (no String per value); the
        // ignored values are interned first, so they are recognised by their ids.
        var observations = Stitcher.Interned(types: identity.identifiers.count)
        // The identifier fields and the fields of the `conflicts:` attributes, one scan per table.
        let conflictNames = identity.identifiers.flatMap(\.conflicts).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let conflictFields = conflictNames.flatMap { name in identity.probabilistic?.attributes.first(where: { $0.name == name })?.fields ?? [] }
        var fieldsOf = [[String]](repeating: [], count: tables.count)
        for (source, field) in identity.identifiers.flatMap(\.fields) + conflictFields {
            if let t = tableIndex[source], !fieldsOf[t].contains(field) { fieldsOf[t].append(field) }
        }
        var columns: [FieldColumns] = []
        for (t, fields) in fieldsOf.enumerated() {
            if let memory = inMemory(t, fields) {
                columns.append(FieldColumns(loaded: memory, fields: fields))
            } else {
                columns.append(try FieldColumns(store: store, table: tables[t].tableName, fields: fields))
            }
        }
        for (type, identifier) in identity.identifiers.enumerated() {
            var ignored = Set<Int>()
            for value in identity.ignoreValues {
                var text = value
                ignored.insert(text.withUTF8 { observations.intern(type: type, $0) })
            }
            for (source, field) in identifier.fields {
                guard let t = tableIndex[source] else { continue }
                columns[t].forEach(field) { id, text in
                    guard id < indexOf[t].count, indexOf[t][id] >= 0 else { return }
                    let value = observations.intern(type: type, text)
                    if ignored.contains(value) { return }
                    observations.observe(record: indexOf[t][id], type: type, value: value)
                }
            }
        }
        StatementProfile.lap("identity: identifiers read")
        // Probabilistic links (Fellegi-Sunter), joined under the same guards after the identifiers.
        var evidence: [FellegiSunter.Link] = []
        // Per link, per comparison: the records whose values reached its level (nil: none).
        var agreeing: [[(a: Int, b: Int)?]] = []
        // Records holding a value of a matching attribute (a name, a birth date): a person's record.
        var hasAttributes = [Bool](repeating: false, count: recordID.count)
        // Pairs above the threshold refused by a comparison's `veto` (and the attribute that vetoed).
        var vetoed: [(link: FellegiSunter.Link, attribute: String)] = []
        var model: FellegiSunter.Model?
        // Every scored pair's weight, and the candidate pairs per blocking rule (report charts).
        var weightHistogram: FellegiSunter.WeightHistogram?
        var pairsKept: [Int] = [], pairsGenerated: [Int] = []
        var entityCount = 0
        // The attributes named by `conflicts:` guards, read per record.
        var conflictValues: Stitcher.ConflictValues?
        if !conflictNames.isEmpty, let probabilistic = identity.probabilistic {
            var values = Stitcher.ConflictValues(attributes: conflictNames.count)
            for (a, name) in conflictNames.enumerated() {
                for (source, field) in probabilistic.attributes.first(where: { $0.name == name })?.fields ?? [] {
                    guard let t = tableIndex[source] else { continue }
                    columns[t].forEach(field) { id, text in
                        guard id < indexOf[t].count, indexOf[t][id] >= 0 else { return }
                        values.add(attribute: a, record: indexOf[t][id], text)
                    }
                }
            }
            conflictValues = values
        }
        columns = []
        if identity.probabilistic == nil { loaded?.removeAll() }
        let types = identity.identifiers.map {
            Stitcher.IdentifierType(name: $0.name, maxPerProfile: $0.maxPerProfile, attachOnly: $0.attachOnly,
                                    conflicts: $0.conflicts.compactMap { conflictNames.firstIndex(of: $0) })
        }
        let result = try Stitcher.stitch(records: recordID.count, types: types, interned: observations, conflictValues: conflictValues,
                                         options: .init(maxRecordsPerValue: identity.maxRecordsPerValue, maxClusterSize: identity.maxClusterSize)) {
            (clusterOf) throws(RunError) -> [Stitcher.PairLink] in
            guard let probabilistic = identity.probabilistic else { return [] }
            // The matcher compares entities, not records: the clusters the identifiers built (a CRM
            // contact with its logins' web events and its card's till sales) and the records that
            // joined none. An entity holds every value of each attribute its records hold, so a
            // store sale known by a home landline meets the contact whose CRM row lists it, and the
            // dozens of events of one device are compared once.
            var entityOf = [Int32](repeating: -1, count: recordID.count)
            var entityOfRoot = [Int32](repeating: -1, count: recordID.count)
            var representative: [Int] = []  // each entity's first record
            for r in 0..<recordID.count {
                let root = clusterOf[r]
                if entityOfRoot[root] < 0 {
                    entityOfRoot[root] = Int32(representative.count)
                    representative.append(r)
                }
                entityOf[r] = entityOfRoot[root]
            }
            entityOfRoot = []
            entityCount = representative.count
            // Straight from SQLite's buffers into the matcher's arena: no String or array per value.
            // One query per table for all its attribute fields; every field of an attribute takes
            // part (a contact's phone and mobile).
            var builder = FellegiSunter.Records.Builder(count: representative.count, attributes: probabilistic.attributes.count)
            var columnsOf = [[(attribute: Int, field: String)]](repeating: [], count: tables.count)
            for (a, attribute) in probabilistic.attributes.enumerated() {
                for (source, field) in attribute.fields {
                    if let t = tableIndex[source] { columnsOf[t].append((a, field)) }
                }
            }
            for (t, columns) in columnsOf.enumerated() where !columns.isEmpty {
                if let memory = inMemory(t, columns.map(\.field)) {
                    let kept = columns.map { memory.fields.firstIndex(of: $0.field)! }
                    memory.forEachRecord { id, _, _, chunk, row in
                        guard id < indexOf[t].count, indexOf[t][id] >= 0 else { return }
                        let record = indexOf[t][id]
                        let entity = Int(entityOf[record])
                        for (c, column) in columns.enumerated() {
                            chunk.columns[kept[c]].withValue(row) { text in
                                guard let text, !text.isEmpty else { return }
                                builder.add(column.attribute, entity, text, origin: record)
                                hasAttributes[record] = true
                            }
                        }
                    }
                    continue
                }
                let list = columns.map { "\(dialect.castText(dialect.quote($0.field)))" }.joined(separator: ", ")
                let values = try store.scan("SELECT _record_id, \(list) FROM \(dialect.quote(tables[t].tableName))")
                while try values.next() {
                    let id = values.int(0)
                    guard id < indexOf[t].count, indexOf[t][id] >= 0 else { continue }
                    let entity = Int(entityOf[indexOf[t][id]])
                    for (c, column) in columns.enumerated() {
                        guard let text = values.textBytes(Int32(c + 1)), !text.isEmpty else { continue }
                        builder.add(column.attribute, entity, text, origin: indexOf[t][id])
                        hasAttributes[indexOf[t][id]] = true
                    }
                }
            }
            entityOf = []
            loaded?.removeAll()  // read for the last time: the matcher's memory is its own
            let records = builder.build()
            StatementProfile.lap("identity: entities built")
            guard records.count >= 2 else { return [] }
            let attributeIndex = Dictionary(uniqueKeysWithValues: probabilistic.attributes.enumerated().map { ($1.name, $0) })
            let comparisons = probabilistic.comparisons.map { c -> FellegiSunter.Comparison in
                Self.matcherComparison(c, attributeIndex: attributeIndex)
            }
            let blocking = probabilistic.blocking.map { rule in
                FellegiSunter.BlockingRule(rule.compactMap { attributeIndex[$0] },
                                           unordered: rule.compactMap { IdentityDefinition.Probabilistic.sortedPair($0)?.compactMap { attributeIndex[$0] } },
                                           maxBlockSize: probabilistic.maxBlockSize)
            }
            // Every candidate pair is compared once, for training and scoring.
            var comparedPairs: FellegiSunter.ComparedPairs?
            func compared() -> FellegiSunter.ComparedPairs {
                if let comparedPairs { return comparedPairs }
                let result = FellegiSunter.compare(records: records, comparisons: comparisons, blocking: blocking, jobs: jobs)
                comparedPairs = result
                return result
            }
            let trained: FellegiSunter.Model
            if let file = probabilistic.modelFile {
                // A pinned model: score with its parameters; it must describe these comparisons.
                guard let data = FileManager.default.contents(atPath: file),
                      let saved = try? JSONDecoder().decode(FellegiSunter.Model.self, from: data) else {
                    throw RunError.input("cannot read the matching model \(file) (JSON from the match_model table)")
                }
                guard saved.comparisons == comparisons else {
                    throw RunError.input("the matching model \(file) was trained for other comparisons than the pipeline's; retrain it or remove `model:`")
                }
                trained = saved
            } else {
                trained = FellegiSunter.train(records: records, compared: compared(), seed: probabilistic.seed, jobs: jobs)
            }
            let termFrequency = Set(probabilistic.comparisons.indices.filter { probabilistic.comparisons[$0].termFrequency })
            let scored = FellegiSunter.scoreCounting(records: records, model: trained, compared: compared(),
                                                     threshold: probabilistic.threshold, termFrequency: termFrequency, jobs: jobs)
            evidence = scored.links
            weightHistogram = scored.histogram
            pairsKept = compared().pairsKeptPerRule
            pairsGenerated = compared().pairsGeneratedPerRule
            // Which records' values agreed, for `pipeline explain`; links name the entities' first records.
            agreeing = evidence.map { link in
                FellegiSunter.agreeingValues(records: records, comparisons: comparisons, a: link.a, b: link.b).map { pair in
                    pair.flatMap { p in records.origin(ofValue: p.a).flatMap { x in records.origin(ofValue: p.b).map { (x, $0) } } }
                }
            }
            for i in evidence.indices {
                (evidence[i].a, evidence[i].b) = (representative[evidence[i].a], representative[evidence[i].b])
            }
            // A pair at the "else" level (the last) of a vetoing comparison is never linked.
            let vetoes = probabilistic.comparisons.indices.filter { probabilistic.comparisons[$0].veto }
            if !vetoes.isEmpty {
                let elseLevel = vetoes.map { trained.m[$0].count - 1 }
                var kept: [Int] = []
                for (index, link) in evidence.enumerated() {
                    if let veto = vetoes.indices.first(where: { link.levels[vetoes[$0]] == elseLevel[$0] }) {
                        vetoed.append((link, probabilistic.comparisons[vetoes[veto]].attribute))
                    } else {
                        kept.append(index)
                    }
                }
                evidence = kept.map { evidence[$0] }
                agreeing = kept.map { agreeing[$0] }
            }
            model = trained
            return evidence.map { Stitcher.PairLink(a: $0.a, b: $0.b, strength: $0.probability) }
        }

        StatementProfile.lap("identity: stitched and matched")
        // Stable profile ids from each profile's strongest identifier.
        // (Types in priority order, then the value first in byte order: the Stitcher's rank.)
        var strongest = [Int](repeating: -1, count: result.profileCount)  // observation index
        for i in 0..<observations.count {
            let p = result.profileOf[Int(observations.record[i])]
            let current = strongest[p]
            if current >= 0 {
                let (type, currentType) = (observations.type[i], observations.type[current])
                guard type < currentType || (type == currentType && result.valueRank[i] < result.valueRank[current]) else { continue }
            }
            strongest[p] = i
        }
        // A record alone in its profile, with no identifier value (and so no link of any kind) and
        // no value of a matching attribute, stands for no one we can name: a walk-in sale is a
        // sale, not a customer. It joins no profile; its activities are kept, unattributed. (A
        // contact with a name and a birth date but no identifier is a person: it keeps a profile.)
        var size = [Int](repeating: 0, count: result.profileCount)  // records per profile
        var named = [Bool](repeating: false, count: result.profileCount)  // holds a matching attribute's value
        for r in 0..<recordID.count {
            size[result.profileOf[r]] += 1
            if hasAttributes[r] { named[result.profileOf[r]] = true }
        }
        let unidentified = (0..<result.profileCount).map { strongest[$0] < 0 && size[$0] == 1 && !named[$0] }
        let unidentifiedCount = unidentified.count { $0 }
        var profileID = [String](repeating: "", count: result.profileCount)
        for p in 0..<result.profileCount where strongest[p] >= 0 {
            let o = strongest[p]
            let type = Int(observations.type[o])
            profileID[p] = "p_" + Self.shortHash(Array(identity.identifiers[type].name.utf8) + [0x1F]
                                                 + Array(observations.bytes(type: type, value: Int(observations.value[o]))))
        }
        // (The "source, file name" prefix once per table and file, not once per record.)
        var prefixes: [Int: [UInt8]] = [:]
        var key: [UInt8] = []
        for r in 0..<recordID.count where profileID[result.profileOf[r]].isEmpty && !unidentified[result.profileOf[r]] {
            let origin = recordOrigin[r]
            let prefix = prefixes[recordSource[r] << 32 | origin.file] ?? {
                let name = URL(fileURLWithPath: files[origin.file - 1].path).lastPathComponent
                let bytes = Array("\(tables[recordSource[r]].source)\u{1F}\(name)\u{1F}".utf8)
                prefixes[recordSource[r] << 32 | origin.file] = bytes
                return bytes
            }()
            key.removeAll(keepingCapacity: true)
            key.append(contentsOf: prefix)
            key.append(contentsOf: String(origin.line).utf8)
            profileID[result.profileOf[r]] = "r_" + Self.shortHash(key)
        }
        // Two profiles can hold the same strongest value when a guard kept them apart (a value
        // shared by too many records, merge protection, an ambiguous shared phone, a split): the
        // later one (by its first record) also hashes its first record's source, file name and line.
        var used = Set<String>()
        var firstRecord = [Int](repeating: -1, count: result.profileCount)
        for r in 0..<recordID.count where firstRecord[result.profileOf[r]] < 0 { firstRecord[result.profileOf[r]] = r }
        for p in 0..<result.profileCount where !unidentified[p] && !used.insert(profileID[p]).inserted {
            let r = firstRecord[p], origin = recordOrigin[r]
            let name = URL(fileURLWithPath: files[origin.file - 1].path).lastPathComponent
            profileID[p] += "_" + Self.shortHash(Array("\(tables[recordSource[r]].source)\u{1F}\(name)\u{1F}\(origin.line)".utf8))
            used.insert(profileID[p])
        }

        // Keep the ids of the previous run: each previous profile id goes to the new profile holding
        // most of its records (a split: the largest part keeps it); a new profile holding records
        // of several previous profiles keeps the id of the one with most of them (a merge).
        // Records are matched across runs by source and natural key (`record_key`), else by
        // source, file name and line: a copy of the same files in another folder keeps its ids.
        StatementProfile.lap("identity: profile ids")
        let previous = self.previous.ids
        var changes: [(profile: String, change: String, previous: String)] = []
        if !previous.isEmpty {
            var shares: [Int: [String: Int]] = [:]  // new profile → previous id → records
            var fileNames: [Int: String] = [:]
            for r in 0..<recordID.count where !unidentified[result.profileOf[r]] {
                let source = tables[recordSource[r]].source
                var old: String?
                if keyStart[r] >= 0 {
                    let key = String(decoding: keyArena[keyStart[r]..<keyEnd(r)], as: UTF8.self)
                    old = previous[Self.continuityKey(source: source, recordKey: key)]
                }
                if old == nil {
                    let origin = recordOrigin[r]
                    let name = fileNames[origin.file] ?? {
                        let name = URL(fileURLWithPath: files[origin.file - 1].path).lastPathComponent
                        fileNames[origin.file] = name
                        return name
                    }()
                    old = previous[Self.continuityKey(source: source, fileName: name, line: origin.line)]
                }
                if let old { shares[result.profileOf[r], default: [:]][old, default: 0] += 1 }
            }
            var candidates: [(profile: Int, old: String, records: Int)] = []
            for (p, olds) in shares { for (old, n) in olds { candidates.append((p, old, n)) } }
            candidates.sort { ($0.records, $1.old, $1.profile) > ($1.records, $0.old, $0.profile) }
            var kept: [Int: String] = [:]
            var taken = Set<String>()
            for c in candidates where kept[c.profile] == nil && !taken.contains(c.old) {
                kept[c.profile] = c.old
                taken.insert(c.old)
            }
            for (p, old) in kept { profileID[p] = old }
            // Fresh ids must not reuse a kept one.
            for p in 0..<result.profileCount where kept[p] == nil && !unidentified[p] && taken.contains(profileID[p]) {
                profileID[p] += "_" + String(p)
            }
            for (p, olds) in shares {
                for (old, records) in olds { lineage.append((profileID[p], old, records)) }
            }
            for (p, olds) in shares.sorted(by: { $0.key < $1.key }) {
                for old in olds.keys.sorted() where old != profileID[p] {
                    // `old` went to another profile (split) or was absorbed here (merge).
                    changes.append((profileID[p], taken.contains(old) ? "split_from" : "merged_from", old))
                }
            }
        }
        let change = try store.statement("INSERT INTO profile_id_changes VALUES (?, ?, ?, ?)")
        for c in changes {
            change.bind(1, runID)
            change.bind(2, c.profile)
            change.bind(3, c.change)
            change.bind(4, c.previous)
            try change.run()
        }

        try store.execute("""
            CREATE TABLE profiles (profile_id TEXT PRIMARY KEY, records INTEGER NOT NULL, sources TEXT NOT NULL,
                                   identified INTEGER NOT NULL);
            CREATE TABLE profile_records (source TEXT NOT NULL, record_id INTEGER NOT NULL, profile_id TEXT,
                                          linked_by TEXT, record_key TEXT, PRIMARY KEY (source, record_id)) WITHOUT ROWID;
            CREATE TABLE identifiers (profile_id TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, records INTEGER NOT NULL);
            CREATE TABLE identity_refusals (type TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL, records INTEGER NOT NULL,
                                            detail TEXT);
            CREATE TABLE identity_fields (kind TEXT NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL,
                                          source TEXT NOT NULL, field TEXT NOT NULL);
            """)
        // Where each identifier and matching attribute is read from, for `pipeline explain`.
        let field = try store.statement("INSERT INTO identity_fields VALUES (?, ?, ?, ?, ?)")
        let kinds = identity.identifiers.map { ("identifier", $0.name, $0.fields) }
            + (identity.probabilistic?.attributes ?? []).map { ("attribute", $0.name, $0.fields) }
        for (kind, name, fields) in kinds {
            for (position, f) in fields.enumerated() {
                field.bind(1, kind)
                field.bind(2, name)
                field.bind(3, position)
                field.bind(4, f.source)
                field.bind(5, f.field)
                try field.run()
            }
        }
        StatementProfile.lap("identity: id changes, tables")
        // Rows go in through multi-row statements, profile ids bound without copying from one arena.
        var idArena: [UInt8] = []
        var idStart = [Int](repeating: 0, count: result.profileCount + 1)
        for p in 0..<result.profileCount {
            idArena.append(contentsOf: profileID[p].utf8)
            idStart[p + 1] = idArena.count
        }
        let sourceNames = tables.map(\.source)
        let linkNames = identity.identifiers.map(\.name) + ["probabilistic"]
        // The sources of each profile as a bit set of tables (more than 64 tables: a set of names).
        let manyTables = tables.count > 64
        var sourceMask = [UInt64](repeating: 0, count: result.profileCount)
        var sourceSets = [Set<String>](repeating: [], count: manyTables ? result.profileCount : 0)
        let link = try store.appender(table: "profile_records", width: 5)
        try keyArena.withUnsafeBufferPointer { (keys) throws(RunError) in
        try idArena.withUnsafeBufferPointer { (ids) throws(RunError) in
            try link.append(count: recordID.count) { statement, r, base in
                let p = result.profileOf[r]
                let t = recordSource[r]
                statement.bind(base + 1, sourceNames[t])
                statement.bind(base + 2, recordID[r])
                if unidentified[p] {
                    statement.bindNull(base + 3)
                } else {
                    statement.bindText(base + 3, ids.baseAddress! + idStart[p], idStart[p + 1] - idStart[p])
                }
                if let by = result.linkedBy[r] {
                    statement.bind(base + 4, by == Stitcher.pairLinkType ? linkNames[linkNames.count - 1] : linkNames[by])
                } else {
                    statement.bindNull(base + 4)
                }
                if keyStart[r] >= 0 {
                    let length = keyEnd(r) - keyStart[r]
                    if length == 0 { statement.bind(base + 5, "") } else { statement.bindText(base + 5, keys.baseAddress! + keyStart[r], length) }
                } else {
                    statement.bindNull(base + 5)
                }
                if manyTables { sourceSets[p].insert(tables[t].source) } else { sourceMask[p] |= 1 << UInt64(t) }
            }
        }
        }
        StatementProfile.lap("identity: profile_records written")
        var sourceList: [UInt64: String] = [:]  // bit set of tables → "crm,web"
        // Identified: the profile holds a value of an identifier that is not anonymous, a record
        // linked by the matcher, or a matching attribute's value (a person's name); else it is a
        // visitor's device. With `attributes_identify: false` only the identifier counts: a
        // profile known by a name alone (a till line with no card, e-mail or phone) is kept but
        // not identified.
        var identified = identity.attributesIdentify ? named : [Bool](repeating: false, count: result.profileCount)
        for i in 0..<observations.count where !identity.identifiers[Int(observations.type[i])].anonymous {
            identified[result.profileOf[Int(observations.record[i])]] = true
        }
        if identity.attributesIdentify {
            for link in evidence {
                identified[result.profileOf[link.a]] = true
                identified[result.profileOf[link.b]] = true
            }
        }
        let nameOnly = identity.attributesIdentify ? 0 : (0..<result.profileCount).count { !unidentified[$0] && named[$0] && !identified[$0] }
        let profile = try store.appender(table: "profiles", width: 4)
        let kept = (0..<result.profileCount).filter { !unidentified[$0] }
        try idArena.withUnsafeBufferPointer { (ids) throws(RunError) in
            try profile.append(count: kept.count) { statement, i, base in
                let p = kept[i]
                statement.bindText(base + 1, ids.baseAddress! + idStart[p], idStart[p + 1] - idStart[p])
                statement.bind(base + 2, size[p])
                statement.bind(base + 4, identified[p] ? 1 : 0)
                if manyTables {
                    statement.bind(base + 3, sourceSets[p].sorted().joined(separator: ","))
                } else {
                    let mask = sourceMask[p]
                    let list = sourceList[mask] ?? {
                        let names = tables.indices.filter { mask & (1 << UInt64($0)) != 0 }.map { tables[$0].source }.sorted()
                        let joined = names.joined(separator: ",")
                        sourceList[mask] = joined
                        return joined
                    }()
                    statement.bind(base + 3, list)
                }
            }
        }
        // Values by their rank: one table per identifier type keyed by profile and rank packed in
        // one integer (no String hashing, no struct hashing per observation).
        var rowOfValue = [[UInt64: Int32]](repeating: [:], count: identity.identifiers.count)
        var ordered: [(profile: Int, type: Int, observation: Int)] = []    // first-seen order: deterministic without sorting
        var holders: [Int] = []                                             // records holding each row's value
        for i in 0..<observations.count {
            let p = result.profileOf[Int(observations.record[i])]
            let type = Int(observations.type[i])
            let key = UInt64(UInt32(p)) << 32 | UInt64(UInt32(bitPattern: result.valueRank[i]))
            if let row = rowOfValue[type][key] {
                holders[Int(row)] += 1
            } else {
                rowOfValue[type][key] = Int32(ordered.count)
                ordered.append((p, type, i))
                holders.append(1)
            }
        }
        rowOfValue = []
        let identifier = try store.appender(table: "identifiers", width: 4)
        try idArena.withUnsafeBufferPointer { (ids) throws(RunError) in
            try identifier.append(count: ordered.count) { statement, i, base in
                let (p, type, o) = ordered[i]
                statement.bindText(base + 1, ids.baseAddress! + idStart[p], idStart[p + 1] - idStart[p])
                statement.bind(base + 2, linkNames[type])
                statement.bind(base + 3, observations.string(type: type, value: Int(observations.value[o])))
                statement.bind(base + 4, holders[i])
            }
        }
        StatementProfile.lap("identity: profiles, identifiers written")
        /// A record as `source:record_id`.
        func label(_ r: Int) -> String { "\(tables[recordSource[r]].source):\(recordID[r])" }
        if let model {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let json = String(decoding: (try? encoder.encode(model)) ?? Data(), as: UTF8.self)
            try store.execute("""
                CREATE TABLE match_model (trained_at_run INTEGER NOT NULL, model TEXT NOT NULL, threshold REAL,
                                          term_frequency TEXT, blocking TEXT);
                CREATE TABLE match_evidence (a_source TEXT NOT NULL, a_record_id INTEGER NOT NULL,
                                             b_source TEXT NOT NULL, b_record_id INTEGER NOT NULL,
                                             probability REAL NOT NULL, weight REAL NOT NULL, levels TEXT NOT NULL,
                                             tf_adjustments TEXT, agreeing TEXT);
                """)
            let saved = try store.statement("INSERT INTO match_model VALUES (?, ?, ?, ?, ?)")
            saved.bind(1, runID)
            saved.bind(2, json)
            if let probabilistic = identity.probabilistic {
                saved.bind(3, probabilistic.threshold)
                saved.bind(4, probabilistic.comparisons.filter(\.termFrequency).map(\.attribute).joined(separator: " "))
                saved.bind(5, probabilistic.blocking.map { $0.joined(separator: "+") }.joined(separator: " "))
            }
            try saved.run()
            let row = try store.appender(table: "match_evidence", width: 9)
            let sourceNames = tables.map(\.source)
            let names = model.comparisons.map { Array($0.name.utf8) }
            var levels: [UInt8] = []
            try row.append(count: evidence.count) { statement, i, base in
                let link = evidence[i]
                statement.bind(base + 1, sourceNames[recordSource[link.a]])
                statement.bind(base + 2, recordID[link.a])
                statement.bind(base + 3, sourceNames[recordSource[link.b]])
                statement.bind(base + 4, recordID[link.b])
                statement.bind(base + 5, link.probability)
                statement.bind(base + 6, link.weight)
                // "first_name=1 last_name=2 …"
                levels.removeAll(keepingCapacity: true)
                for (c, level) in link.levels.enumerated() {
                    if c > 0 { levels.append(0x20) }
                    levels.append(contentsOf: names[c])
                    levels.append(UInt8(ascii: "="))
                    levels.append(contentsOf: String(level).utf8)
                }
                statement.bind(base + 7, String(decoding: levels, as: UTF8.self))
                // What each term-frequency adjustment added to its level's weight (shortest exact
                // decimal form, so the waterfall adds up to `weight`); NULL when none applied.
                let adjusted = zip(model.comparisons, link.adjustments).filter { $0.1 != 0 }.map { "\($0.name)=\($1)" }
                if adjusted.isEmpty { statement.bindNull(base + 8) } else { statement.bind(base + 8, adjusted.joined(separator: " ")) }
                // The records whose values reached each comparison's level: "phone=crm:12~pos:4431 …".
                let agreed = i < agreeing.count ? zip(model.comparisons, agreeing[i]).compactMap { c, pair in
                    pair.map { "\(c.name)=\(label($0.a))~\(label($0.b))" }
                } : []
                if agreed.isEmpty { statement.bindNull(base + 9) } else { statement.bind(base + 9, agreed.joined(separator: " ")) }
            }
            try writeMatchingCounts(store, histogram: weightHistogram, kept: pairsKept, generated: pairsGenerated)
            // `pipeline explain` finds a profile's links from either end.
            try store.execute("""
                CREATE INDEX match_evidence_by_a ON match_evidence(a_source, a_record_id);
                CREATE INDEX match_evidence_by_b ON match_evidence(b_source, b_record_id);
                """)
        }
        var summary = IdentitySummary(records: recordID.count, profiles: result.profileCount - unidentifiedCount,
                                      linkedRecords: result.linkedBy.count { $0 != nil })
        summary.unidentifiedRecords = unidentifiedCount
        summary.nameOnlyProfiles = nameOnly
        summary.matchedEntities = entityCount
        summary.probabilisticLinks = evidence.count
        summary.refusedLinks = result.refusedLinks
        summary.largestProfile = size.max() ?? 0
        summary.previousProfiles = self.previous.count
        let refusal = try store.statement("INSERT INTO identity_refusals VALUES (?, ?, ?, ?, ?)")
        for (link, attribute) in vetoed {
            refusal.bind(1, "probabilistic")
            refusal.bind(2, "\(label(link.a)) \(label(link.b))")
            refusal.bind(3, "veto")
            refusal.bind(4, 2)
            refusal.bind(5, "\(attribute) disagrees (probability \(String(format: "%.4f", link.probability)))")
            try refusal.run()
            summary.refusals["veto", default: 0] += 1
        }
        for r in result.refusals {
            let pairLink = r.type == Stitcher.pairLinkType
            refusal.bind(1, pairLink ? "probabilistic" : identity.identifiers[r.type].name)
            refusal.bind(2, pairLink && r.linked.count == 2 ? "\(label(r.linked[0])) \(label(r.linked[1]))" : r.value)
            refusal.bind(3, r.reason.rawValue)
            refusal.bind(4, r.records)
            if r.reason == .maxClusterSize, r.linked.count == 2, r.parts.count == 2 {
                // A split: the link cut, and the parts it would have joined.
                refusal.bind(5, "cut \(label(r.linked[0])) - \(label(r.linked[1])): would join parts of \(r.parts[0]) and \(r.parts[1]) records, over max_cluster_size \(identity.maxClusterSize ?? 0)")
            } else {
                refusal.bindNull(5)
            }
            try refusal.run()
            summary.refusals[r.reason.rawValue, default: 0] += 1
        }
        StatementProfile.lap("identity: evidence, refusals written")
        // Lookups are by a profile id, never of the records in none (a walk-in sale): those stay
        // out of the index, an eighth of it at 100k Acme customers.
        try store.execute("""
            CREATE INDEX profile_records_by_profile ON profile_records(profile_id) WHERE profile_id IS NOT NULL;
            CREATE INDEX identifiers_by_value ON identifiers(type, value);
            CREATE INDEX identifiers_by_profile ON identifiers(profile_id);
            """)
        StatementProfile.lap("identity: indexes")
        // Kept for the golden records: each record's profile by table and record id, without a
        // join or a sort in SQL.
        var rowOf = [Int](repeating: 0, count: result.profileCount)
        for (i, p) in kept.enumerated() { rowOf[p] = i + 1 }
        let map = ProfileMap(ids: profileID, rows: rowOf, byTable: Dictionary(uniqueKeysWithValues: tables.indices.map { t in
            (tables[t].source, indexOf[t].map { $0 < 0 || unidentified[result.profileOf[$0]] ? -1 : Int32(result.profileOf[$0]) })
        }))
        return IdentityResult(summary: summary, profiles: map, lineage: lineage)
    }


    /// How a record is recognized in the previous output: by its source and natural key.
    static func continuityKey(source: String, recordKey: String) -> String {
        "\(source)\u{1F}k\u{1F}\(recordKey)"
    }

    /// How a record without a natural key is recognized: by its source, file name and line.
    static func continuityKey(source: String, fileName: String, line: Int) -> String {
        "\(source)\u{1F}f\u{1F}\(fileName)\u{1F}\(line)"
    }

    /// The matcher's comparison for a pipeline file's: an exact level first, then its levels.
    static func matcherComparison(_ c: IdentityDefinition.Probabilistic.Comparison,
                                  attributeIndex: [String: Int]) -> FellegiSunter.Comparison {
        var levels: [FellegiSunter.Comparison.Level] = [.exact]
        if c.method == .nameSwap { levels.append(.swapped(c.swapThreshold)) }
        for level in c.levels {
            switch (level, c.method) {
            case (.similarity(let t), .tokenSet): levels.append(.tokenJaccard(t))
            case (.similarity(let t), _): levels.append(.jaroWinkler(t))
            case (.edits(let k), .damerauLevenshtein): levels.append(.damerauLevenshtein(k))
            case (.edits(let k), _): levels.append(.levenshtein(k))
            case (.dateTypo, _): levels.append(.dateTypo)
            case (.dayMonthSwap, _): levels.append(.dayMonthSwapped)
            case (.withinDays(let d), _): levels.append(.withinDays(d))
            case (.absoluteDifference(let v), _): levels.append(.absoluteDifference(v))
            case (.relativeDifference(let v), _): levels.append(.relativeDifference(v))
            }
        }
        return FellegiSunter.Comparison(name: c.attribute, attribute: attributeIndex[c.attribute]!, levels: levels,
                                        otherAttribute: c.with.flatMap { attributeIndex[$0] })
    }

    static func shortHash(_ bytes: [UInt8]) -> String {
        Array(SHA256.hash(data: bytes)).prefix(8).hexString
    }
}

/// The previously published output's profile id of each record (`IdentityStage.continuityKey`)
/// and its profile count (nil without a previous output).
struct PreviousProfiles {
    var ids: [String: String] = [:]
    var count: Int?
}

/// What identity resolution decided, for the stages after it.
struct IdentityResult {
    var summary: IdentitySummary
    /// Each record's profile, kept in memory for the golden records.
    var profiles: ProfileMap
    /// Each new profile's share of records of each previous profile (merges and splits).
    var lineage: [(profile: String, previous: String, records: Int)]
}
