import Foundation
import TributaryCore

/// Loads a pipeline file: YAML, interpolation, structural validation against the component specs,
/// then semantic passes (references between sources and fields, input paths). Every problem is
/// collected; a definition is returned only when there is no error.
public struct PipelineLoader {
    public enum Mode: Sendable {
        /// `pipeline validate`: input paths that match nothing are warnings.
        case validate
        /// `pipeline run`: they are errors.
        case run
    }

    public var catalog: ComponentCatalog
    public var environment: [String: String]
    public var mode: Mode

    public init(catalog: ComponentCatalog, environment: [String: String] = ProcessInfo.processInfo.environment,
                mode: Mode) {
        self.catalog = catalog
        self.environment = environment
        self.mode = mode
    }

    /// Supported values of `version:`.
    public static let supportedVersions = ["1"]

    public func load(path: String) -> (PipelineDefinition?, DiagnosticBag) {
        let (definition, diagnostics) = loadPartial(path: path)
        return (diagnostics.hasErrors ? nil : definition, diagnostics)
    }

    /// Loads from text; relative paths in the file are resolved against `baseDirectory`.
    public func load(text: String, file: String, baseDirectory: String) -> (PipelineDefinition?, DiagnosticBag) {
        let (definition, diagnostics) = loadPartial(text: text, file: file, baseDirectory: baseDirectory)
        return (diagnostics.hasErrors ? nil : definition, diagnostics)
    }

    /// Like `load`, but with errors the definition is still returned when the file could be read:
    /// partial, without the sources and sections that have errors (`brokenSections`), so that the
    /// checks of the rest (the SQL of traits and segments) run in the same pass. Never run it.
    public func loadPartial(path: String) -> (PipelineDefinition?, DiagnosticBag) {
        var diagnostics = DiagnosticBag()
        guard let data = FileManager.default.contents(atPath: path) else {
            diagnostics.add(.error(.unreadableFile, at: SourceLocation(file: path, line: 1, column: 1),
                                   "cannot read the pipeline file", hint: "check the path and its permissions"))
            return (nil, diagnostics)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            diagnostics.add(.error(.unreadableFile, at: SourceLocation(file: path, line: 1, column: 1),
                                   "the pipeline file is not UTF-8 text", hint: "save it as UTF-8"))
            return (nil, diagnostics)
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return loadPartial(text: text, file: path, baseDirectory: directory)
    }

    /// `loadPartial` from text.
    public func loadPartial(text: String, file: String, baseDirectory: String) -> (PipelineDefinition?, DiagnosticBag) {
        var diagnostics = DiagnosticBag()
        guard let parsed = YAMLReader.read(text, file: file, diagnostics: &diagnostics) else {
            return (nil, diagnostics)
        }
        let root = Interpolation.apply(parsed, environment: environment, diagnostics: &diagnostics)
        let definition = build(root, file: file, baseDirectory: baseDirectory, diagnostics: &diagnostics)
        return (definition, diagnostics)
    }

    // MARK: - The pipeline file's own keys

    static let topLevel: [Property] = [
        Property("version", .choice(supportedVersions), required: true, doc: "the pipeline file format version"),
        Property("name", .custom(summary: "a name of letters, digits, '-' and '_'", check: { node in
            Naming.checkName(node, what: "pipeline name", allowDash: true)
        }), required: true, doc: "the pipeline's name, recorded in the run ledger"),
        Property("description", .string, doc: "free text for readers"),
        Property("output", .object([
            Property("sqlite", .string, doc: "path of the SQLite database to publish (required unless `postgres:` is given)"),
            Property("postgres", .custom(summary: "a PostgreSQL URL", check: PostgresURL.check),
                     doc: "a PostgreSQL URL (`postgresql://user@host:port/database`, the password from the environment): the published output is also written to a schema of the pipeline's name, swapped in atomically"),
        ]), required: true, doc: "where the run publishes its results"),
        Property("quarantine", quarantineShape,
                 doc: "data gate on rejected records, for every source unless a source sets its own"),
        Property("sources", .map(.object([])), required: true, doc: "the inputs, by source name"),
        Property("identity", .checkedElsewhere(summary: "a mapping"), doc: "how records are linked into profiles (identifiers and guards)"),
        Property("profiles", .checkedElsewhere(summary: "a mapping"), doc: "the golden record: attributes and survivorship rules"),
        Property("gates", .object([
            Property("min_records", .integer(min: 0), doc: "every source must load at least this many records (a source may set its own under its `gates:`)"),
            Property("max_profile_change", .custom(summary: "a count (`5000`) or a percentage (`10%`)", check: { node in
                RejectionLimit(node.scalar ?? "") == nil
                    ? [.error(.invalidValue, at: node.location,
                              "max_profile_change must be a count like 5000 or a percentage like 10%, found \(node.safeDescription)")]
                    : []
            }), doc: "at most this change of the profile count against the previously published output, up or down"),
            Property("max_cluster_size", .integer(min: 1), doc: "no profile may hold more records than this"),
        ]), doc: "data gates on the run's outcome: a failed gate exits 1 and keeps the previous output"),
        Property("activities", .checkedElsewhere(summary: "a mapping"), doc: "which records of which sources are activities (purchases, cart adds...), per source"),
        Property("traits", .checkedElsewhere(summary: "a mapping"), doc: "computed traits: SQL aggregates over each profile's activities"),
        Property("segments", .checkedElsewhere(summary: "a mapping"), doc: "segments: SQL conditions over profile attributes and traits"),
        Property("exports", .checkedElsewhere(summary: "a mapping"), doc: "activation exports: CSV audiences with hashed e-mail and phone"),
    ]

    static let quarantineShape = Shape.object([
        Property("max_rejected", .custom(summary: "a count (`250`) or a percentage (`1.5%`)", check: { node in
            RejectionLimit(node.scalar ?? "") == nil
                ? [.error(.invalidValue, at: node.location,
                          "max_rejected must be a record count like 250 or a percentage like 1.5%, found \(node.safeDescription)")]
                : []
        }), doc: "over this many rejected records the run fails (exit 1) and the previous output stays published"),
    ])

    /// Keys every source has, whatever its format.
    public static let commonSourceProperties: [Property] = [
        Property("format", .string, required: true, doc: "the extractor that reads the files"),
        Property("path", .oneOf([.string, .list(.string)]), required: true,
                 doc: "a glob or a list of globs, relative to the pipeline file"),
        Property("description", .string, doc: "free text for readers"),
        Property("quarantine", quarantineShape, doc: "this source's own data gate on rejected records"),
        Property("key", .oneOf([.string, .list(.string)]),
                 doc: "field(s) identifying a record: a later record with the same key (in any file of the source) is dropped as a duplicate and counted"),
        Property("keep", .custom(summary: "`first`, `last`, `latest(<field>)` or `most_complete`", check: { node in
            KeepRule(node.scalar ?? "") == nil
                ? [.error(.invalidValue, at: node.location, "keep must be first, last, latest(<field>) or most_complete, found \(node.safeDescription)",
                          hint: "e.g. `keep: latest(updated_at)`")]
                : []
        }), default: "first",
                 doc: "which record of those sharing a `key` is kept; `first` is decided while loading, the others once all files are loaded"),
        Property("group_line", .object([
            Property("into", .string, required: true, doc: "name of the new integer field"),
            Property("group_by", .oneOf([.string, .list(.string)]), required: true, doc: "the field(s) whose consecutive equal values form a group"),
        ]), doc: "number records 1, 2, ... within runs of consecutive records sharing `group_by` (e.g. the line within a transaction), usable in `key`"),
        Property("rules", .list(.checkedElsewhere(summary: "a rule")),
                 doc: "validity rules; a record that breaks one is quarantined (see `rules` in the reference)"),
        Property("gates", .object([
            Property("min_records", .integer(min: 0), doc: "the source must load at least this many records"),
        ]), doc: "this source's own data gates (overriding the top-level `gates.min_records`)"),
        Property("reconciliation", .object([
            Property("on_mismatch", .choice(["warn", "fail"]), default: "warn",
                     doc: "`fail` makes a failed reconciliation (e.g. a trailer's totals) a data gate"),
        ]), doc: "what a failed in-file reconciliation does"),
        Property("transforms", .list(.checkedElsewhere(summary: "`- name: argument`")),
                 doc: "steps applied to every record, in order; see the transform reference"),
    ]

    /// Output fields a source may have: SQLite's 2,000 columns a table, less the run's own.
    public static let maxOutputFields = 1_990

    private func build(_ root: ConfigNode, file: String, baseDirectory: String,
                       diagnostics: inout DiagnosticBag) -> PipelineDefinition? {
        // Structure of the top level; `sources` is checked source by source below.
        guard root.entries != nil else {
            diagnostics.add(.error(.wrongType, at: root.location, "the pipeline file must be a mapping of keys",
                                   hint: "start with `version: 1`"))
            return nil
        }
        ShapeValidator.validateObject(root, Self.topLevel.filter { $0.name != "sources" }, context: "the pipeline",
                                      allowing: ["sources"], diagnostics: &diagnostics)

        let defaultGate = root["quarantine"]?["max_rejected"]?.scalar.flatMap(RejectionLimit.init)
        var outputPath = root["output"]?["sqlite"]?.scalar.map { absolute($0, baseDirectory) }
        var workingCopy = false
        if let output = root.entry("output"), output.value.entries != nil, output.value["sqlite"] == nil {
            if output.value["postgres"] != nil, let name = root["name"]?.scalar {
                // PostgreSQL alone: the run still works in SQLite, in a copy of the published schema
                // kept beside the pipeline file (fetched again when it is missing or behind).
                outputPath = baseDirectory + "/.tributary/" + name + ".sqlite"
                workingCopy = true
            } else if output.value["postgres"] == nil, output.value.entries?.isEmpty != false {
                // (With other keys, a misspelt `sqlite` is already reported at the misspelling.)
                diagnostics.add(.error(.missingKey, at: output.keyLocation, "`output:` names no database",
                                       hint: "give `sqlite: path/to/output.sqlite`, `postgres: ${PG_URL}`, or both"))
            }
        }

        var sources: [SourceDefinition] = []
        // Sources with errors of their own, and the output fields known of each.
        var broken: [String: Set<String>] = [:]
        if let sourcesNode = root["sources"] {
            if let entries = sourcesNode.entries {
                if entries.isEmpty {
                    diagnostics.add(.error(.missingKey, at: sourcesNode.location, "the pipeline has no sources",
                                           hint: "declare at least one source under `sources:`"))
                }
                for entry in entries {
                    if let source = buildSource(entry, baseDirectory: baseDirectory, defaultGate: defaultGate,
                                                broken: &broken, diagnostics: &diagnostics) {
                        sources.append(source)
                    } else if broken[entry.key] == nil {
                        broken[entry.key] = []
                    }
                }
            } else {
                diagnostics.add(.error(.wrongType, at: sourcesNode.location,
                                       "'sources' must be a mapping of source names to sources, found \(sourcesNode.kindName)"))
            }
        }
        var identity: IdentityDefinition?
        if let node = root["identity"] {
            identity = IdentityDefinition.build(node, sources: sources, broken: broken, baseDirectory: baseDirectory,
                                                diagnostics: &diagnostics)
        }
        var survivorship: SurvivorshipDefinition?
        if let entry = root.entry("profiles") {
            survivorship = SurvivorshipDefinition.build(entry.value, sources: sources, broken: broken,
                                                        hasIdentity: root["identity"] != nil, location: entry.keyLocation,
                                                        diagnostics: &diagnostics)
        }
        let audience = AudienceDefinition.build(root, sources: sources, survivorship: survivorship,
                                                hasIdentity: root["identity"] != nil, baseDirectory: baseDirectory,
                                                absolute: { absolute($0, baseDirectory) }, pipelineFilePath: file.hasPrefix("<") ? nil : URL(fileURLWithPath: file).path,
                                                diagnostics: &diagnostics)
        // With errors the definition is partial (sources and sections with errors left out), for
        // the checks that can still run on the rest (`loadPartial`); `load` returns none.
        var definition = PipelineDefinition(name: root["name"]?.scalar ?? "", file: file, outputPath: outputPath ?? "",
                                            baseDirectory: baseDirectory, sources: sources)
        if root["identity"] != nil && identity == nil { definition.brokenSections.insert("identity") }
        if root["profiles"] != nil && survivorship == nil { definition.brokenSections.insert("profiles") }
        if !broken.isEmpty { definition.brokenSections.insert("sources") }
        definition.identity = identity
        definition.survivorship = survivorship
        definition.audience = audience
        if let node = root["output"]?["postgres"] {
            definition.postgresURL = node.scalar
            // How messages name it: `${PG_URL}` as written, never the value of a variable.
            definition.postgresLabel = node.interpolatedFrom.isEmpty ? nil : node.written
        }
        definition.outputIsWorkingCopy = workingCopy
        let gates = root["gates"]
        definition.gates = RunGates(maxProfileChange: gates?["max_profile_change"]?.scalar.flatMap(RejectionLimit.init),
                                    maxClusterSize: gates?["max_cluster_size"]?.scalar.flatMap { Int($0) })
        let minRecords = gates?["min_records"]?.scalar.flatMap { Int($0) }
        let sourceNodes = root["sources"]?.entries ?? []
        for i in definition.sources.indices {
            let own = sourceNodes.first { $0.key == definition.sources[i].name }?.value["gates"]?["min_records"]?.scalar.flatMap { Int($0) }
            definition.sources[i].minRecords = own ?? minRecords
        }
        if definition.gates.maxProfileChange != nil || definition.gates.maxClusterSize != nil, identity == nil, let node = root.entry("gates") {
            diagnostics.add(.warning(.missingKey, at: node.keyLocation, "profile gates do nothing without an `identity:` section",
                                     hint: "remove max_profile_change / max_cluster_size, or declare identifiers"))
        }
        return definition
    }

    private func buildSource(_ entry: ConfigEntry, baseDirectory: String, defaultGate: RejectionLimit?,
                             broken: inout [String: Set<String>], diagnostics: inout DiagnosticBag) -> SourceDefinition? {
        var node = entry.value
        let errorsBefore = diagnostics.errorCount
        diagnostics.add(contentsOf: Naming.checkName(ConfigNode(.scalar(entry.key), at: entry.keyLocation),
                                                     what: "source name", allowDash: false))
        guard node.entries != nil else {
            diagnostics.add(.error(.wrongType, at: node.location,
                                   "source '\(entry.key)' must be a mapping with `format:` and `path:`, found \(node.kindName)"))
            return nil
        }

        // The format decides which other keys are valid.
        let formats = catalog.extractors.map(\.format)
        var component: (any ExtractorComponent.Type)?
        if let formatNode = node["format"] {
            if let format = formatNode.scalar, let found = catalog.extractor(format) {
                component = found
            } else {
                let hint = formatNode.scalar.flatMap { Suggestions.didYouMean($0, in: formats) }
                    ?? "supported formats: " + formats.joined(separator: ", ")
                diagnostics.add(.error(.invalidEnumValue, at: formatNode.location,
                                       "unknown format \(formatNode.safeDescription) for source '\(entry.key)'", hint: hint))
            }
        }
        let context = "source '\(entry.key)'"
        if let component, case .object(let own) = component.spec.shape {
            ShapeValidator.validateObject(node, Self.commonSourceProperties + own, context: context,
                                          diagnostics: &diagnostics)
        } else {
            // Without a known format only the common keys can be judged.
            let anyFormatKeys = Set(catalog.extractors.flatMap { item -> [String] in
                if case .object(let props) = item.component.spec.shape { return props.map(\.name) }
                return []
            })
            ShapeValidator.validateObject(node, Self.commonSourceProperties, context: context,
                                          allowing: anyFormatKeys, diagnostics: &diagnostics)
        }

        // Input paths.
        var patterns: [String] = []
        for pathNode in node["path"]?.scalarList ?? [] {
            guard let pattern = pathNode.scalar else { continue }
            let full = absolute(pattern, baseDirectory)
            patterns.append(full)
            let alreadyWrong = diagnostics.items.contains { $0.location == pathNode.location && $0.severity == .error }
            if !alreadyWrong, Glob.expand(full).isEmpty {
                let message = "input path \(pathNode.safeDescription) of source '\(entry.key)' matches no file"
                let hint = "paths are relative to the pipeline file's folder (\(baseDirectory))"
                diagnostics.add(mode == .run
                    ? .error(.globMatchesNothing, at: pathNode.location, message, hint: hint)
                    : .warning(.globMatchesNothing, at: pathNode.location, message, hint: hint))
            }
        }

        // The extractor reports its own problems (field names, options) even when other keys are
        // wrong; the transforms are then checked against the mapped field names, so that one
        // `validate` reports everything.
        if let component, case .object(let own) = component.spec.shape {
            node = resolvingPaths(node, own, baseDirectory)
        }
        let extractor = component?.make(source: node, diagnostics: &diagnostics)
        let mappedNames = (node["fields"]?.entries ?? []).map(\.key)
        let definitions = extractor?.fieldDefinitions ?? mappedNames.map { FieldDefinition(name: $0) }
        var scope = FieldScope(fields: definitions.map(\.name))
        let checkFields = node["fields"]?.entries != nil

        // Time zones looked up per record name a field of the source.
        for definition in definitions {
            if case .lookup(let table, let keyField, _, _)? = definition.timezone {
                if checkFields, scope.column(of: keyField) == nil, let location = definition.location {
                    diagnostics.add(.error(.unknownField, at: location,
                                           "field '\(definition.name)' looks up its time zone by '\(keyField)', which is not a field of the source",
                                           hint: Suggestions.didYouMean(keyField, in: scope.names)))
                }
                if !FileManager.default.fileExists(atPath: absolute(table, baseDirectory)), let location = definition.location {
                    // The path as written: a `${VAR}` in it stays a name, its value is never printed.
                    let written = node["fields"]?[definition.name]?["timezone"]?["lookup"]?.writtenScalar ?? table
                    diagnostics.add(.warning(.globMatchesNothing, at: location, "time zone table '\(written)' does not exist",
                                             hint: "paths are relative to the pipeline file's folder (\(baseDirectory))"))
                }
            }
        }

        // group_line adds a field that only `key:` and the output see: it is numbered as pieces are
        // loaded, in file order, after rules and transforms have run on each piece.
        var groupLine: SourceDefinition.GroupLine?
        var groupField: (name: String, column: Int)?
        var types = definitions.map(\.type)
        var keyScope = scope
        if let group = node["group_line"], let intoNode = group["into"], let into = intoNode.scalar {
            let groupBy = (group["group_by"]?.scalarList ?? []).compactMap { scope.resolve($0, diagnostics: &diagnostics) }
            diagnostics.add(contentsOf: Naming.checkName(intoNode, what: "field name", allowDash: false))
            if scope.column(of: into) != nil {
                diagnostics.add(.error(.duplicateField, at: intoNode.location, "a field named '\(into)' already exists",
                                       hint: "choose another name for the numbered line"))
            } else if checkFields {
                let column = scope.reserve(into, reason: "'\(into)' is numbered after rules and transforms run; use it in `key:` (it is written to the output)")
                keyScope = scope
                keyScope.expose(into, column: column)
                groupLine = .init(groupBy: groupBy, into: column)
                groupField = (into, column)
                types.append(.integer)
            }
        }
        var rules: (any RecordStep)?
        if let rulesNode = node["rules"] {
            ShapeValidator.validate(rulesNode, against: catalog.rules.spec.shape, context: "'rules'", diagnostics: &diagnostics)
            if checkFields { rules = catalog.rules.make(rulesNode, scope: scope, diagnostics: &diagnostics) }
        }

        let transforms = buildTransforms(node["transforms"]?.sequence ?? [], scope: &scope,
                                         checkFields: checkFields, diagnostics: &diagnostics)
        // The key is read after rules and transforms, so it may name a derived field
        // (`derive: { into: txn_key, ... }`) or the numbered line.
        if checkFields {
            keyScope = scope
            if let groupField { keyScope.expose(groupField.name, column: groupField.column) }
        }
        var keyColumns: [Int] = []
        for keyNode in node["key"]?.scalarList ?? [] where checkFields {
            if let column = keyScope.resolve(keyNode, diagnostics: &diagnostics) { keyColumns.append(column) }
        }
        let layout = scope.layout + (groupField.map { [$0] } ?? [])
        let keep = node["keep"]?.scalar.flatMap(KeepRule.init) ?? .first
        let keyFields = (node["key"]?.scalarList ?? []).compactMap(\.scalar)
        if keep != .first, let keepNode = node["keep"], checkFields {
            // These rules run in SQL over the loaded table: the fields must be output columns.
            let outputs = Set(layout.map(\.name))
            if keyFields.isEmpty {
                diagnostics.add(.error(.missingKey, at: keepNode.location, "`keep` needs a `key` to deduplicate on",
                                       hint: "add `key: <field>` to the source"))
            }
            var needed = keyFields
            if case .latest(let field) = keep { needed.append(field) }
            // In a source with errors of its own, only a near miss is surely a mistake.
            let sourceBroken = diagnostics.errorCount != errorsBefore
            for name in needed where !outputs.contains(name) {
                if sourceBroken && Suggestions.didYouMean(name, in: outputs) == nil { continue }
                diagnostics.add(.error(.unknownField, at: keepNode.location,
                                       "`keep: \(keep)` needs the field '\(name)' in the output, but it is not there",
                                       hint: Suggestions.didYouMean(name, in: outputs) ?? "do not drop or rename it"))
            }
        }
        guard let component, let extractor, diagnostics.errorCount == errorsBefore else {
            // What later sections may still check their references against.
            broken[entry.key] = checkFields ? Set(layout.map(\.name)) : []
            return nil
        }
        let gate = node["quarantine"]?["max_rejected"]?.scalar.flatMap(RejectionLimit.init) ?? defaultGate
        // Each output field is a column of `src_<source>`; SQLite holds at most 2,000 per table,
        // a few of them the run's own (`_record_id`, `_file_id`, `_line`, `_run_id`).
        if layout.count > Self.maxOutputFields {
            diagnostics.add(.error(.invalidValue, at: node["fields"]?.location ?? entry.keyLocation,
                                   "source '\(entry.key)' has \(layout.count) output fields; at most \(Self.maxOutputFields) fit in its table",
                                   hint: "map only the fields the pipeline uses, or `drop` the ones it does not keep"))
            return nil
        }
        var definition = SourceDefinition(
            name: entry.key, format: component.spec.name, extractor: extractor, patterns: patterns,
            groupLine: groupLine, rules: rules, transforms: transforms, keyColumns: keyColumns, layout: layout,
            columnTypes: layout.map { $0.column < types.count ? types[$0.column] : .string },
            maxRejected: gate,
            failOnReconciliationMismatch: node["reconciliation"]?["on_mismatch"]?.scalar == "fail")
        definition.keyFields = keyFields
        definition.keep = keep
        definition.declaredFields = mappedNames
        if keep != .first { definition.keyColumns = [] }  // decided after the load, in SQL
        return definition
    }

    private func buildTransforms(_ steps: [ConfigNode], scope: inout FieldScope, checkFields: Bool,
                                 diagnostics: inout DiagnosticBag) -> [any Transform] {
        var transforms: [any Transform] = []
        let names = catalog.transforms.map(\.name)
        for step in steps {
            guard let entries = step.entries, entries.count == 1, let only = entries.first else {
                diagnostics.add(.error(.wrongType, at: step.location,
                                       "each transform is a mapping with one key, the transform's name",
                                       hint: "e.g. `- trim: all` or `- rename: { Email: email }`"))
                continue
            }
            guard let component = catalog.transform(only.key) else {
                let hint = Suggestions.didYouMean(only.key, in: names) ?? "transforms: " + names.joined(separator: ", ")
                diagnostics.add(.error(.unknownComponent, at: only.keyLocation, "unknown transform '\(only.key)'", hint: hint))
                continue
            }
            let before = diagnostics.errorCount
            ShapeValidator.validate(only.value, against: component.spec.shape, context: "transform '\(only.key)'",
                                    diagnostics: &diagnostics)
            guard checkFields, diagnostics.errorCount == before else { continue }
            if let transform = component.make(only.value, scope: &scope, diagnostics: &diagnostics) {
                transforms.append(transform)
            }
        }
        return transforms
    }

    /// Checks a `source.field` reference to a source with errors of its own (`known`: the output
    /// fields known of it so far): a known field passes; a name close to one of them is reported
    /// as a typo; anything else is left alone, since the broken part may have made it. So one
    /// `validate` reports the typo without a cascade of doubtful errors.
    static func checkBrokenReference(source: String, field: String, known: Set<String>, at location: SourceLocation,
                                     diagnostics: inout DiagnosticBag) {
        guard !known.contains(field), let hint = Suggestions.didYouMean(field, in: known) else { return }
        diagnostics.add(.error(.unknownField, at: location, "source '\(source)' has no output field '\(field)'", hint: hint))
    }

    /// Rewrites the values of `.path` properties to absolute paths.
    private func resolvingPaths(_ node: ConfigNode, _ properties: [Property], _ base: String) -> ConfigNode {
        guard var entries = node.entries else { return node }
        for i in entries.indices {
            guard let property = properties.first(where: { $0.name == entries[i].key }), case .path = property.shape,
                  let text = entries[i].value.scalar else { continue }
            entries[i].value.value = .scalar(absolute(text, base))
        }
        var copy = node
        copy.value = .mapping(entries)
        return copy
    }

    func absolute(_ path: String, _ base: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).standardized.path
    }
}

/// Rules for names that become SQL identifiers (sources, fields).
public enum Naming {
    public static func isIdentifier(_ name: String, allowDash: Bool = false) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || (allowDash && $0 == "-"))
        }
    }

    public static func checkName(_ node: ConfigNode, what: String, allowDash: Bool) -> [Diagnostic] {
        guard let name = node.scalar else { return [] }
        if isIdentifier(name, allowDash: allowDash) { return [] }
        let suggestion = String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
        return [.error(.invalidValue, at: node.location,
                       "\(what) \(node.safeDescription) must start with a letter and use only letters, digits and '_'\(allowDash ? " or '-'" : "")",
                       hint: node.interpolatedFrom.isEmpty ? "e.g. '\(suggestion)'" : nil)]
    }
}
