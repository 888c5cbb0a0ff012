import TributaryCore

/// The `profiles:` section: the golden record. For each attribute, candidate values come from
/// source fields of a profile's records, and rules applied in order pick one (ties go to the next
/// rule): the source priority, the most recent record, the most frequent value, the longest value,
/// the most complete record.
public struct SurvivorshipDefinition: Sendable {
    public enum Rule: String, Sendable, CaseIterable {
        case sourcePriority = "source_priority"
        case mostRecent = "most_recent"
        case mostFrequent = "most_frequent"
        case longest
        /// The value from the record with the most non-empty fields.
        case mostComplete = "most_complete"
    }

    public struct Attribute: Sendable {
        public var name: String
        /// Candidate fields as (source, output field), in priority order unless `prefer` is given.
        public var fields: [(source: String, field: String)]
        public var rules: [Rule]
        /// Source priority (first is best); defaults to the order of `from`.
        public var prefer: [String]
        /// For `most_recent`: the field of each source that dates its records.
        public var recency: [String: String]
    }

    public var attributes: [Attribute]

    static let shape = Shape.map(.object([
        Property("from", .oneOf([.string, .list(.string)]), required: true, doc: "`source.field` candidates for the attribute"),
        Property("rules", .list(.choice(Rule.allCases.map(\.rawValue))), default: "[source_priority, most_recent, most_frequent]",
                 doc: "applied in order; each breaks the ties of the one before"),
        Property("prefer", .list(.string), doc: "source priority, best first (default: the order of `from`)"),
        Property("recency", .map(.string), doc: "for `most_recent`: source → the field dating its records (e.g. `crm: updated_at`)"),
    ]))

    static func build(_ node: ConfigNode, sources: [SourceDefinition], broken: [String: Set<String>], hasIdentity: Bool,
                      location: SourceLocation, diagnostics: inout DiagnosticBag) -> SurvivorshipDefinition? {
        let before = diagnostics.errorCount
        ShapeValidator.validate(node, against: shape, context: "'profiles'", diagnostics: &diagnostics)
        if !hasIdentity {
            diagnostics.add(.error(.missingKey, at: location, "`profiles:` needs an `identity:` section to build profiles from",
                                   hint: "declare the identifiers under `identity:`"))
        }
        let outputs = Dictionary(uniqueKeysWithValues: sources.map { ($0.name, Set($0.layout.map(\.name))) })
        func check(_ source: String, _ field: String, at location: SourceLocation) -> Bool {
            guard let fields = outputs[source] else {
                if let known = broken[source] {  // the source has errors of its own
                    PipelineLoader.checkBrokenReference(source: source, field: field, known: known, at: location, diagnostics: &diagnostics)
                } else {
                    diagnostics.add(.error(.unknownSource, at: location, "unknown source '\(source)'",
                                           hint: Suggestions.didYouMean(source, in: outputs.keys)))
                }
                return false
            }
            guard fields.contains(field) else {
                diagnostics.add(.error(.unknownField, at: location, "source '\(source)' has no output field '\(field)'",
                                       hint: Suggestions.didYouMean(field, in: fields) ?? "its fields: " + fields.sorted().joined(separator: ", ")))
                return false
            }
            return true
        }
        var attributes: [Attribute] = []
        for entry in node.entries ?? [] {
            diagnostics.add(contentsOf: Naming.checkName(ConfigNode(.scalar(entry.key), at: entry.keyLocation), what: "attribute name", allowDash: false))
            var fields: [(String, String)] = []
            for reference in entry.value["from"]?.scalarList ?? [] {
                let parts = (reference.scalar ?? "").split(separator: ".", maxSplits: 1).map(String.init)
                guard parts.count == 2 else {
                    diagnostics.add(.error(.invalidValue, at: reference.location, "\(reference.safeDescription) is not a `source.field` reference",
                                           hint: "e.g. `crm.email`"))
                    continue
                }
                if check(parts[0], parts[1], at: reference.location) { fields.append((parts[0], parts[1])) }
            }
            var recency: [String: String] = [:]
            for item in entry.value["recency"]?.entries ?? [] {
                if let field = item.value.scalar, check(item.key, field, at: item.value.location) { recency[item.key] = field }
            }
            let rules = (entry.value["rules"]?.sequence ?? []).compactMap { $0.scalar.flatMap(Rule.init) }
            attributes.append(Attribute(
                name: entry.key, fields: fields,
                rules: rules.isEmpty ? [.sourcePriority, .mostRecent, .mostFrequent] : rules,
                prefer: (entry.value["prefer"]?.sequence ?? []).compactMap(\.scalar).nilIfEmpty ?? fields.map(\.0),
                recency: recency))
        }
        return diagnostics.errorCount == before ? SurvivorshipDefinition(attributes: attributes) : nil
    }
}

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}
