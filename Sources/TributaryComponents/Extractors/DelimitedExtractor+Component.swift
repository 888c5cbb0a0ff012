import TributaryCore

extension DelimitedExtractor: ExtractorComponent {
    public static let spec = ComponentSpec(
        name: "delimited",
        kind: .extractor,
        summary: """
            Point-of-sale and legacy dumps separated by one character (`|`, `;`, tab, ...), in UTF-8, \
            ISO-8859-1 or Windows-1252 (converted to UTF-8). Columns come from a header row or from an \
            explicit `columns:` list. Without quoting (the default) every delimiter separates fields; with \
            `quote:` the file is parsed like `format: csv`. A line equal to the header row in the middle of \
            the file (batches appended to an export) is counted as a header line, not as a record. Rows with \
            the wrong number of fields or text that is not valid in the encoding are quarantined with their line.
            """,
        shape: .object([
            Property("fields", FieldSpec.shape(locatorKey: "column",
                                               locatorDoc: "column name (from the header row or `columns`), or several: the first non-empty value wins"),
                     required: true,
                     doc: "output field name → column name (`txn_id: TXN_ID`), a list of columns to coalesce, or `{ column: ..., type: ... }`"),
            Property("delimiter", CSVExtractor.singleByte("delimiter"), required: true,
                     doc: "the field separator: one ASCII character (`|`, `;`, `,`), or `tab`"),
            Property("quote", quoteShape, default: "none",
                     doc: "`none`: quotes are ordinary text and every delimiter separates fields; or the quote character of quoted fields (parsed as in `format: csv`)"),
            Property("encoding", .choice(TextEncoding.allCases.map(\.rawValue)), default: "utf-8", doc: TextEncoding.doc),
            Property("header", .boolean, default: "true",
                     doc: "whether the first non-blank line is a header row; `false` requires `columns`"),
            Property("columns", .list(.string),
                     doc: "the column names in file order, for files without a header row (or to replace its names)"),
            Property("strict_quotes", .boolean, default: "true",
                     doc: "with a quote character: quarantine rows with a quote inside an unquoted field"),
            Property("max_record_lines", .integer(min: 1, max: 100_000), default: "100",
                     doc: "with a quote character: a quoted field spanning more physical lines than this is treated as never closed"),
        ]),
        example: """
            format: delimited
            path: pos/store_sales_*.txt
            delimiter: "|"
            encoding: iso-8859-1
            fields:
              txn_id: TXN_ID
              store_id: STORE_ID
              customer_name: CUSTOMER_NAME
              qty: { column: QTY, type: integer }
            """)

    static let quoteShape = Shape.custom(summary: "`none` or one ASCII character", check: { node in
        let text = node.scalar ?? ""
        return text == "none" || CSVExtractor.parseByte(text) != nil ? []
            : [.error(.invalidValue, at: node.location, "quote must be `none` or a single ASCII character, found \(node.safeDescription)",
                      hint: "write e.g. '\"' or none")]
    })

    public static func make(source: ConfigNode, diagnostics: inout DiagnosticBag) -> (any Extractor)? {
        let before = diagnostics.errorCount
        var fields: [Field] = []
        for entry in source["fields"]?.entries ?? [] {
            let (definition, columns) = FieldSpec.parse(entry, locatorKey: "column", diagnostics: &diagnostics)
            fields.append(Field(definition, columns: columns, written: FieldSpec.writtenLocators(entry, locatorKey: "column")))
        }
        if let node = source["fields"], node.entries?.isEmpty == true {
            diagnostics.add(.error(.missingKey, at: node.location, "the source maps no fields",
                                   hint: "add at least one `name: COLUMN` under `fields:`"))
        }
        let delimiter = source["delimiter"]?.scalar.flatMap(CSVExtractor.parseByte) ?? UInt8(ascii: "|")
        let quoteText = source["quote"]?.scalar ?? "none"
        let quote = quoteText == "none" ? nil : CSVExtractor.parseByte(quoteText)
        if let quote, quote == delimiter, let node = source["quote"] {
            diagnostics.add(.error(.invalidValue, at: node.location, "the delimiter and the quote must differ"))
        }
        let encoding = source["encoding"]?.scalar.flatMap(TextEncoding.init(rawValue:)) ?? .utf8
        let header = source["header"]?.scalar != "false"

        var columns: [String]?
        if let node = source["columns"] {
            let items = node.sequence ?? []
            columns = items.compactMap(\.scalar)
            var seen = Set<String>()
            for item in items {
                guard let name = item.scalar else { continue }
                if !seen.insert(name.lowercased()).inserted {
                    diagnostics.add(.error(.duplicateField, at: item.location, "column '\(name)' is listed twice",
                                           hint: "each column of the file appears once in `columns`, in file order"))
                }
            }
            // The file's columns are known: a mapped column that is not among them is a typo.
            for entry in source["fields"]?.entries ?? [] {
                for locator in locatorNodes(entry, key: "column") {
                    guard let name = locator.scalar, !(columns ?? []).contains(where: {
                        $0 == name || $0.lowercased() == name.lowercased()
                    }) else { continue }
                    let hint = Suggestions.didYouMean(name, in: columns ?? [])
                        ?? "columns: " + (columns ?? []).joined(separator: ", ")
                    diagnostics.add(.error(.unknownField, at: locator.location, "column '\(name)' is not in `columns`", hint: hint))
                }
            }
        } else if !header, let node = source["header"] {
            diagnostics.add(.error(.missingKey, at: node.location, "without a header row the columns must be listed",
                                   hint: "add `columns: [txn_id, store_id, ...]` with the file's columns in order"))
        }
        guard diagnostics.errorCount == before else { return nil }
        return DelimitedExtractor(fields: fields, delimiter: delimiter, quote: quote, encoding: encoding,
                                  header: header, columns: columns,
                                  strictQuotes: source["strict_quotes"]?.scalar != "false",
                                  maxRecordLines: source["max_record_lines"]?.scalar.flatMap { Int($0) } ?? 100)
    }

    /// The nodes naming a field's locators: `name: X`, `name: [X, Y]` or `name: { <key>: X }`.
    static func locatorNodes(_ entry: ConfigEntry, key: String) -> [ConfigNode] {
        let node = entry.value.entries != nil ? entry.value[key] : entry.value
        return node?.scalarList ?? []
    }
}
