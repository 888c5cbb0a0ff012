import Foundation
import TributaryCore

/// The `fields:` mapping shared by every extractor: `name: locator`, `name: [locator, ...]`
/// (the first non-empty wins), or `name: { <locator key>: ..., type: ..., formats: [...], timezone: ... }`.
/// The locator is a header column (csv), a JSON path (jsonl), a column name (delimited) or a
/// layout field (fixed width); each extractor names its locator key.
public enum FieldSpec {
    public static func shape(locatorKey: String, locatorDoc: String) -> Shape {
        .map(.oneOf([
            .string,
            .list(.string),
            .object(properties(locatorKey: locatorKey, locatorDoc: locatorDoc)),
        ]))
    }

    public static func properties(locatorKey: String, locatorDoc: String) -> [Property] {
        [
            Property(locatorKey, .oneOf([.string, .list(.string)]), required: true, doc: locatorDoc),
            Property("type", .choice(FieldType.allCases.map(\.rawValue)), default: "string",
                     doc: "how the value is read and stored; see the typed fields table"),
            Property("formats", .oneOf([.string, .list(.string)]),
                     doc: "input formats of a date or timestamp, tried in order (`yyyy-MM-dd`, `MM/dd/yyyy`, `dd-MMM-yyyy`, `MM/dd/yyyy HH:mm`, `iso8601`, `epoch_seconds`, `epoch_millis`); for cents, `cents` when the input is already in cents"),
            Property("timezone", .oneOf([
                .custom(summary: "an IANA zone name", check: checkZone),
                .object([
                    Property("lookup", .string, required: true, doc: "a CSV reference table, relative to the pipeline file"),
                    Property("key", .string, required: true, doc: "the field of this record to look up"),
                    Property("key_column", .string, required: true, doc: "the table's column matched against `key`"),
                    Property("zone_column", .string, required: true, doc: "the table's column holding the IANA zone"),
                ]),
            ]), doc: "zone of local wall-clock timestamps (text without an offset): a zone, or a per-record lookup"),
        ]
    }

    static func checkZone(_ node: ConfigNode) -> [Diagnostic] {
        guard let name = node.scalar, TimeZone(identifier: name) == nil else { return [] }
        let hint = Suggestions.didYouMean(name, in: TimeZone.knownTimeZoneIdentifiers)
            ?? "use an IANA name such as America/New_York, Europe/Berlin or UTC"
        return [.error(.invalidValue, at: node.location, "unknown time zone \(node.safeDescription)", hint: hint)]
    }

    /// The locators of a field as the pipeline file writes them (a `${VAR}` stays a name), in the
    /// order of `parse`'s locators.
    public static func writtenLocators(_ entry: ConfigEntry, locatorKey: String) -> [String] {
        let node = entry.value
        let locatorNode = node.entries != nil ? node[locatorKey] : node
        return (locatorNode?.scalarList ?? []).filter { $0.scalar != nil }.compactMap(\.writtenScalar)
    }

    /// The declared field and its locators. Reports bad names and date formats.
    public static func parse(_ entry: ConfigEntry, locatorKey: String,
                             diagnostics: inout DiagnosticBag) -> (definition: FieldDefinition, locators: [String]) {
        diagnostics.add(contentsOf: FieldNames.check(entry))
        let node = entry.value
        let locatorNode = node.entries != nil ? node[locatorKey] : node
        let locators = (locatorNode?.scalarList ?? []).compactMap(\.scalar)
        if locators.isEmpty, node.entries == nil || locatorNode != nil {
            diagnostics.add(.error(.invalidValue, at: node.location, "field '\(entry.key)' names no \(locatorKey)",
                                   hint: "e.g. `\(entry.key): ...`"))
        }
        var definition = FieldDefinition(name: entry.key, location: entry.keyLocation)
        if let typeName = node["type"]?.scalar, let type = FieldType(rawValue: typeName) { definition.type = type }
        definition.formats = (node["formats"]?.scalarList ?? []).compactMap(\.scalar)
        if let formatsNode = node["formats"], ![.date, .timestamp, .cents].contains(definition.type) {
            diagnostics.add(.error(.invalidValue, at: formatsNode.location,
                                   "`formats` applies to date, timestamp and cents fields, not \(definition.type.rawValue)",
                                   hint: "add `type: date` or `type: timestamp`, or remove `formats`"))
        }
        for format in node["formats"]?.scalarList ?? [] {
            if let problem = DateFormat.problem(format.scalar ?? "", type: definition.type) {
                diagnostics.add(.error(.invalidValue, at: format.location, problem,
                                       hint: "patterns use yyyy, yy, MM, M, MMM (Jun), MMMM (June), dd, d, HH, H, hh, h, mm, ss, SSS, a, XXX; or iso8601, epoch_seconds, epoch_millis"))
            }
        }
        if let zone = node["timezone"] {
            if definition.type != .timestamp {
                diagnostics.add(.error(.invalidValue, at: zone.location, "`timezone` applies to timestamp fields",
                                       hint: "add `type: timestamp`"))
            }
            if let name = zone.scalar {
                definition.timezone = .fixed(name)
            } else if let table = zone["lookup"]?.scalar, let key = zone["key"]?.scalar,
                      let keyColumn = zone["key_column"]?.scalar, let zoneColumn = zone["zone_column"]?.scalar {
                definition.timezone = .lookup(table: table, keyField: key, keyColumn: keyColumn, zoneColumn: zoneColumn)
            }
        }
        return (definition, locators)
    }
}
