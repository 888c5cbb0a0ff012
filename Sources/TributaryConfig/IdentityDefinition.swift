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
                 doc: "a link that would make a profile larger than this is refused, and reported"),
    ])

    /// Builds the section, checking every `source.field` against the sources' output fields.
    static func build(_ node: ConfigNode, sources: [SourceDefinition], declared: Set<String>,
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
        guard diagnostics.errorCount == before else { return nil }
        return IdentityDefinition(
            identifiers: types,
            ignoreValues: (node["ignore_values"]?.sequence ?? []).compactMap(\.scalar),
            maxRecordsPerValue: node["max_records_per_value"]?.scalar.flatMap { Int($0) } ?? 1000,
            maxClusterSize: node["max_cluster_size"]?.scalar.flatMap { Int($0) } ?? 10_000)
    }
}
