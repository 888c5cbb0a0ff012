import Foundation
import TributaryConfig
import TributaryMatching

/// Why the records of a profile are one person, read from a published output database
/// (`pipeline explain`): each record with its origin (source, file, line, record id) and the
/// identifier type that joined it (`profile_records.linked_by`), and for each probabilistic link
/// a waterfall of weights — the prior, each comparison's level and match weight log2(m/u), the
/// term-frequency adjustment, the running total — ending at the match probability.
///
/// Customer values (identifiers, matching attributes) are left out unless `showValues` is set.
/// Read-only: the database is opened with `mode=ro`.
public final class ProfileExplainer {
    /// One record: `SOURCE:RECORD_ID` (`record_id` = `src_<source>._record_id`).
    public struct RecordRef: Sendable, Codable, Hashable, CustomStringConvertible {
        public var source: String
        public var recordID: Int

        public init(source: String, recordID: Int) {
            self.source = source
            self.recordID = recordID
        }

        /// Parses `SOURCE:RECORD_ID` (the source may itself contain `:`; the id is after the last one).
        public init?(_ text: String) {
            guard let colon = text.lastIndex(of: ":"), let id = Int(text[text.index(after: colon)...]),
                  colon > text.startIndex else { return nil }
            source = String(text[..<colon])
            recordID = id
        }

        public var description: String { "\(source):\(recordID)" }
    }

    /// An identifier or matching-attribute value of a record (only with `showValues`).
    public struct Value: Sendable, Codable, Equatable {
        /// `identifier` or `attribute`.
        public var kind: String
        public var name: String
        public var value: String
    }

    public struct Record: Sendable, Codable {
        public var record: RecordRef
        public var profileID: String?
        public var file: String?
        public var line: Int?
        /// The identifier type that joined it, `probabilistic` for a match link, nil for none.
        public var linkedBy: String?
        public var values: [Value]?
    }

    /// One comparison of a waterfall.
    public struct Step: Sendable, Codable {
        public var comparison: String
        /// The level index (0 null, 1 exact, …, last else) and its name.
        public var level: Int
        public var levelName: String
        /// log2(m / u) of the level (0 for null: no evidence).
        public var weight: Double
        public var m: Double?
        public var u: Double?
        /// What the term-frequency adjustment added (exact level of a `term_frequency` comparison).
        public var termFrequencyAdjustment: Double?
        /// The running total after this step.
        public var total: Double
        /// The two records' values (only with `showValues`): of the records in `from` when known.
        public var values: [String?]?
        /// The records whose values reached the level (`crm:12`, `pos:4431`): the matcher compares
        /// clusters, so they may be other records than the link's two. Nil when not recorded.
        public var from: [String]?
    }

    public struct Waterfall: Sendable, Codable {
        public var a: RecordRef
        public var b: RecordRef
        /// P(match) of two records drawn at random, and its log2 Bayes factor log2(prior / (1 - prior)).
        public var prior: Double
        public var priorWeight: Double
        public var steps: [Step]
        /// The final total and 1 / (1 + 2^-weight).
        public var weight: Double
        public var probability: Double
        /// The run's threshold, when recorded.
        public var threshold: Double?
        /// The weight and probability stored in `match_evidence`, when the pair is there.
        public var storedWeight: Double?
        public var storedProbability: Double?
        /// Both records ended in the same profile.
        public var joined: Bool?
        public var notes: [String] = []
    }

    public struct ProfileExplanation: Sendable, Codable {
        public var profileID: String
        public var sources: [String]
        public var records: [Record]
        /// Probabilistic links between records of the profile.
        public var links: [Waterfall]
        /// Links scored above the threshold from a record of the profile to a record that ended
        /// elsewhere (refused by the guards or cut by `max_cluster_size`).
        public var notJoined: [Waterfall]
        public var notes: [String]
    }

    public struct PairExplanation: Sendable, Codable {
        public var records: [Record]
        /// Nil when the pair cannot be scored; `missing` then says why.
        public var waterfall: Waterfall?
        public var missing: [String]
    }

    let db: SQLiteDatabase
    let path: String
    public let showValues: Bool
    let tables: Set<String>
    /// The run's model and its settings, when the run had a probabilistic matcher.
    let model: FellegiSunter.Model?
    let threshold: Double?
    /// Comparison names with term-frequency adjustment; nil when the database does not record it.
    let termFrequency: Set<String>?
    let blocking: [[String]]?
    /// (kind, name) → fields in order, per source; nil when the database predates `identity_fields`.
    let fields: [Field]?

    struct Field { var kind: String; var name: String; var source: String; var field: String }

    public init(path: String, showValues: Bool = false) throws(RunError) {
        self.path = path
        self.showValues = showValues
        let (db, tables) = try OutputDatabase.open(path)
        self.db = db
        self.tables = tables
        guard tables.contains("profile_records"), tables.contains("profiles") else {
            throw RunError.input("\(path) has no profiles: its pipeline has no `identity:` section")
        }
        var model: FellegiSunter.Model?
        var threshold: Double?, termFrequency: Set<String>?, blocking: [[String]]?
        if tables.contains("match_model") {
            let columns = try Self.columns(db, "match_model")
            let select = ["model"] + ["threshold", "term_frequency", "blocking"].map { columns.contains($0) ? $0 : "NULL" }
            let row = try db.prepare("SELECT \(select.joined(separator: ", ")) FROM match_model ORDER BY trained_at_run DESC LIMIT 1")
            if try row.next() {
                model = row.text(0).flatMap { try? JSONDecoder().decode(FellegiSunter.Model.self, from: Data($0.utf8)) }
                if !row.isNull(1) { threshold = row.double(1) }
                if columns.contains("term_frequency") {
                    termFrequency = Set((row.text(2) ?? "").split(separator: " ").map(String.init))
                }
                if let text = row.text(3) { blocking = text.split(separator: " ").map { $0.split(separator: "+").map(String.init) } }
            }
        }
        self.model = model
        self.threshold = threshold
        self.termFrequency = termFrequency
        self.blocking = blocking
        if tables.contains("identity_fields") {
            var fields: [Field] = []
            let rows = try db.prepare("SELECT kind, name, source, field FROM identity_fields ORDER BY rowid")
            while try rows.next() {
                fields.append(Field(kind: rows.text(0) ?? "", name: rows.text(1) ?? "", source: rows.text(2) ?? "", field: rows.text(3) ?? ""))
            }
            self.fields = fields
        } else {
            fields = nil
        }
    }

    // MARK: A profile

    /// Explains one profile; an unknown id is an input error with a hint.
    public func explain(profile: String) throws(RunError) -> ProfileExplanation {
        let found = try db.prepare("SELECT sources FROM profiles WHERE profile_id = ?")
        found.bind(1, profile)
        guard try found.next() else {
            throw RunError.input("""
                no profile '\(profile)' in \(path)
                hint: `pipeline inspect \(path)` counts the profiles; \
                `sqlite3 \(path) "select profile_id, records from profiles order by records desc limit 10"` lists the largest
                """)
        }
        let sources = (found.text(0) ?? "").split(separator: ",").map(String.init)
        var records: [Record] = []
        let rows = try db.prepare("SELECT source, record_id, linked_by FROM profile_records WHERE profile_id = ? ORDER BY source, record_id")
        rows.bind(1, profile)
        while try rows.next() {
            let ref = RecordRef(source: rows.text(0) ?? "", recordID: rows.int(1))
            records.append(try record(ref, profileID: profile, linkedBy: rows.text(2)))
        }
        var links: [Waterfall] = [], notJoined: [Waterfall] = []
        var notes: [String] = []
        if tables.contains("match_evidence") {
            // The links of the profile's records, through the indexes on both ends of a link.
            let evidence = try db.prepare("""
                SELECT \(try evidenceColumns()), ra.profile_id, rb.profile_id
                FROM match_evidence e
                JOIN profile_records ra ON ra.source = e.a_source AND ra.record_id = e.a_record_id
                JOIN profile_records rb ON rb.source = e.b_source AND rb.record_id = e.b_record_id
                WHERE e.rowid IN (
                    SELECT x.rowid FROM profile_records r JOIN match_evidence x ON x.a_source = r.source AND x.a_record_id = r.record_id
                    WHERE r.profile_id = ?1
                    UNION
                    SELECT x.rowid FROM profile_records r JOIN match_evidence x ON x.b_source = r.source AND x.b_record_id = r.record_id
                    WHERE r.profile_id = ?1)
                ORDER BY e.rowid
                """)
            evidence.bind(1, profile)
            var rows: [(Evidence, Bool)] = []
            while try evidence.next() {
                rows.append((Evidence(evidence), evidence.text(9) == evidence.text(10)))
            }
            if model == nil, !rows.isEmpty { notes.append("no readable match_model: the probabilistic links cannot be explained") }
            for (row, joined) in rows {
                guard var waterfall = try waterfall(row) else { continue }
                waterfall.joined = joined
                if joined { links.append(waterfall) } else { notJoined.append(waterfall) }
            }
        } else if records.contains(where: { $0.linkedBy == "probabilistic" }) {
            notes.append("this database has no match_evidence table: the probabilistic links cannot be explained")
        }
        if showValues, fields == nil {
            notes.append("this database does not record where identifiers and attributes are read from (identity_fields): no values to show")
        }
        return ProfileExplanation(profileID: profile, sources: sources, records: records, links: links, notJoined: notJoined, notes: notes)
    }

    // MARK: A pair

    /// Scores two records with the run's saved model: from `match_evidence` when the run linked
    /// them, otherwise from their values in the source tables (when the database records where
    /// the matching attributes come from). What is missing is said in `missing`.
    public func explain(_ a: RecordRef, _ b: RecordRef) throws(RunError) -> PairExplanation {
        var records: [Record] = []
        for ref in [a, b] {
            let row = try db.prepare("SELECT profile_id, linked_by FROM profile_records WHERE source = ? AND record_id = ?")
            row.bind(1, ref.source)
            row.bind(2, ref.recordID)
            guard try row.next() else {
                throw RunError.input("no record \(ref) in \(path) (records are SOURCE:RECORD_ID, RECORD_ID = src_<source>._record_id)\nhint: `pipeline explain \(path) PROFILE_ID` lists the records of a profile")
            }
            records.append(try record(ref, profileID: row.text(0), linkedBy: row.text(1)))
        }
        var missing: [String] = []
        if model == nil {
            missing.append(tables.contains("match_model") ? "the match_model of this database cannot be read"
                           : "no match_model: the run had no `identity.probabilistic` matcher")
            return PairExplanation(records: records, waterfall: nil, missing: missing)
        }
        var waterfall = try waterfall(a, b)
        if waterfall == nil {
            waterfall = try scoreFromValues(a, b, missing: &missing)
        }
        waterfall?.joined = records[0].profileID == records[1].profileID
        return PairExplanation(records: records, waterfall: waterfall, missing: missing)
    }

    // MARK: Waterfalls

    /// One row of `match_evidence`.
    struct Evidence {
        var a: RecordRef
        var b: RecordRef
        var probability: Double
        var weight: Double
        var levels: String
        /// Nil when the database has no `tf_adjustments` column.
        var adjustments: String?
        var recordsAdjustments: Bool
        /// `agreeing`: comparison → the two records whose values reached its level.
        var agreeing: [String: (RecordRef, RecordRef)] = [:]

        /// From the first 8 columns of `evidenceColumns()`.
        init(_ row: SQLiteDatabase.Statement) {
            a = RecordRef(source: row.text(0) ?? "", recordID: row.int(1))
            b = RecordRef(source: row.text(2) ?? "", recordID: row.int(3))
            probability = row.double(4)
            weight = row.double(5)
            levels = row.text(6) ?? ""
            adjustments = row.text(7)
            recordsAdjustments = row.text(7) != "-1"  // see `evidenceColumns`; a real value is `name=weight …`
            // "phone=crm:12~pos:4431 …"
            for (name, pair) in ProfileExplainer.pairs(row.text(8) ?? "") {
                let ends = pair.split(separator: "~").compactMap { RecordRef(String($0)) }
                if ends.count == 2 { agreeing[name] = (ends[0], ends[1]) }
            }
        }
    }

    /// The columns `Evidence` reads, of `match_evidence e` (older databases lack `tf_adjustments`:
    /// -1, and `agreeing`: NULL).
    func evidenceColumns() throws(RunError) -> String {
        let columns = try Self.columns(db, "match_evidence")
        return "e.a_source, e.a_record_id, e.b_source, e.b_record_id, e.probability, e.weight, e.levels, "
            + (columns.contains("tf_adjustments") ? "e.tf_adjustments" : "-1") + ", "
            + (columns.contains("agreeing") ? "e.agreeing" : "NULL")
    }

    /// The waterfall of a pair stored in `match_evidence` (either order); nil when it is not there.
    func waterfall(_ a: RecordRef, _ b: RecordRef) throws(RunError) -> Waterfall? {
        guard model != nil, tables.contains("match_evidence") else { return nil }
        let row = try db.prepare("""
            SELECT \(try evidenceColumns()) FROM match_evidence e
            WHERE (e.a_source = ?1 AND e.a_record_id = ?2 AND e.b_source = ?3 AND e.b_record_id = ?4)
               OR (e.a_source = ?3 AND e.a_record_id = ?4 AND e.b_source = ?1 AND e.b_record_id = ?2)
            LIMIT 1
            """)
        row.bind(1, a.source)
        row.bind(2, a.recordID)
        row.bind(3, b.source)
        row.bind(4, b.recordID)
        guard try row.next() else { return nil }
        return try waterfall(Evidence(row))
    }

    /// The waterfall of one `match_evidence` row, from its levels and adjustments and the model.
    func waterfall(_ evidence: Evidence) throws(RunError) -> Waterfall? {
        guard let model else { return nil }
        let first = evidence.a, second = evidence.b
        let storedProbability = evidence.probability, storedWeight = evidence.weight
        let levels = Self.pairs(evidence.levels).compactMapValues { Int($0) }
        let adjustments = Self.pairs(evidence.recordsAdjustments ? evidence.adjustments ?? "" : "").compactMapValues { Double($0) }
        let hasTF = evidence.recordsAdjustments
        var notes: [String] = []
        var levelList: [Int] = []
        for comparison in model.comparisons {
            guard let level = levels[comparison.name], level >= 0, level < comparison.levelCount else {
                return Waterfall(a: first, b: second, prior: model.prior, priorWeight: model.priorWeight, steps: [],
                                 weight: storedWeight, probability: storedProbability, threshold: threshold,
                                 storedWeight: storedWeight, storedProbability: storedProbability,
                                 notes: ["match_evidence has no level for '\(comparison.name)': the model and the evidence disagree"])
            }
            levelList.append(level)
        }
        if !hasTF, !(termFrequency ?? []).isEmpty || termFrequency == nil {
            notes.append("this database does not record term-frequency adjustments per comparison; the waterfall leaves them out")
        }
        var waterfall = try build(first, second, model: model, levels: levelList,
                                  adjustments: model.comparisons.map { adjustments[$0.name] ?? 0 }, notes: notes,
                                  agreeing: evidence.agreeing)
        waterfall.storedWeight = storedWeight
        waterfall.storedProbability = storedProbability
        if abs(waterfall.weight - storedWeight) > 1e-6 {
            waterfall.notes.append("the steps add up to \(Self.number(waterfall.weight)), not the stored weight \(Self.number(storedWeight))")
        }
        return waterfall
    }

    /// Scores a pair the run did not link, from the records' values.
    func scoreFromValues(_ a: RecordRef, _ b: RecordRef, missing: inout [String]) throws(RunError) -> Waterfall? {
        guard let model else { return nil }
        guard let fields else {
            missing.append("this database does not record which fields the matching attributes are read from (identity_fields, written by newer runs); run the pipeline again to score pairs it did not link")
            return nil
        }
        var lists: [[[String]]] = []
        var valueText: [[String?]] = []
        for comparison in model.comparisons {
            let va = try attributeValues(comparison.name, of: a, fields: fields)
            let vb = try attributeValues(comparison.name, of: b, fields: fields)
            lists.append([va, vb])
            // The value a term-frequency adjustment and a blocking rule look at: one both hold, else the first.
            let shared = va.first { vb.contains($0) }
            valueText.append([shared ?? va.first, shared ?? vb.first])
        }
        let comparisons = model.comparisons.enumerated().map { c, comparison in
            FellegiSunter.Comparison(name: comparison.name, attribute: c, levels: comparison.levels)
        }
        let levels = FellegiSunter.levels(records: FellegiSunter.Records(stringLists: lists), comparisons: comparisons, a: 0, b: 1)
        var notes = ["not in match_evidence: scored now from the saved model and the two records' values (the run compares the clusters their identifiers built, with every value of their records)"]
        let weights = model.levelWeights
        var adjustments = [Double](repeating: 0, count: comparisons.count)
        if termFrequency == nil {
            notes.append("this database does not record which comparisons are term-frequency adjusted; none is")
        }
        for (c, comparison) in model.comparisons.enumerated() where levels[c] == 1 && termFrequency?.contains(comparison.name) == true {
            guard let value = valueText[c][0], let share = try share(of: value, attribute: comparison.name, fields: fields), share > 0 else { continue }
            adjustments[c] = FellegiSunter.termFrequencyWeight(model: model, comparison: c, share: share) - weights[c][1]
        }
        if let blocking {
            let values = Dictionary(model.comparisons.enumerated().map { ($1.name, valueText[$0]) }, uniquingKeysWith: { x, _ in x })
            let blocked = blocking.contains { rule in
                rule.allSatisfy { name in
                    if let pair = IdentityDefinition.Probabilistic.sortedPair(name) {
                        guard let x = values[pair[0]], let y = values[pair[1]], let ax = x[0], let ay = y[0],
                              let bx = x[1], let by = y[1] else { return false }
                        return (ax == bx && ay == by) || (ax == by && ay == bx)
                    }
                    return values[name].map { $0[0] != nil && $0[0] == $0[1] } ?? false
                }
            }
            notes.append(blocked ? "a blocking rule pairs these records: the run scored them below the threshold"
                                 : "no blocking rule pairs these records: the run never compared them")
        }
        return try build(a, b, model: model, levels: levels, adjustments: adjustments, notes: notes)
    }

    func build(_ a: RecordRef, _ b: RecordRef, model: FellegiSunter.Model, levels: [Int], adjustments: [Double],
               notes: [String], agreeing: [String: (RecordRef, RecordRef)] = [:]) throws(RunError) -> Waterfall {
        let weights = model.levelWeights
        var total = model.priorWeight
        var steps: [Step] = []
        var values: [[String?]]?
        if showValues, let fields {
            values = []
            for comparison in model.comparisons {
                // The values of the records that reached the level when recorded, else of the
                // link's two; a record's several values (a phone and a mobile) are shown as `x, y`.
                let (x, y) = agreeing[comparison.name] ?? (a, b)
                let va = try attributeValues(comparison.name, of: x, fields: fields), vb = try attributeValues(comparison.name, of: y, fields: fields)
                values?.append([va.isEmpty ? nil : va.joined(separator: ", "), vb.isEmpty ? nil : vb.joined(separator: ", ")])
            }
        }
        for (c, comparison) in model.comparisons.enumerated() {
            let level = levels[c]
            total += weights[c][level]
            let adjustment = c < adjustments.count && adjustments[c] != 0 ? adjustments[c] : nil
            total += adjustment ?? 0
            steps.append(Step(comparison: comparison.name, level: level, levelName: comparison.levelName(level),
                              weight: weights[c][level], m: level == 0 ? nil : model.m[c][level],
                              u: level == 0 ? nil : model.u[c][level], termFrequencyAdjustment: adjustment,
                              total: total, values: values?[c],
                              from: agreeing[comparison.name].map { ["\($0.0)", "\($0.1)"] }))
        }
        return Waterfall(a: a, b: b, prior: model.prior, priorWeight: model.priorWeight, steps: steps, weight: total,
                         probability: 1 / (1 + exp2(-total)), threshold: threshold, notes: notes)
    }

    // MARK: Reading records

    func record(_ ref: RecordRef, profileID: String?, linkedBy: String?) throws(RunError) -> Record {
        var record = Record(record: ref, profileID: profileID, file: nil, line: nil, linkedBy: linkedBy, values: nil)
        let table = "src_" + ref.source
        guard tables.contains(table) else { return record }
        let origin = try db.prepare("SELECT _file_id, _line FROM \(SQLiteWriter.quote(table)) WHERE _record_id = ?")
        origin.bind(1, ref.recordID)
        if try origin.next() {
            record.line = origin.int(1)
            let fileID = origin.int(0)
            if tables.contains("run_inputs") {
                let file = try db.prepare("SELECT path FROM run_inputs WHERE file_id = ? ORDER BY run_id DESC LIMIT 1")
                file.bind(1, fileID)
                if try file.next() { record.file = file.text(0) }
            }
        }
        if showValues, let fields {
            var values: [Value] = []
            var seen = Set<String>()
            for f in fields where f.source == ref.source && seen.insert(f.kind + "\u{1F}" + f.name).inserted {
                if f.kind == "attribute" {
                    for v in try attributeValues(f.name, of: ref, fields: fields) { values.append(Value(kind: f.kind, name: f.name, value: v)) }
                } else {
                    for g in fields where g.kind == f.kind && g.name == f.name && g.source == ref.source {
                        if let v = try fieldValue(g.field, of: ref), !v.isEmpty { values.append(Value(kind: f.kind, name: f.name, value: v)) }
                    }
                }
            }
            record.values = values
        }
        return record
    }

    /// One field of one record as text (NULL → nil).
    func fieldValue(_ field: String, of ref: RecordRef) throws(RunError) -> String? {
        let table = "src_" + ref.source
        guard tables.contains(table) else { return nil }
        let row: SQLiteDatabase.Statement
        do {
            row = try db.prepare("SELECT CAST(\(SQLiteWriter.quote(field)) AS TEXT) FROM \(SQLiteWriter.quote(table)) WHERE _record_id = ?")
        } catch {
            return nil  // the field is gone (a changed pipeline): no value
        }
        row.bind(1, ref.recordID)
        return try row.next() ? row.text(0) : nil
    }

    /// A matching attribute's value on a record as the run read it: the last non-empty field of
    /// the record's source that holds the attribute.
    /// The record's values of a matching attribute: every field of the attribute in its source
    /// (a contact's phone and mobile), each distinct value once.
    func attributeValues(_ attribute: String, of ref: RecordRef, fields: [Field]) throws(RunError) -> [String] {
        var result: [String] = []
        for f in fields where f.kind == "attribute" && f.name == attribute && f.source == ref.source {
            if let v = try fieldValue(f.field, of: ref), !v.isEmpty, !result.contains(v) { result.append(v) }
        }
        return result
    }

    /// The share of `value` among an attribute's values over all records (as the run's
    /// term-frequency adjustment counts it); nil when it cannot be counted.
    func share(of value: String, attribute: String, fields: [Field]) throws(RunError) -> Double? {
        var bySource: [String: [String]] = [:]
        var order: [String] = []
        for f in fields where f.kind == "attribute" && f.name == attribute {
            if bySource[f.source] == nil { order.append(f.source) }
            bySource[f.source, default: []].append(f.field)
        }
        var hits = 0, total = 0
        for source in order {
            let table = "src_" + source
            guard tables.contains(table), let list = bySource[source] else { continue }
            // Last non-empty field wins, as in the run.
            let expression = "COALESCE(" + list.reversed().map { "NULLIF(CAST(\(SQLiteWriter.quote($0)) AS TEXT), '')" }.joined(separator: ", ") + ", NULL)"
            let count: SQLiteDatabase.Statement
            do {
                count = try db.prepare("SELECT count(*), sum(\(expression) = ?1) FROM \(SQLiteWriter.quote(table)) WHERE \(expression) IS NOT NULL")
            } catch {
                return nil
            }
            count.bind(1, value)
            if try count.next() {
                total += count.int(0)
                hits += count.int(1)
            }
        }
        return total > 0 ? Double(hits) / Double(total) : nil
    }

    // MARK: Helpers

    static func columns(_ db: SQLiteDatabase, _ table: String) throws(RunError) -> Set<String> {
        let info = try db.prepare("SELECT name FROM pragma_table_info('\(table)')")
        var names = Set<String>()
        while try info.next() { if let name = info.text(0) { names.insert(name) } }
        return names
    }

    /// `a=1 b=2` → [a: "1", b: "2"].
    static func pairs(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for part in text.split(separator: " ") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            result[String(part[..<eq])] = String(part[part.index(after: eq)...])
        }
        return result
    }

    static func number(_ x: Double) -> String { String(format: "%+.3f", x) }
}
