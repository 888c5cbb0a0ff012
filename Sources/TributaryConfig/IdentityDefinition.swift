import TributaryCore

/// The `identity:` section: which fields are identifiers of a person, and the guards on linking
/// records through them (see `Stitcher` in TributaryMatching).
public struct IdentityDefinition: Sendable {
    public struct IdentifierType: Sendable {
        public var name: String
        /// The fields it is read from, as (source, output field).
        public var fields: [(source: String, field: String)]
        public var maxPerProfile: Int?
        /// Values only attach records to the one profile that holds them; they never join two
        /// profiles anchored by other identifiers (`attach_only: true`).
        public var attachOnly = false
        /// A device or cookie id: a profile holding only such values is a visitor, not an
        /// identified person (`profiles.identified` = 0; in no segment by default).
        public var anonymous = false
        /// `conflicts:`: attributes of `probabilistic.attributes` on which records must not
        /// disagree for a value of this type to join them (a household landline: `[first_name]`).
        public var conflicts: [String] = []
    }

    /// In priority order: earlier types link first.
    public var identifiers: [IdentifierType]
    /// Values that identify no one (placeholders, shared test addresses), compared exactly.
    public var ignoreValues: [String]
    public var maxRecordsPerValue: Int?
    public var maxClusterSize: Int?
    /// `attributes_identify:`: whether a value of a matching attribute alone (a name, a birth
    /// date) makes a profile identified. With `false`, a profile whose records hold no identifier
    /// value that is not anonymous (a till line known only by its printed name) is kept but not
    /// identified (`profiles.identified` = 0): in no segment unless the segment includes
    /// anonymous profiles.
    public var attributesIdentify = true
    /// `probabilistic:`: a Fellegi-Sunter matcher whose links join profiles under the same guards.
    public var probabilistic: Probabilistic?

    public struct Probabilistic: Sendable {
        public enum Method: String, Sendable, CaseIterable {
            case exact, jaroWinkler = "jaro_winkler", levenshtein, damerauLevenshtein = "damerau_levenshtein"
            case nameSwap = "name_swap", date, numeric, tokenSet = "token_set"
        }

        /// One level after the exact one, as written in `levels:`.
        public enum Level: Sendable, Equatable {
            /// A Jaro-Winkler (`jaro_winkler`, `name_swap`) or token-set Jaccard (`token_set`) threshold.
            case similarity(Double)
            /// A maximum edit distance (`levenshtein`, `damerau_levenshtein`).
            case edits(Int)
            /// Dates: `typo`, `day_month_swap`, `N days`.
            case dateTypo, dayMonthSwap, withinDays(Int)
            /// Numbers: `0.5` (absolute difference), `5%` (relative difference).
            case absoluteDifference(Double), relativeDifference(Double)
        }

        public struct Comparison: Sendable {
            public var attribute: String
            public var method: Method
            /// The levels after the exact one, best first.
            public var levels: [Level]
            /// Weigh exact matches by how rare the value is.
            public var termFrequency: Bool = false
            /// A pair at the last ("else") level of this comparison is never linked, whatever its
            /// score: hard negative evidence (twins at one address have different first names).
            public var veto: Bool = false
            /// `name_swap`: the other attribute (e.g. the last name), and the Jaro-Winkler
            /// threshold both crossed pairs must reach (1: exact).
            public var with: String? = nil
            public var swapThreshold: Double = 1
        }

        /// Attribute name → the fields holding it, as (source, output field).
        public var attributes: [(name: String, fields: [(source: String, field: String)])]
        /// Blocking rules: attribute names, or `sorted(a,b)` for an unordered pair of attributes.
        public var blocking: [[String]]
        /// A block with more records than this is skipped (its records are compared through
        /// the other rules only); nil: no limit.
        public var maxBlockSize: Int?

        /// The two attributes of `sorted(a, b)` (spaces allowed), or nil.
        public static func sortedPair(_ text: String) -> [String]? {
            let t = text.trimmingWhitespace
            guard t.hasPrefix("sorted("), t.hasSuffix(")") else { return nil }
            let parts = t.dropFirst(7).dropLast().split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace }
            return parts.count == 2 && !parts.contains(where: \.isEmpty) && parts[0] != parts[1] ? parts : nil
        }

        /// The canonical text of an unordered pair, as kept in `blocking`: `sorted(a,b)`.
        public static func sortedKey(_ a: String, _ b: String) -> String { "sorted(\(a),\(b))" }
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
            Property("anonymous", .boolean, default: "false",
                     doc: "a device or cookie id: it links records like any identifier, but a profile holding only anonymous values is a visitor (`profiles.identified` = 0), in no segment unless the segment says `include_anonymous: true`"),
            Property("conflicts", .list(.string),
                     doc: "attributes of `probabilistic.attributes` (e.g. `[first_name, birthdate]`): a value of this identifier joins records only when they do not conflict on them, i.e. where both sides hold values of an attribute, some pair is equal or similar (Jaro-Winkler ≥ 0.88, so a typo is no conflict). A household landline then joins a customer's own records, not the spouse's; twins and a Jr and Sr stay apart. Each refused join is in identity_refusals (`conflict`)"),
            Property("attach_only", .boolean, default: "false",
                     doc: "a weak, shared value (a household landline): it attaches records that carry no other identifier to the one profile holding it, and never joins two profiles that hold other identifiers; a value held by several such profiles joins only the records without other identifiers among themselves (`ambiguous` in identity_refusals). Applied last, after the matcher's links"),
        ])), required: true, doc: "identifier types by name, strongest first"),
        Property("ignore_values", .list(.string), doc: "values that link no one (`test@example.com`, `0000000000`)"),
        Property("max_records_per_value", .integer(min: 2), default: "1000",
                 doc: "a value shared by more records than this (a household phone) links no one, and is reported"),
        Property("max_cluster_size", .integer(min: 1), default: "10000",
                 doc: "a profile larger than this is split on its weakest links, and each link cut is reported"),
        Property("attributes_identify", .boolean, default: "true",
                 doc: "whether a value of a matching attribute alone (a name, a birth date) identifies a person. `false`: a profile whose records hold no identifier value but anonymous ones (a till line known only by its printed name, with no card, e-mail or phone) is kept, but not identified (`profiles.identified` = 0), so it is in no segment unless the segment says `include_anonymous: true`; the run summary counts such profiles. Use it where names are not unique and a marketer cannot reach a profile known only by one; keep `true` where records carry no identifiers at all (a list of people to deduplicate)"),
        Property("probabilistic", .object([
            Property("attributes", .map(.oneOf([.string, .list(.string)])), required: true,
                     doc: "attribute → `source.field` references holding it (e.g. `last_name: [crm.last_key, store_sales.last_key]`)"),
            Property("blocking", .list(.list(.string)), required: true,
                     doc: "rules of attributes that must be equal for two records to be compared, e.g. `[[last_name], [postcode]]`; `sorted(given_name, surname)` blocks on the two values as an unordered pair (swapped names share the block)"),
            Property("max_block_size", .integer(min: 2),
                     doc: "a block holding more records than this (the people named John Smith) is skipped, so candidate pairs grow with the data, not with its square; its records are still compared through the other rules. `pipeline validate --estimate` shows the largest blocks"),
            Property("comparisons", .map(.object([
                Property("method", .choice(Probabilistic.Method.allCases.map(\.rawValue)), required: true,
                         doc: "how values are compared: `exact`, `jaro_winkler`, `levenshtein`, `damerau_levenshtein`, `name_swap` (first/last swapped, with `with:`), `date`, `numeric`, `token_set`"),
                Property("levels", .list(.string), doc: "the levels after the exact one, best first: Jaro-Winkler thresholds (`[0.92, 0.8]`; also `name_swap`), edit distances (`[1, 2]`), token-set Jaccard thresholds (`token_set`: `[0.8, 0.5]`), `date`: `typo`, `day_month_swap`, `N days`; `numeric`: absolute (`0.5`) or relative (`5%`) differences"),
                Property("with", .string, doc: "`name_swap`: the other attribute (e.g. `last_name` for `first_name`): a level for first = other's last and last = other's first"),
                Property("swap_threshold", .custom(summary: "a number between 0 and 1", check: { node in
                    Double(node.scalar ?? "").map { (0...1).contains($0) } == true ? []
                        : [.error(.invalidValue, at: node.location, "swap_threshold must be between 0 and 1, found \(node.safeDescription)")]
                }), default: "1", doc: "`name_swap`: Jaro-Winkler both crossed names must reach for the swapped level (1: exact)"),
                Property("term_frequency", .boolean, default: "false",
                         doc: "weigh an exact match by how rare the value is (`Okonkwo` counts for more than `Smith`)"),
                Property("veto", .boolean, default: "false",
                         doc: "a pair whose values disagree beyond every level (the `else` level; a missing value is no disagreement) is never linked, whatever its score, and is written to identity_refusals (`veto`): for attributes whose disagreement means two people, such as the first names of twins or of a household at one address"),
            ])), required: true, doc: "attribute → comparison with levels (an exact match is always the first level)"),
            Property("threshold", .custom(summary: "a probability between 0 and 1", check: { node in
                Double(node.scalar ?? "").map { (0...1).contains($0) } == true ? []
                    : [.error(.invalidValue, at: node.location, "threshold must be a probability between 0 and 1, found \(node.safeDescription)")]
            }), default: "0.95", doc: "the match probability above which two records are linked"),
            Property("seed", .integer(min: 0), default: "42", doc: "seed of the random pairs used to estimate u; training is deterministic"),
            Property("model", .string, doc: "a saved model (JSON from the `match_model` table), relative to the pipeline file: scored with, not retrained"),
        ]), doc: "a Fellegi-Sunter matcher (blocking, comparisons, EM); its links join profiles under the same guards"),
    ])

    /// One entry of a comparison's `levels:` for its method, or an error at its position.
    static func level(_ node: ConfigNode, method: Probabilistic.Method, diagnostics: inout DiagnosticBag) -> Probabilistic.Level? {
        let text = node.scalar ?? ""
        func fail(_ message: String, hint: String? = nil) -> Probabilistic.Level? {
            diagnostics.add(.error(.invalidValue, at: node.location, message, hint: hint))
            return nil
        }
        switch method {
        case .exact:
            return nil  // reported once for the comparison
        case .jaroWinkler, .nameSwap, .tokenSet:
            guard let v = Double(text), (0...1).contains(v) else {
                return fail("a \(method == .tokenSet ? "token-set Jaccard" : "Jaro-Winkler") level must be a number between 0 and 1, found \(node.safeDescription)",
                            hint: "e.g. `levels: [0.92, 0.8]`")
            }
            return .similarity(v)
        case .levenshtein, .damerauLevenshtein:
            guard let v = Int(text), v >= 0 else {
                return fail("an edit-distance level must be a whole number of edits (0 or more), found \(node.safeDescription)", hint: "e.g. `levels: [1, 2]`")
            }
            return .edits(v)
        case .date:
            switch text {
            case "typo": return .dateTypo
            case "day_month_swap": return .dayMonthSwap
            default:
                let parts = text.split(separator: " ")
                if parts.count == 2, parts[1] == "days" || parts[1] == "day", let n = Int(parts[0]), n >= 0 { return .withinDays(n) }
                return fail("a date level is `typo`, `day_month_swap` or `N days`, found \(node.safeDescription)",
                            hint: Int(text) != nil ? "write `\(text) days`" : "e.g. `levels: [typo, day_month_swap, 30 days]`")
            }
        case .numeric:
            if text.hasSuffix("%"), let p = Double(text.dropLast()), p >= 0 { return .relativeDifference(p / 100) }
            if let v = Double(text), v >= 0 { return .absoluteDifference(v) }
            return fail("a numeric level is an absolute difference (`0.5`) or a relative one (`5%`), found \(node.safeDescription)")
        }
    }

    /// Builds the section, checking every `source.field` against the sources' output fields.
    static func build(_ node: ConfigNode, sources: [SourceDefinition], broken: [String: Set<String>], baseDirectory: String,
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
                    if let known = broken[parts[0]] {  // the source has errors of its own
                        PipelineLoader.checkBrokenReference(source: parts[0], field: parts[1], known: known, at: reference.location,
                                                            diagnostics: &diagnostics)
                        continue
                    }
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
            var type = IdentifierType(name: entry.key, fields: fields,
                                      maxPerProfile: entry.value["max_per_profile"]?.scalar.flatMap { Int($0) })
            type.attachOnly = entry.value["attach_only"]?.scalar == "true"
            type.anonymous = entry.value["anonymous"]?.scalar == "true"
            types.append(type)
        }
        var probabilistic: Probabilistic?
        if let node = node["probabilistic"], node.entries != nil {
            var attributes: [(String, [(String, String)])] = []
            for entry in node["attributes"]?.entries ?? [] {
                var fields: [(String, String)] = []
                for reference in entry.value.scalarList ?? [] {
                    let parts = (reference.scalar ?? "").split(separator: ".", maxSplits: 1).map(String.init)
                    guard parts.count == 2, let known = outputs[parts[0]] else {
                        if parts.count == 2, let partial = broken[parts[0]] {
                            PipelineLoader.checkBrokenReference(source: parts[0], field: parts[1], known: partial, at: reference.location,
                                                                diagnostics: &diagnostics)
                            continue
                        }
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
            // An element is an attribute, or `sorted(a, b)`: the two values as an unordered pair,
            // so records with the names swapped share the block.
            let blocking = (node["blocking"]?.sequence ?? []).map { rule in
                (rule.sequence ?? []).compactMap { element -> String? in
                    guard let text = element.scalar else { return nil }
                    if let pair = Probabilistic.sortedPair(text) {
                        let known = pair.compactMap { attribute(ConfigNode(.scalar($0), at: element.location)) }
                        return known.count == 2 ? Probabilistic.sortedKey(pair[0], pair[1]) : nil
                    }
                    if text.hasPrefix("sorted(") || text.hasSuffix(")") {
                        diagnostics.add(.error(.invalidValue, at: element.location,
                                               "\(element.safeDescription) is not `sorted(attribute, attribute)`",
                                               hint: "two attributes; in a flow list quote it: [\"sorted(given_name, surname)\"]"))
                        return nil
                    }
                    return attribute(element)
                }
            }
            var comparisons: [Probabilistic.Comparison] = []
            for entry in node["comparisons"]?.entries ?? [] {
                guard attribute(ConfigNode(.scalar(entry.key), at: entry.keyLocation)) != nil,
                      let method = entry.value["method"]?.scalar.flatMap(Probabilistic.Method.init) else { continue }
                var levels: [Probabilistic.Level] = []
                for level in entry.value["levels"]?.sequence ?? [] {
                    if let parsed = Self.level(level, method: method, diagnostics: &diagnostics) { levels.append(parsed) }
                }
                var comparison = Probabilistic.Comparison(attribute: entry.key, method: method, levels: levels,
                                                          termFrequency: entry.value["term_frequency"]?.scalar == "true")
                comparison.veto = entry.value["veto"]?.scalar == "true"
                if let with = entry.value["with"] {
                    if method != .nameSwap {
                        diagnostics.add(.error(.invalidValue, at: with.location, "`with:` is only for `method: name_swap`"))
                    } else if with.scalar == entry.key {
                        diagnostics.add(.error(.invalidValue, at: with.location, "`with:` must name another attribute than '\(entry.key)'",
                                               hint: "e.g. `\(entry.key): { method: name_swap, with: last_name }`"))
                    } else if let other = attribute(with) {
                        comparison.with = other
                    }
                } else if method == .nameSwap {
                    diagnostics.add(.error(.missingKey, at: entry.keyLocation, "`method: name_swap` needs `with:`, the other name attribute",
                                           hint: "e.g. `\(entry.key): { method: name_swap, with: last_name, levels: [0.92, 0.8] }`"))
                }
                if let swap = entry.value["swap_threshold"] {
                    if method != .nameSwap {
                        diagnostics.add(.error(.invalidValue, at: swap.location, "`swap_threshold:` is only for `method: name_swap`"))
                    } else if let t = swap.scalar.flatMap(Double.init) {
                        comparison.swapThreshold = t
                    }
                }
                if method == .exact, let first = entry.value["levels"]?.sequence?.first {
                    diagnostics.add(.error(.invalidValue, at: first.location, "`method: exact` has no levels besides the exact match",
                                           hint: "remove `levels:`, or choose another method"))
                }
                comparisons.append(comparison)
            }
            probabilistic = Probabilistic(
                attributes: attributes, blocking: blocking, comparisons: comparisons,
                threshold: node["threshold"]?.scalar.flatMap(Double.init) ?? 0.95,
                seed: node["seed"]?.scalar.flatMap { UInt64($0) } ?? 42,
                modelFile: node["model"]?.scalar.map { $0.hasPrefix("/") ? $0 : baseDirectory + "/" + $0 })
            probabilistic?.maxBlockSize = node["max_block_size"]?.scalar.flatMap { Int($0) }
        }
        // `conflicts:` names attributes of the matcher (whose fields say where each is read).
        let attributeNames = probabilistic?.attributes.map(\.name) ?? []
        for entry in node["identifiers"]?.entries ?? [] {
            guard let list = entry.value["conflicts"], let index = types.firstIndex(where: { $0.name == entry.key }) else { continue }
            for item in list.sequence ?? [] {
                guard let name = item.scalar else { continue }
                if attributeNames.contains(name) {
                    types[index].conflicts.append(name)
                } else if probabilistic == nil {
                    diagnostics.add(.error(.unknownField, at: item.location, "`conflicts:` names attributes of `identity.probabilistic.attributes`, and there is none",
                                           hint: "declare e.g. `probabilistic: { attributes: { first_name: [crm.first_key] } }`"))
                } else {
                    diagnostics.add(.error(.unknownField, at: item.location, "unknown attribute '\(name)' in `conflicts:`",
                                           hint: Suggestions.didYouMean(name, in: attributeNames) ?? "attributes: " + attributeNames.joined(separator: ", ")))
                }
            }
        }
        if let flag = node.entry("attributes_identify"), flag.value.scalar == "false", !types.isEmpty, types.allSatisfy(\.anonymous) {
            diagnostics.add(.warning(.missingKey, at: flag.keyLocation,
                                     "`attributes_identify: false` with only anonymous identifiers: no profile will be identified, so every segment will be empty",
                                     hint: "declare an identifier that is not `anonymous: true` (a user id, an e-mail), or remove `attributes_identify`"))
        }
        guard diagnostics.errorCount == before else { return nil }
        return IdentityDefinition(
            identifiers: types,
            ignoreValues: (node["ignore_values"]?.sequence ?? []).compactMap(\.scalar),
            maxRecordsPerValue: node["max_records_per_value"]?.scalar.flatMap { Int($0) } ?? 1000,
            maxClusterSize: node["max_cluster_size"]?.scalar.flatMap { Int($0) } ?? 10_000,
            attributesIdentify: node["attributes_identify"]?.scalar.map { $0 == "true" } ?? true,
            probabilistic: probabilistic)
    }
}
