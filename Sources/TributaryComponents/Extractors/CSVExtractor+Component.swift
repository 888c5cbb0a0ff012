import TributaryCore

extension CSVExtractor: ExtractorComponent {
    public static let spec = ComponentSpec(
        name: "csv",
        kind: .extractor,
        summary: """
            Comma-separated files with a header row, parsed with libcsv: UTF-8 byte-order mark, CRLF or LF \
            line ends, quoted fields holding delimiters, doubled quotes and line breaks. Rows with the wrong \
            number of fields, stray or unclosed quotes, or invalid UTF-8 are quarantined with their line number.
            """,
        shape: .object([
            Property("fields", FieldSpec.shape(locatorKey: "column", locatorDoc: "header name, or several: the first non-empty value wins"),
                     required: true,
                     doc: "output field name → header column (`email: Email`), a list of columns to coalesce, or `{ column: ..., type: ... }`"),
            Property("delimiter", singleByte("delimiter"), default: ",",
                     doc: "the field separator: one ASCII character, or `tab`"),
            Property("quote", singleByte("quote"), default: "\"", doc: "the quote character"),
            Property("strict_quotes", .boolean, default: "true",
                     doc: "quarantine rows with a quote inside an unquoted field (`false` keeps the quote as text)"),
            Property("max_record_lines", .integer(min: 1, max: 100_000), default: "100",
                     doc: "a quoted field spanning more physical lines than this is treated as never closed"),
        ]),
        example: """
            format: csv
            path: crm/contacts*.csv
            fields:
              contact_id: Contact ID
              email: Email
              phone: [Phone, Mobile]
            """)

    static func singleByte(_ what: String) -> Shape {
        .custom(summary: "one ASCII character", check: { node in
            parseByte(node.scalar ?? "") == nil
                ? [.error(.invalidValue, at: node.location, "\(what) must be a single ASCII character, found \(node.safeDescription)",
                          hint: "write e.g. \";\", \"|\" or tab")]
                : []
        })
    }

    static func parseByte(_ text: String) -> UInt8? {
        switch text {
        case "tab", "\\t", "\t": return 0x09
        default:
            let bytes = Array(text.utf8)
            return bytes.count == 1 && bytes[0] < 0x80 && bytes[0] != 0x0A && bytes[0] != 0x0D ? bytes[0] : nil
        }
    }

    public static func make(source: ConfigNode, diagnostics: inout DiagnosticBag) -> (any Extractor)? {
        let before = diagnostics.errorCount
        var fields: [Field] = []
        for entry in source["fields"]?.entries ?? [] {
            let (definition, columns) = FieldSpec.parse(entry, locatorKey: "column", diagnostics: &diagnostics)
            fields.append(Field(definition, columns: columns, written: FieldSpec.writtenLocators(entry, locatorKey: "column")))
        }
        if source["fields"]?.entries?.isEmpty == true {
            diagnostics.add(.error(.missingKey, at: source["fields"]!.location, "the source maps no fields",
                                   hint: "add at least one `name: Column` under `fields:`"))
        }
        let delimiter = source["delimiter"]?.scalar.flatMap(parseByte) ?? UInt8(ascii: ",")
        let quote = source["quote"]?.scalar.flatMap(parseByte) ?? UInt8(ascii: "\"")
        if delimiter == quote, let node = source["quote"] ?? source["delimiter"] {
            diagnostics.add(.error(.invalidValue, at: node.location, "the delimiter and the quote must differ"))
        }
        guard diagnostics.errorCount == before else { return nil }
        return CSVExtractor(fields: fields, delimiter: delimiter, quote: quote,
                            strictQuotes: source["strict_quotes"]?.scalar != "false",
                            maxRecordLines: source["max_record_lines"]?.scalar.flatMap { Int($0) } ?? 100)
    }
}

/// Output field names become SQL column names: letters, digits and '_', not reserved by us.
enum FieldNames {
    static let reserved: Set<String> = ["_record_id", "_file_id", "_line", "_run_id"]

    /// Checks a field name; `interpolated` names come from `${VAR}` and are never echoed.
    static func check(_ entry: ConfigEntry, interpolated: Bool = false) -> [Diagnostic] {
        let name = entry.key
        let shown = interpolated ? entry.value.safeDescription : "'\(name)'"
        let valid = name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        if !valid {
            let suggestion = String(name.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
            return [.error(.invalidValue, at: entry.keyLocation,
                           "field name \(shown) must start with a letter and use only letters, digits and '_'",
                           hint: interpolated ? nil : "the field name is the output column; map it from the header: `\(suggestion): \(name)`")]
        }
        if reserved.contains(name.lowercased()) {
            return [.error(.invalidValue, at: entry.keyLocation, "field name \(shown) is reserved for lineage columns",
                           hint: "choose another name")]
        }
        return []
    }
}
