import Foundation
import TributaryCore

/// An SQL expression written in the pipeline file, with where it was written, so that the
/// runtime (which prepares it against the output schema) can point an error at the exact column.
public struct SQLExpression: Sendable, CustomStringConvertible {
    public var text: String
    /// The expression as written, `${VAR}` uninterpolated: what the output stores.
    public var written: String
    public var location: SourceLocation
    /// The YAML scalar was quoted: its first character is one column after `location`.
    public var quoted: Bool

    public init(_ text: String, at location: SourceLocation, quoted: Bool = false, written: String? = nil) {
        self.text = text
        self.written = written ?? text
        self.location = location
        self.quoted = quoted
    }

    init?(_ node: ConfigNode?) {
        guard let node, let text = node.scalar else { return nil }
        self.init(text, at: node.location, quoted: node.quoted, written: node.written)
    }

    /// The file position of byte `offset` of the text; for a text of several lines, or an offset
    /// SQLite could not give, the start of the expression.
    public func location(ofByte offset: Int?) -> SourceLocation {
        guard let offset, offset >= 0, offset <= text.utf8.count, !text.utf8.contains(UInt8(ascii: "\n")) else {
            return location
        }
        var at = location
        at.column += offset + (quoted ? 1 : 0)
        return at
    }

    public var description: String { text }
}

/// `activities:` per source: which of its records are activities of their profile, of what kind,
/// when, and for how much. Every expression is SQL over the source's output fields.
public struct ActivityDefinition: Sendable {
    public var source: String
    /// The instant (UTC, as timestamp fields are stored: `2024-06-01T08:15:02.114Z`); a `date`
    /// field counts as midnight UTC.
    public var at: SQLExpression
    public var amountCents: SQLExpression?
    /// The original record's key; default: the source's `key:` fields joined by `|`.
    public var key: SQLExpression?
    /// What groups records into one order (a POS transaction's lines); default: the key.
    public var order: SQLExpression?
    /// Kinds in order; a record takes the first whose condition holds, and is no activity when
    /// none does.
    public var kinds: [(name: String, when: SQLExpression)]
}

/// A computed trait: an SQL aggregate over a profile's activities (and its attributes).
public struct TraitDefinition: Sendable {
    public var name: String
    public var expression: SQLExpression
    public var description: String?
}

/// A segment: an SQL predicate over a profile's attributes and traits.
public struct SegmentDefinition: Sendable {
    public var name: String
    public var condition: SQLExpression
    public var description: String?
    /// Whether profiles that hold only anonymous identifiers (a device that never identified)
    /// may be members; by default a segment holds identified profiles only.
    public var includeAnonymous = false
}

/// An activation export: a CSV of a segment's audience (or of every profile), with e-mail and
/// phone normalized and hashed the way ad and e-mail platforms accept them.
public struct ExportDefinition: Sendable {
    public var name: String
    /// Absolute path of the CSV file.
    public var path: String
    /// The audience; nil: every profile (a CRM enrichment export).
    public var segment: String?
    /// Plain columns of `profiles`, in order (`profile_id` unless the list says otherwise).
    public var columns: [String]
    /// The profile column holding the e-mail / phone to hash into `email_sha256` / `phone_sha256`.
    public var hashEmail: String?
    public var hashPhone: String?
    /// Name of a column listing the profile's segments (`;`-separated); nil: none.
    public var segmentsColumn: String?
    public var location: SourceLocation
}

/// The marketing half of a pipeline: activities, traits, segments and exports.
public struct AudienceDefinition: Sendable {
    public var activities: [ActivityDefinition] = []
    public var traits: [TraitDefinition] = []
    public var segments: [SegmentDefinition] = []
    public var exports: [ExportDefinition] = []

    public var isEmpty: Bool { activities.isEmpty && traits.isEmpty && segments.isEmpty && exports.isEmpty }

    /// Traits computed whenever a pipeline declares activities. They read the activity kinds
    /// `purchase` and `return`.
    public static let builtInTraits: [(name: String, sql: String, doc: String)] = [
        ("first_seen_at", "min(at)", "the first activity's instant"),
        ("last_seen_at", "max(at)", "the latest activity's instant (up to `as_of`)"),
        ("last_purchase_at", "max(at) FILTER (WHERE kind = 'purchase')", "the latest purchase"),
        ("lifetime_spend_cents", "coalesce(sum(amount_cents) FILTER (WHERE kind IN ('purchase', 'return')), 0)",
         "purchases minus returns, in cents"),
        ("orders", "count(DISTINCT order_id) FILTER (WHERE kind = 'purchase')", "distinct orders (a POS transaction is one order)"),
        ("days_since_last_purchase", "CAST(days_since(max(at) FILTER (WHERE kind = 'purchase')) AS INTEGER)",
         "whole days from the latest purchase to `as_of`"),
    ]
    /// Recency, frequency and monetary scores (1-5, 5 best) among profiles with a purchase; ties share a score.
    public static let rfmTraits = ["rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_score"]

    static let activityShape = Shape.map(.object([
        Property("at", .string, required: true,
                 doc: "SQL giving the instant: a timestamp field (stored as UTC ISO-8601) or a date field (midnight UTC)"),
        Property("amount_cents", .string, doc: "SQL giving the amount in cents, e.g. `amount_cents` or `round(revenue * 100)`"),
        Property("key", .string, doc: "SQL giving the original record key (default: the source's `key:` fields joined by `|`)"),
        Property("order", .string, doc: "SQL giving the order a record belongs to, e.g. `txn_id` (default: the key)"),
        Property("kinds", .map(.string), required: true,
                 doc: "kind → SQL condition over the source's fields, in order; the first that holds names the activity, records matching none are not activities"),
    ]))
    static let traitShape = Shape.map(.oneOf([.string, .object([
        Property("sql", .string, required: true, doc: "an aggregate over the profile's activities"),
        Property("description", .string, doc: "free text for readers"),
    ])]))
    static let segmentShape = Shape.map(.oneOf([.string, .object([
        Property("where", .string, required: true, doc: "an SQL condition over the profile's attributes and traits"),
        Property("description", .string, doc: "free text for readers"),
        Property("include_anonymous", .boolean, default: "false",
                 doc: "also profiles that hold only `anonymous: true` identifiers (a device that never identified); by default a segment holds identified profiles only"),
    ])]))
    static let exportShape = Shape.map(.object([
        Property("path", .path, required: true, doc: "the CSV file to write (atomically, with the database)"),
        Property("segment", .string, doc: "the audience; without it every profile is exported (a CRM enrichment file)"),
        Property("columns", .list(.string), default: "[profile_id]", doc: "plain columns of `profiles`: only what the platform needs"),
        Property("hash_email", .string, doc: "profile column whose e-mail is trimmed, lower-cased and SHA-256 hashed into `email_sha256`"),
        Property("hash_phone", .string, doc: "profile column whose E.164 phone is SHA-256 hashed into `phone_sha256`"),
        Property("segments_column", .string, doc: "add a column of this name listing the profile's segments, `;`-separated"),
        Property("outside_output", .boolean, default: "false",
                 doc: "allow a `path` outside the output database's folder (written there on purpose: a shared drop folder); without it such a path is an error"),
    ]))

    /// Reads the four sections; checks names and references that need no database (sources,
    /// segments, profile columns). The SQL itself is prepared by the runtime's checker.
    static func build(_ root: ConfigNode, sources: [SourceDefinition], survivorship: SurvivorshipDefinition?,
                      hasIdentity: Bool, baseDirectory: String, absolute: (String) -> String,
                      pipelineFilePath: String? = nil,
                      diagnostics: inout DiagnosticBag) -> AudienceDefinition {
        var audience = AudienceDefinition()
        let sourceNames = sources.map(\.name)
        if let entry = root.entry("activities") {
            ShapeValidator.validate(entry.value, against: activityShape, context: "'activities'", diagnostics: &diagnostics)
            if !hasIdentity {
                diagnostics.add(.error(.missingKey, at: entry.keyLocation, "`activities:` needs an `identity:` section: each activity belongs to a profile",
                                       hint: "declare the identifiers under `identity:`"))
            }
            let declared = Set((root["sources"]?.entries ?? []).map(\.key))
            for item in entry.value.entries ?? [] {
                guard let source = sources.first(where: { $0.name == item.key }) else {
                    if !declared.contains(item.key) {
                        diagnostics.add(.error(.unknownSource, at: item.keyLocation, "unknown source '\(item.key)'",
                                               hint: Suggestions.didYouMean(item.key, in: sourceNames)))
                    }
                    continue
                }
                guard let at = SQLExpression(item.value["at"]) else { continue }
                var kinds: [(String, SQLExpression)] = []
                for kind in item.value["kinds"]?.entries ?? [] {
                    diagnostics.add(contentsOf: Naming.checkName(ConfigNode(.scalar(kind.key), at: kind.keyLocation), what: "activity kind", allowDash: false))
                    if let condition = SQLExpression(kind.value) { kinds.append((kind.key, condition)) }
                }
                if kinds.isEmpty, let node = item.value["kinds"], node.entries != nil {
                    diagnostics.add(.error(.missingKey, at: node.location, "source '\(item.key)' declares no activity kind",
                                           hint: "e.g. `purchase: event = 'Order Completed'`"))
                }
                var key = SQLExpression(item.value["key"])
                if key == nil, !source.keyFields.isEmpty {
                    let text = source.keyFields.map { "coalesce(CAST(\(quoteIdentifier($0)) AS TEXT), '')" }.joined(separator: " || '|' || ")
                    key = SQLExpression(text, at: at.location)
                }
                audience.activities.append(ActivityDefinition(
                    source: item.key, at: at, amountCents: SQLExpression(item.value["amount_cents"]), key: key,
                    order: SQLExpression(item.value["order"]), kinds: kinds))
            }
        }

        // Names that are already columns of `profiles`.
        var taken: [String: String] = ["profile_id": "the profile id", "records": "a column of profiles", "sources": "a column of profiles"]
        for attribute in survivorship?.attributes ?? [] { taken[attribute.name] = "a golden attribute under `profiles:`" }
        if !audience.activities.isEmpty {
            for trait in builtInTraits { taken[trait.name] = "a built-in trait" }
            for name in rfmTraits { taken[name] = "a built-in trait" }
        }
        if let entry = root.entry("traits") {
            ShapeValidator.validate(entry.value, against: traitShape, context: "'traits'", diagnostics: &diagnostics)
            if root["activities"] == nil {
                diagnostics.add(.error(.missingKey, at: entry.keyLocation, "`traits:` aggregate activities, but the pipeline declares no `activities:`",
                                       hint: "map the event and sales sources to activities under `activities:`"))
            }
            for item in entry.value.entries ?? [] {
                let nameNode = ConfigNode(.scalar(item.key), at: item.keyLocation)
                diagnostics.add(contentsOf: Naming.checkName(nameNode, what: "trait name", allowDash: false))
                if let other = taken[item.key] {
                    diagnostics.add(.error(.duplicateField, at: item.keyLocation, "trait '\(item.key)' has the name of \(other)",
                                           hint: "choose another name"))
                    continue
                }
                taken[item.key] = "another trait"
                let sql = item.value.scalar != nil ? SQLExpression(item.value) : SQLExpression(item.value["sql"])
                if let sql {
                    audience.traits.append(TraitDefinition(name: item.key, expression: sql, description: item.value["description"]?.scalar))
                }
            }
        }
        if let entry = root.entry("segments") {
            ShapeValidator.validate(entry.value, against: segmentShape, context: "'segments'", diagnostics: &diagnostics)
            if !hasIdentity {
                diagnostics.add(.error(.missingKey, at: entry.keyLocation, "`segments:` group profiles, but the pipeline has no `identity:` section",
                                       hint: "declare the identifiers under `identity:`"))
            }
            for item in entry.value.entries ?? [] {
                diagnostics.add(contentsOf: Naming.checkName(ConfigNode(.scalar(item.key), at: item.keyLocation), what: "segment name", allowDash: false))
                let sql = item.value.scalar != nil ? SQLExpression(item.value) : SQLExpression(item.value["where"])
                if let sql {
                    var segment = SegmentDefinition(name: item.key, condition: sql, description: item.value["description"]?.writtenScalar)
                    segment.includeAnonymous = item.value["include_anonymous"]?.scalar == "true"
                    audience.segments.append(segment)
                }
            }
        }
        if let entry = root.entry("exports") {
            ShapeValidator.validate(entry.value, against: exportShape, context: "'exports'", diagnostics: &diagnostics)
            if !hasIdentity {
                diagnostics.add(.error(.missingKey, at: entry.keyLocation, "`exports:` write profiles, but the pipeline has no `identity:` section",
                                       hint: "declare the identifiers under `identity:`"))
            }
            let segments = audience.segments.map(\.name)
            var paths: [String: SourceLocation] = [:]
            // A run writes only files it owns: exports go beside the database unless the pipeline
            // says otherwise, and never over the pipeline file or the database.
            let outputPath = root["output"]?["sqlite"]?.scalar.map { URL(fileURLWithPath: absolute($0)).standardizedFileURL.path }
            let pipelineFile = pipelineFilePath.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            for item in entry.value.entries ?? [] {
                let node = item.value
                diagnostics.add(contentsOf: Naming.checkName(ConfigNode(.scalar(item.key), at: item.keyLocation), what: "export name", allowDash: true))
                guard let pathNode = node["path"], let path = pathNode.scalar else { continue }
                let full = absolute(path)
                let standardized = URL(fileURLWithPath: full).standardizedFileURL.path
                if let outputPath, [outputPath, outputPath + ".lock", outputPath + ".runs.jsonl"].contains(standardized) {
                    diagnostics.add(.error(.invalidValue, at: pathNode.location, "export '\(item.key)' would overwrite the output database or its lock or log",
                                           hint: "give the export a file of its own, e.g. `exports/\(item.key).csv` beside the database"))
                } else if let pipelineFile, standardized == pipelineFile {
                    diagnostics.add(.error(.invalidValue, at: pathNode.location, "export '\(item.key)' would overwrite the pipeline file",
                                           hint: "give the export a file of its own, e.g. `exports/\(item.key).csv` beside the database"))
                } else if let outputPath, node["outside_output"]?.scalar != "true" {
                    let folder = URL(fileURLWithPath: outputPath).deletingLastPathComponent().path
                    if !standardized.hasPrefix(folder == "/" ? "/" : folder + "/") {
                        diagnostics.add(.error(.invalidValue, at: pathNode.location,
                                               "export '\(item.key)' writes outside the output folder \(folder)",
                                               hint: "write exports beside the database (e.g. `${TRIBUTARY_OUT:-../out}/exports/\(item.key).csv`), or add `outside_output: true` to this export to write there on purpose"))
                    }
                }
                if let first = paths[full] {
                    diagnostics.add(.error(.duplicateKey, at: pathNode.location,
                                           "export '\(item.key)' writes the same file as the export at line \(first.line)",
                                           hint: "give each export its own path"))
                }
                paths[full] = pathNode.location
                var segment: String?
                if let segmentNode = node["segment"], let name = segmentNode.scalar {
                    if segments.contains(name) {
                        segment = name
                    } else {
                        diagnostics.add(.error(.unknownField, at: segmentNode.location, "export '\(item.key)' names an unknown segment \(segmentNode.safeDescription)",
                                               hint: Suggestions.didYouMean(name, in: segments) ?? (segments.isEmpty ? "declare it under `segments:`" : "segments: " + segments.joined(separator: ", "))))
                    }
                }
                let columns = node["columns"]?.sequence?.compactMap(\.scalar) ?? ["profile_id"]
                if columns.isEmpty, node["hash_email"] == nil, node["hash_phone"] == nil {
                    diagnostics.add(.error(.missingKey, at: item.keyLocation, "export '\(item.key)' has no column",
                                           hint: "add `columns:`, `hash_email:` or `hash_phone:`"))
                }
                audience.exports.append(ExportDefinition(
                    name: item.key, path: full, segment: segment, columns: columns,
                    hashEmail: node["hash_email"]?.scalar, hashPhone: node["hash_phone"]?.scalar,
                    segmentsColumn: node["segments_column"]?.scalar, location: item.keyLocation))
            }
        }
        return audience
    }
}

/// `"name"` with inner quotes doubled: an SQL identifier.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
