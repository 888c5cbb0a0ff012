import TributaryComponents
import TributaryCore

/// `pipeline find`: which profile holds a value a person brings ("where is ann.lee@gmail.com?").
///
/// The value is looked up among the output's identifier values of one type (`email`, `phone`,
/// `user_id`, ... as the pipeline names them), in the forms the pipeline's standardizers give it:
/// as typed, trimmed, lower-cased, the `email` transform's match key, and the `phone` transform's
/// E.164 (for `--region` numbers written without a country code). A `SOURCE.FIELD` key looks for
/// records whose field holds the value, and follows them to their profiles; such a record that
/// joined no profile (a walk-in sale) is reported as such.
public struct ProfileFinder {
    public struct Match: Sendable, Encodable {
        public var profileID: String
        public var records: Int
        /// `source:records` of the profile, e.g. `crm:1 events:12`.
        public var sources: String
        /// How the value was found: the identifier type or `source.field`, and which form matched.
        public var matchedBy: String

        enum CodingKeys: String, CodingKey {
            case profileID = "profile_id", records, sources, matchedBy = "matched_by"
        }
    }

    public struct Result: Sendable, Encodable {
        public var key: String
        public var profiles: [Match] = []
        /// Records holding the value that joined no profile, as `source:record_id`.
        public var unattributedRecords: [String] = []
        /// The forms looked for (names of the normalizations, never the values).
        public var forms: [String] = []

        enum CodingKeys: String, CodingKey {
            case key, profiles, unattributedRecords = "unattributed_records", forms
        }
    }

    let db: SQLiteDatabase
    let tables: Set<String>
    let path: String

    public init(path: String) throws(RunError) {
        (db, tables) = try OutputDatabase.open(path)
        self.path = path
    }

    /// The identifier types of the output, as the pipeline names them.
    public func identifierTypes() throws(RunError) -> [String] {
        guard tables.contains("identity_fields") else { return [] }
        return try db.strings("SELECT DISTINCT name FROM identity_fields WHERE kind = 'identifier' ORDER BY name")
    }

    public func find(key: String, value: String, region: String) throws(RunError) -> Result {
        guard tables.contains("profiles"), tables.contains("identifiers") else {
            throw OutputDatabase.mistake("\(path) has no profiles: its pipeline has no `identity:` section",
                                         hint: "`pipeline inspect \(path)` lists its tables")
        }
        let forms = Self.forms(of: value, region: region)
        var result = Result(key: key, forms: forms.map(\.name))
        var found: [(profile: String, by: String)] = []
        if let dot = key.firstIndex(of: "."), !(try identifierTypes()).contains(key) {
            let source = String(key[..<dot]), field = String(key[key.index(after: dot)...])
            let table = "src_" + source
            guard tables.contains(table) else {
                throw OutputDatabase.mistake("the output has no source '\(source)'",
                                             hint: "its sources: " + tables.filter { $0.hasPrefix("src_") }.map { String($0.dropFirst(4)) }.sorted().joined(separator: ", "))
            }
            let fields = try db.columns(of: table)
            guard fields.contains(field) else {
                throw OutputDatabase.mistake("source '\(source)' has no field '\(field)'",
                                             hint: Suggestions.didYouMean(field, in: fields.filter { !$0.hasPrefix("_") }) ?? "see `pipeline inspect`")
            }
            let query = try db.prepare("""
                SELECT s._record_id, r.profile_id FROM \(SQLiteWriter.quote(table)) s
                LEFT JOIN profile_records r ON r.source = ?2 AND r.record_id = s._record_id
                WHERE CAST(s.\(SQLiteWriter.quote(field)) AS TEXT) = ?1
                """)
            for form in forms {
                query.bind(1, form.value)
                query.bind(2, source)
                while try query.next() {
                    if let profile = query.text(1) {
                        found.append((profile, "\(key) (\(form.name))"))
                    } else {
                        let record = "\(source):\(query.int(0))"
                        if !result.unattributedRecords.contains(record) { result.unattributedRecords.append(record) }
                    }
                }
            }
        } else {
            let types = try identifierTypes()
            guard types.contains(key) else {
                throw OutputDatabase.mistake("the output has no identifier '\(key)'",
                                             hint: (Suggestions.didYouMean(key, in: types).map { $0 + "; " } ?? "")
                                                 + "its identifiers: \(types.joined(separator: ", ")); or SOURCE.FIELD for a field of a source")
            }
            let query = try db.prepare("SELECT profile_id FROM identifiers WHERE type = ?1 AND value = ?2")
            for form in forms {
                query.bind(1, key)
                query.bind(2, form.value)
                while try query.next() {
                    if let profile = query.text(0) { found.append((profile, "\(key) (\(form.name))")) }
                }
            }
        }
        var seen = Set<String>()
        let describe = try db.prepare("SELECT records FROM profiles WHERE profile_id = ?")
        let bySource = try db.prepare("SELECT source, count(*) FROM profile_records WHERE profile_id = ? GROUP BY source ORDER BY source")
        for (profile, by) in found where seen.insert(profile).inserted {
            describe.bind(1, profile)
            let records = try describe.next() ? describe.int(0) : 0
            while try describe.next() {}
            bySource.bind(1, profile)
            var parts: [String] = []
            while try bySource.next() { parts.append("\(bySource.text(0) ?? ""):\(bySource.int(1))") }
            result.profiles.append(Match(profileID: profile, records: records, sources: parts.joined(separator: " "), matchedBy: by))
        }
        return result
    }

    /// The forms a value may have in the output, named: as typed, trimmed, lower-cased, and what
    /// the `email` and `phone` standardizers make of it.
    static func forms(of value: String, region: String) -> [(name: String, value: String)] {
        var forms: [(name: String, value: String)] = [("as typed", value)]
        func add(_ name: String, _ text: String?) {
            guard let text, !text.isEmpty, !forms.contains(where: { $0.value == text }) else { return }
            forms.append((name, text))
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        add("trimmed", trimmed)
        add("lower-cased", trimmed.lowercased())
        let email = standardized("email", value, ["field": "v", "match_key": "k"], outputs: ["v", "k"])
        add("e-mail", email[0])
        add("e-mail match key", email[1])
        let phone = standardized("phone", value, ["field": "v", "into": "e164", "region": region], outputs: ["e164"])
        add("E.164 phone", phone[0])
        return forms
    }

    /// Runs one standardizer, configured as a pipeline would, over a one-record batch.
    private static func standardized(_ name: String, _ value: String, _ options: [String: String],
                                     outputs: [String]) -> [String?] {
        guard let component = Registry.standard.transform(name) else { return outputs.map { _ in nil } }
        let location = SourceLocation(file: "<find>", line: 1, column: 1)
        let node = ConfigNode(.mapping(options.sorted { $0.key < $1.key }.map {
            ConfigEntry(key: $0.key, keyLocation: location, value: ConfigNode(.scalar($0.value), at: location))
        }), at: location)
        var scope = FieldScope(fields: ["v"])
        var diagnostics = DiagnosticBag()
        guard let transform = component.make(node, scope: &scope, diagnostics: &diagnostics), diagnostics.errorCount == 0 else {
            return outputs.map { _ in nil }
        }
        var batch = RecordBatch(columnCount: 1)
        batch.columns[0].append(value)
        batch.lines = [1]
        var counters = TransformCounters()
        _ = transform.apply(to: &batch, counters: &counters)
        return outputs.map { name in
            guard let column = scope.column(of: name), column < batch.columns.count, batch.count == 1 else { return nil }
            return batch.columns[column].string(0)
        }
    }

    /// The result as text: one line per profile, then the records that joined none.
    public static func text(_ result: Result) -> String {
        var out = ""
        if result.profiles.isEmpty && result.unattributedRecords.isEmpty {
            return "no profile holds that \(result.key) (looked for it \(result.forms.joined(separator: ", ")))\n"
        }
        for m in result.profiles {
            out += "\(m.profileID)  \(m.records) record\(m.records == 1 ? "" : "s") (\(m.sources))  found by \(m.matchedBy)\n"
        }
        for record in result.unattributedRecords {
            out += "\(record)  holds it, in no profile (no identifier, no link: its activities are unattributed)\n"
        }
        return out
    }
}
