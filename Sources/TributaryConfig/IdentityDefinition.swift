import TributaryCore

/// The `identity:` section: which fields are identifiers of a person, and the guards on linking
/// records through them (see `Stitcher` in TributaryMatching).
public struct IdentityDefinition: Sendable {
    public struct IdentifierType: Sendable {
        public var name: String
        /// The fields it is read from, as (source, output field).
        public var fields: [(source: String, field: String)]
        public var maxPerProfile: Int?
    }

    /// In priority order: earlier types link first.
    public var identifiers: [IdentifierType]
    /// Values that identify no one (placeholders, shared test addresses), compared exactly.
    public var ignoreValues: [String]
    public var maxRecordsPerValue: Int?
    public var maxClusterSize: Int?
    /// `probabilistic:`: a Fellegi-Sunter matcher whose links join profiles under the same guards.
    public var probabilistic: Probabilistic?

    public struct Probabilistic: Sendable {
        public enum Method: String, Sendable, CaseIterable {
            case exact, jaroWinkler = "jaro_winkler", levenshtein, damerauLevenshtein = "damerau_levenshtein"
        }

        public struct Comparison: Sendable {
            public var attribute: String
            public var method: Method
            /// Similarity thresholds (Jaro-Winkler) or maximum edit distances, best level first.
            public var levels: [Double]
            /// Weigh exact matches by how rare the value is.
            public var termFrequency: Bool = false
        }

        /// Attribute name → the fields holding it, as (source, output field).
        public var attributes: [(name: String, fields: [(source: String, field: String)])]
        public var blocking: [[String]]
        public var comparisons: [Comparison]
        public var threshold: Double
        public var seed: UInt64
        /// A saved model (JSON, e.g. `sqlite3 out.sqlite "select model from match_model" > model.json`)
        /// to use instead of training: nightly runs then score with fixed parameters.
        public var modelFile: String?
    }

    static let shape = Shape.object([
        Property("identifiers", .map(.object([
            Property("from", .oneOf([.string, .list(.string)]), required: true,
                     doc: "`source.field` references: the fields holding this identifier"),
            Property("max_per_profile", .integer(min: 1), doc: "merge protection: a profile never holds more distinct values of this type"),
        ])), required: true, doc: "identifier types by name, strongest first"),
        Property("ignore_values", .list(.string), doc: "values that link no one (`test@example.com`, `0000000000`)"),
        Property("max_records_per_value", .integer(min: 2), default: "1000",
                 doc: "a value shared by more records than this (a household phone) links no one, and is reported"),
        Property("max_cluster_size", .integer(min: 1), default: "10000",
                 doc: "a profile larger than this is split on its weakest links, and each link cut is reported"),
        Property("probabilistic", .object([
            Property("attributes", .map(.oneOf([.string, .list(.string)])), required: true,
                     doc: "attribute → `source.field` references holding it (e.g. `last_name: [crm.last_key, store_sales.last_key]`)"),
            Property("blocking", .list(.list(.string)), required: true,
                     doc: "rules of attributes that must be equal for two records to be compared, e.g. `[[last_name], [postcode]]`"),
            Property("comparisons", .map(.object([
                Property("method", .choice(Probabilistic.Method.allCases.map(\.rawValue)), required: true,
                         doc: "how values are compared"),
                Property("levels", .list(.string), doc: "Jaro-Winkler thresholds (e.g. `[0.92, 0.8]`) or edit distances (`[1, 2]`), best first"),
                Property("term_frequency", .boolean, default: "false",
                         doc: "weigh an exact match by how rare the value is (`Okonkwo` counts for more than `Smith`)"),
            ])), required: true, doc: "attribute → comparison with levels (an exact match is always the first level)"),
            Property("threshold", .custom(summary: "a probability between 0 and 1", check: { node in
                Double(node.scalar ?? "").map { (0...1).contains($0) } == true ? []
                    : [.error(.invalidValue, at: node.location, "threshold must be a probability between 0 and 1, found \(node.safeDescription)")]
            }), default: "0.95", doc: "the match probability above which two records are linked"),
            Property("seed", .integer(min: 0), default: "42", doc: "seed of the random pairs used to estimate u; training is deterministic"),
            Property("model", .string, doc: "a saved model (JSON from the `match_model` table), relative to the pipeline file: scored with, not retrained"),
        ]), doc: "a Fellegi-Sunter matcher (blocking, comparisons, EM); its links join profiles under the same guards"),
    ])

    /// Builds the section, checking every `source.field` against the sources' output fields.
    static func build(_ node: ConfigNode, sources: [SourceDefinition], declared: Set<String>, baseDirectory: String,
                      diagnostics: inout DiagnosticBag) -> IdentityDefinition? {
        let before = diagnostics.errorCount
        ShapeValidator.validate(node, against: shape, context: "'identity'", diagnostics: &diagnostics)
        guard node.entries != nil else { return nil }
        let outputs = Dictionary(uniqueKeysWithValues: sources.map { ($0.name, Set($0.layout.map(\.name))) })
        var types: [IdentifierType] = []
        for entry in node["identifiers"]?.entries ?? [] {
            var fields: [(String, String)] = []
            for reference in entry.value["from"]?.scalarList ?? [] {
                guard let text = reference.scalar else { continue }
                let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
                guard parts.count == 2 else {
                    diagnostics.add(.error(.invalidValue, at: reference.location, "'\(text)' is not a `source.field` reference",
                                           hint: "e.g. `crm.email`"))
                    continue
                }
                guard let fieldsOfSource = outputs[parts[0]] else {
                    if declared.contains(parts[0]) { continue }  // the source has errors of its own
                    diagnostics.add(.error(.unknownSource, at: reference.location, "unknown source '\(parts[0])'",
                                           hint: Suggestions.didYouMean(parts[0], in: outputs.keys) ?? "sources: " + outputs.keys.sorted().joined(separator: ", ")))
                    continue
                }
                guard fieldsOfSource.contains(parts[1]) else {
                    diagnostics.add(.error(.unknownField, at: reference.location, "source '\(parts[0])' has no output field '\(parts[1])'",
                                           hint: Suggestions.didYouMean(parts[1], in: fieldsOfSource) ?? "its fields: " + fieldsOfSource.sorted().joined(separator: ", ")))
                    continue
                }
                fields.append((parts[0], parts[1]))
            }
            types.append(IdentifierType(name: entry.key, fields: fields,
                                        maxPerProfile: entry.value["max_per_profile"]?.scalar.flatMap { Int($0) }))
        }
        var probabilistic: Probabilistic?
        if let node = node["probabilistic"], node.entries != nil {
            var attributes: [(String, [(String, String)])] = []
            for entry in node["attributes"]?.entries ?? [] {
                var fields: [(String, String)] = []
                for reference in entry.value.scalarList ?? [] {
                    let parts = (reference.scalar ?? "").split(separator: ".", maxSplits: 1).map(String.init)
                    guard parts.count == 2, let known = outputs[parts[0]] else {
                        if parts.count == 2, declared.contains(parts[0]) { continue }
                        diagnostics.add(.error(parts.count == 2 ? .unknownSource : .invalidValue, at: reference.location,
                                               parts.count == 2 ? "unknown source '\(parts[0])'" : "\(reference.safeDescription) is not a `source.field` reference",
                                               hint: parts.count == 2 ? Suggestions.didYouMean(parts[0], in: outputs.keys) : "e.g. `crm.last_key`"))
                        continue
                    }
                    guard known.contains(parts[1]) else {
                        diagnostics.add(.error(.unknownField, at: reference.location, "source '\(parts[0])' has no output field '\(parts[1])'",
                                               hint: Suggestions.didYouMean(parts[1], in: known)))
                        continue
                    }
                    fields.append((parts[0], parts[1]))
                }
                attributes.append((entry.key, fields))
            }
            let names = attributes.map(\.0)
            func attribute(_ n: ConfigNode) -> String? {
                guard let name = n.scalar else { return nil }
                if names.contains(name) { return name }
                diagnostics.add(.error(.unknownField, at: n.location, "unknown attribute '\(name)'",
                                       hint: Suggestions.didYouMean(name, in: names) ?? "attributes: " + names.joined(separator: ", ")))
                return nil
            }
            let blocking = (node["blocking"]?.sequence ?? []).map { rule in (rule.sequence ?? []).compactMap(attribute) }
            var comparisons: [Probabilistic.Comparison] = []
            for entry in node["comparisons"]?.entries ?? [] {
                guard attribute(ConfigNode(.scalar(entry.key), at: entry.keyLocation)) != nil,
                      let method = entry.value["method"]?.scalar.flatMap(Probabilistic.Method.init) else { continue }
                var levels: [Double] = []
                for level in entry.value["levels"]?.sequence ?? [] {
                    guard let v = level.scalar.flatMap(Double.init) else {
                        diagnostics.add(.error(.invalidValue, at: level.location, "a level must be a number, found \(level.safeDescription)"))
                        continue
                    }
                    levels.append(v)
                }
                comparisons.append(.init(attribute: entry.key, method: method, levels: levels,
                                         termFrequency: entry.value["term_frequency"]?.scalar == "true"))
            }
            probabilistic = Probabilistic(
                attributes: attributes, blocking: blocking, comparisons: comparisons,
                threshold: node["threshold"]?.scalar.flatMap(Double.init) ?? 0.95,
                seed: node["seed"]?.scalar.flatMap { UInt64($0) } ?? 42,
                modelFile: node["model"]?.scalar.map { $0.hasPrefix("/") ? $0 : baseDirectory + "/" + $0 })
        }
        guard diagnostics.errorCount == before else { return nil }
        return IdentityDefinition(
            identifiers: types,
            ignoreValues: (node["ignore_values"]?.sequence ?? []).compactMap(\.scalar),
            maxRecordsPerValue: node["max_records_per_value"]?.scalar.flatMap { Int($0) } ?? 1000,
            maxClusterSize: node["max_cluster_size"]?.scalar.flatMap { Int($0) } ?? 10_000,
            probabilistic: probabilistic)
    }
}
