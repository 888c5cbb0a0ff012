import TributaryCore

extension JSONLinesExtractor: ExtractorComponent {
    static let pathShape = Shape.custom(
        summary: "a JSON path (`$.a.b`, `$.items[0].sku`, `$[\"a b\"]`)",
        check: { pathDiagnostics($0) })

    static let pathsShape = Shape.oneOf([pathShape, .list(pathShape)])

    /// The rules of `require:`, and of each of its `conditional:` items.
    static let ruleProperties = [
        Property("paths", pathsShape, doc: "keys that must be present (any value, `null` included)"),
        Property("not_null", pathsShape, doc: "keys that must be present and not `null`"),
        Property("not_empty", pathsShape, doc: "keys that must be present, not `null` and not `\"\"`"),
        Property("allowed", .map(.list(.string)),
                 doc: "JSON path → the values it may take, compared as text (a string decoded, a number or boolean as written); an absent or `null` value passes, so add the path to `not_null` to require it"),
        Property("at_least_one_of", .list(.list(pathShape)),
                 doc: "groups of paths; each group needs at least one value that is not absent, `null` or `\"\"` (e.g. `[$.userId, $.anonymousId]`)"),
    ]

    public static let spec = ComponentSpec(
        name: "jsonl",
        kind: .extractor,
        summary: """
            JSON-lines event logs (Segment-style exports): one JSON object per line, plain or gzip \
            (recognized by its magic bytes, whatever the file name; concatenated gzip members are read in \
            turn). Fields are mapped by JSON path: `$.a.b`, `$.items[0].sku`, `$["key with spaces"]`, or \
            `$` for the whole event. Strings are stored with their escapes decoded, numbers as written \
            (`19.99` stays `19.99` until typed), booleans as `true`/`false`, a nested object or array as \
            its JSON text. An absent key, `null` and `""` all become NULL; use `require:` to tell them \
            apart. If a key repeats in an object, its last value wins. Blank lines are counted and skipped; \
            CRLF line ends and a UTF-8 byte-order mark are accepted. Lines that are not valid UTF-8 \
            (`invalid_utf8`), not a JSON object or followed by extra data (`invalid_json`), cut short \
            (`truncated_json`) or breaking a `require:` rule (`rule_failed`) are quarantined with their line \
            number. gzip is inflated as a stream, in fixed buffers, whatever the inflated size (at most \
            16 GiB per file). A truncated or corrupt gzip stream keeps the lines inflated before the damage and \
            quarantines the rest of the file as one `truncated_json` record. Quote paths that hold `[` or \
            `]` inside YAML flow collections: `{ path: '$.items[0].sku' }`.
            """,
        shape: .object([
            Property("fields", FieldSpec.shape(locatorKey: "path",
                                               locatorDoc: "a JSON path, or several: the first non-empty value wins"),
                     required: true,
                     doc: "output field name → JSON path (`email: $.traits.email`), a list of paths to coalesce, or `{ path: ..., type: ... }`"),
            Property("require", .object(ruleProperties + [
                Property("conditional", .list(.object([
                    Property("when", .string,
                             doc: "(required) `$.path == 'text'`, `$.path != 'text'`, `$.path in ('a', 'b')` or `$.path not in ('a', 'b')`, compared as text (a string decoded, a number or boolean as written); on an absent or `null` key the condition holds neither way (as in SQL), so the rule does not apply"),
                ] + ruleProperties)),
                         doc: "rules that apply only to the lines where their `when:` holds, e.g. `- { when: \"$.type == 'track'\", not_empty: [$.event] }`"),
            ]), doc: "validity rules checked on every line, in the order paths, not_null, not_empty, allowed, at_least_one_of, then the conditional ones (`conditional:`, a list of rules each with a `when:` condition: `$.type == 'track'`, `!=`, `in ('a', 'b')`, `not in (...)`, compared as text, holding neither way on an absent or `null` key); the first broken rule quarantines the line as `rule_failed`, with a detail naming the rule, its condition and the path, never the value"),
        ]),
        example: """
            format: jsonl
            path: events/*.jsonl*
            fields:
              message_id: $.messageId
              event: $.event
              user_id: [$.userId, $.anonymousId]
              email: $.traits.email
              device_id: $.context.device.id
              revenue: { path: $.properties.revenue, type: decimal }
              sent_at: { path: $.timestamp, type: timestamp }
            require:
              paths: [$.messageId, $.type]
              not_null: [$.timestamp]
              allowed:
                $.type: [track, identify, page]
              at_least_one_of:
                - [$.userId, $.anonymousId]
              conditional:
                - when: $.type == 'track'
                  not_empty: [$.event]
            """)

    /// Problems of one path node; the same diagnostics from the spec's check and from `make`
    /// (the diagnostic bag drops the duplicates).
    static func pathDiagnostics(_ node: ConfigNode) -> [Diagnostic] {
        guard let text = node.scalar else { return [] }
        guard case .failure(let problem) = JSONPath.parse(text) else { return [] }
        let message = node.interpolatedFrom.isEmpty
            ? problem.message
            : "the JSON path in \(node.safeDescription) is invalid"
        let hint = node.interpolatedFrom.isEmpty ? problem.hint : JSONPath.syntaxHint
        return [.error(.invalidValue, at: node.location, message, hint: hint)]
    }

    static func parsePath(_ node: ConfigNode, diagnostics: inout DiagnosticBag) -> JSONPath? {
        guard let text = node.scalar else { return nil }
        switch JSONPath.parse(text) {
        case .success(let path):
            return path
        case .failure:
            diagnostics.add(contentsOf: pathDiagnostics(node))
            return nil
        }
    }

    static func parsePaths(_ node: ConfigNode?, diagnostics: inout DiagnosticBag) -> [JSONPath] {
        (node?.scalarList ?? []).compactMap { parsePath($0, diagnostics: &diagnostics) }
    }

    /// The unconditional rules of a `require:` mapping or of one of its `conditional:` items.
    static func parseRules(_ require: ConfigNode, diagnostics: inout DiagnosticBag) -> Requirements {
        var requirements = Requirements()
        requirements.present = parsePaths(require["paths"], diagnostics: &diagnostics)
        requirements.notNull = parsePaths(require["not_null"], diagnostics: &diagnostics)
        requirements.notEmpty = parsePaths(require["not_empty"], diagnostics: &diagnostics)
        for entry in require["allowed"]?.entries ?? [] {
            let keyNode = ConfigNode(.scalar(entry.key), at: entry.keyLocation)
            let path = parsePath(keyNode, diagnostics: &diagnostics)
            let values = (entry.value.sequence ?? []).compactMap(\.scalar)
            if entry.value.sequence?.isEmpty == true {
                diagnostics.add(.error(.invalidValue, at: entry.value.location,
                                       "`allowed` lists no value for \(entry.key)",
                                       hint: "list the values it may take, e.g. `\(entry.key): [track, page]`"))
            }
            if let path { requirements.allowed.append(.init(path: path, values: values)) }
        }
        for group in require["at_least_one_of"]?.sequence ?? [] {
            let paths = parsePaths(group.sequence == nil ? nil : group, diagnostics: &diagnostics)
            if group.sequence?.isEmpty == true {
                diagnostics.add(.error(.invalidValue, at: group.location, "an `at_least_one_of` group lists no path",
                                       hint: "e.g. `- [$.userId, $.anonymousId]`"))
            }
            if !paths.isEmpty { requirements.atLeastOneOf.append(paths) }
        }
        return requirements
    }

    public static func make(source: ConfigNode, diagnostics: inout DiagnosticBag) -> (any Extractor)? {
        let before = diagnostics.errorCount
        var fields: [Field] = []
        for entry in source["fields"]?.entries ?? [] {
            let (definition, _) = FieldSpec.parse(entry, locatorKey: "path", diagnostics: &diagnostics)
            let locatorNode = entry.value.entries != nil ? entry.value["path"] : entry.value
            fields.append(Field(definition, paths: parsePaths(locatorNode, diagnostics: &diagnostics)))
        }
        if source["fields"]?.entries?.isEmpty == true {
            diagnostics.add(.error(.missingKey, at: source["fields"]!.location, "the source maps no fields",
                                   hint: "add at least one `name: $.path` under `fields:`"))
        }

        var requirements = Requirements()
        if let require = source["require"] {
            requirements = parseRules(require, diagnostics: &diagnostics)
            for item in require["conditional"]?.sequence ?? [] {
                guard let whenNode = item["when"] else {
                    diagnostics.add(.error(.missingKey, at: item.location, "a conditional rule has no `when:`",
                                           hint: "e.g. `- { when: \"$.type == 'track'\", not_empty: [$.event] }`"))
                    continue
                }
                let condition = JSONCondition.parse(whenNode, diagnostics: &diagnostics)
                let rules = parseRules(item, diagnostics: &diagnostics)
                if rules.paths.isEmpty {
                    diagnostics.add(.error(.missingKey, at: item.location, "the conditional rule checks nothing",
                                           hint: "add `not_empty:`, `not_null:`, `paths:`, `allowed:` or `at_least_one_of:` beside `when:`"))
                }
                if let condition { requirements.conditional.append(.init(condition: condition, rules: rules)) }
            }
        }
        guard diagnostics.errorCount == before else { return nil }
        return JSONLinesExtractor(fields: fields, requirements: requirements)
    }
}
