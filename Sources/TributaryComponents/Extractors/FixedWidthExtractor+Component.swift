import TributaryCore

extension FixedWidthExtractor: ExtractorComponent {
    static let slotShape = Shape.list(.integer(min: 1))
    static let layoutShape = Shape.map(slotShape)
    static let codesShape = Shape.oneOf([.string, .list(.string)])

    public static let spec = ComponentSpec(
        name: "fixed_width",
        kind: .extractor,
        summary: """
            Legacy dumps with fields at fixed columns, in UTF-8, ISO-8859-1 or Windows-1252 (converted to \
            UTF-8). The layout (`field: [start, length]`, 1-based, in characters) is given inline or in a \
            layout file; values are trimmed of spaces. With `record_types`, header and trailer lines are \
            control lines and detail lines are the records; each trailer's record count and amount total \
            are reconciled with its block's valid detail records (those quarantined for any reason, by the \
            extractor, a field type or a rule, are left out; duplicates count). Lines of an undeclared record \
            type, detail lines shorter or longer than the record length, and text that is not valid in the \
            encoding are quarantined.
            """,
        shape: .object([
            Property("fields", FieldSpec.shape(locatorKey: "field",
                                               locatorDoc: "a detail layout field, or `header.<name>` for a field of the block's header; several: the first non-empty value wins"),
                     required: true,
                     doc: "output field name → layout field (`store_id: store`), a list to coalesce, or `{ field: ..., type: ... }`"),
            Property("layout", layoutShape,
                     doc: "the detail records' layout: field → `[start, length]`, 1-based, in characters; or use `layout_file`"),
            Property("layout_file", .path,
                     doc: "instead of `layout`: a CSV file with the columns `field,start,length` and optionally `record` (`detail`, `header` or `trailer`), read when the run plans its input"),
            Property("encoding", .choice(TextEncoding.allCases.map(\.rawValue)), default: "utf-8", doc: TextEncoding.doc),
            Property("record_types", .object([
                Property("type_field", slotShape, required: true, doc: "`[start, length]` of the record type code"),
                Property("detail", codesShape, required: true, doc: "the code (or codes) of detail records: the records loaded"),
                Property("header", codesShape, doc: "the code (or codes) of header lines, which open a block"),
                Property("trailer", codesShape, doc: "the code (or codes) of trailer lines, which close a block"),
                Property("header_layout", layoutShape, doc: "the header's fields, usable in `fields` as `header.<name>`"),
                Property("trailer_layout", layoutShape, doc: "the trailer's fields, named in `reconcile`"),
            ]), doc: "tells header, detail and trailer lines apart by a code at a fixed position; other codes are quarantined (`unknown_record_type`)"),
            Property("reconcile", .object([
                Property("count", .string, doc: "the trailer field stating how many detail records its block has"),
                Property("total", .string, doc: "the trailer field stating the sum of `sum` over its block's detail records"),
                Property("sum", .string, doc: "the detail field summed for `total`, in whole cents"),
            ]), doc: "checks each trailer against its block's valid detail records (not quarantined by any stage; duplicates and filtered records count); results go to the reconciliations"),
            Property("record_length", .integer(min: 1),
                     doc: "the length of a detail record in characters, without the line end (default: the end of the last layout field or of the type code)"),
            Property("short_lines", .choice(ShortLines.allCases.map(\.rawValue)), default: "quarantine",
                     doc: "a detail line shorter than the record length: `quarantine` it (`bad_record_length`) or `pad` it with spaces"),
            Property("long_lines", .choice(LongLines.allCases.map(\.rawValue)), default: "quarantine",
                     doc: "a detail line longer than the record length: `quarantine` it (`bad_record_length`) or `allow` it (the extra characters are ignored)"),
        ]),
        example: """
            format: fixed_width
            path: pos/legacy_*.dat
            encoding: windows-1252
            layout:
              store_id: [2, 4]
              txn_id: [6, 10]
              description: [16, 24]
              amount_cents: [40, 10]
            record_types:
              type_field: [1, 1]
              header: H
              detail: D
              trailer: T
              header_layout: { business_date: [2, 8] }
              trailer_layout: { record_count: [2, 7], amount_total: [9, 12] }
            reconcile: { count: record_count, total: amount_total, sum: amount_cents }
            fields:
              store_id: store_id
              txn_id: txn_id
              description: description
              amount_cents: { field: amount_cents, type: cents, formats: [cents] }
              business_date: { field: header.business_date, type: date, formats: [yyyyMMdd] }
            """)

    /// The loader has already made `layout_file` absolute (it is a `.path`); the file itself is read
    /// when a run plans its input, so `validate` does not need it to exist yet.
    public static func make(source: ConfigNode, diagnostics: inout DiagnosticBag) -> (any Extractor)? {
        let before = diagnostics.errorCount
        var fields: [Field] = []
        for entry in source["fields"]?.entries ?? [] {
            let (definition, locators) = FieldSpec.parse(entry, locatorKey: "field", diagnostics: &diagnostics)
            fields.append(Field(definition, locators: locators))
        }
        if let node = source["fields"], node.entries?.isEmpty == true {
            diagnostics.add(.error(.missingKey, at: node.location, "the source maps no fields",
                                   hint: "add at least one `name: layout_field` under `fields:`"))
        }
        let encoding = source["encoding"]?.scalar.flatMap(TextEncoding.init(rawValue:)) ?? .utf8
        let shortLines = source["short_lines"]?.scalar.flatMap(ShortLines.init(rawValue:)) ?? .quarantine
        let longLines = source["long_lines"]?.scalar.flatMap(LongLines.init(rawValue:)) ?? .quarantine
        let recordLength = source["record_length"]?.scalar.flatMap { Int($0) }

        // The layout: inline or from a file.
        let typesNode = source["record_types"]
        var layouts: Layouts?
        let source_: LayoutSource
        switch (source["layout"], source["layout_file"]) {
        case (let inline?, nil):
            let detail = parseLayout(inline, diagnostics: &diagnostics)
            let header = typesNode?["header_layout"].map { parseLayout($0, diagnostics: &diagnostics) } ?? []
            let trailer = typesNode?["trailer_layout"].map { parseLayout($0, diagnostics: &diagnostics) } ?? []
            layouts = Layouts(detail: detail, header: header, trailer: trailer)
            source_ = .inline(layouts!)
            if detail.isEmpty, inline.entries != nil {
                diagnostics.add(.error(.invalidValue, at: inline.location, "the layout has no field",
                                       hint: "e.g. `layout: { store_id: [1, 4], txn_id: [5, 12] }`"))
            }
        case (nil, let file?):
            source_ = .file(file.scalar ?? "")
            for key in ["header_layout", "trailer_layout"] {
                if let entry = typesNode?.entry(key) {
                    diagnostics.add(.error(.invalidValue, at: entry.keyLocation, "with `layout_file`, the \(key) belongs in the layout file",
                                           hint: "add rows with record `\(key == "header_layout" ? "header" : "trailer")` to the layout file"))
                }
            }
        case (let inline?, _?):
            diagnostics.add(.error(.invalidValue, at: inline.location, "give either `layout` or `layout_file`, not both"))
            source_ = .inline(Layouts(detail: []))
        case (nil, nil):
            diagnostics.add(.error(.missingKey, at: source.location, "the source has no `layout` or `layout_file`",
                                   hint: "add `layout: { field: [start, length], ... }` or `layout_file: layout.csv`"))
            source_ = .inline(Layouts(detail: []))
        }

        // Record types.
        var types: RecordTypes?
        if let node = typesNode, let slot = node["type_field"].flatMap({ parseSlot($0, diagnostics: &diagnostics) }) {
            func codes(_ key: String) -> [String] {
                let list = node[key]?.scalarList ?? []
                for item in list where item.scalar.map({ $0.isEmpty || !$0.allSatisfy(\.isASCII) || $0.utf8.count > slot.length }) == true {
                    diagnostics.add(.error(.invalidValue, at: item.location,
                                           "record type codes are 1 to \(slot.length) ASCII characters (the type_field's length), found \(item.safeDescription)"))
                }
                return list.compactMap(\.scalar)
            }
            types = RecordTypes(start: slot.start, length: slot.length, detail: codes("detail"),
                                header: codes("header"), trailer: codes("trailer"))
            let all = types!.detail + types!.header + types!.trailer
            if Set(all).count != all.count {
                diagnostics.add(.error(.invalidValue, at: node.location, "a record type code is listed twice",
                                       hint: "each code means one kind of record"))
            }
            if node["header_layout"] != nil, types!.header.isEmpty, let entry = node.entry("header_layout") {
                diagnostics.add(.error(.invalidValue, at: entry.keyLocation, "`header_layout` needs a `header` code"))
            }
            if node["trailer_layout"] != nil, types!.trailer.isEmpty, let entry = node.entry("trailer_layout") {
                diagnostics.add(.error(.invalidValue, at: entry.keyLocation, "`trailer_layout` needs a `trailer` code"))
            }
        }

        // Reconciliation.
        var reconciliation: Reconciliation?
        if let node = source["reconcile"] {
            reconciliation = Reconciliation(count: node["count"]?.scalar, total: node["total"]?.scalar, sum: node["sum"]?.scalar)
            if types?.trailer.isEmpty ?? true {
                diagnostics.add(.error(.invalidValue, at: node.location, "`reconcile` needs `record_types` with a `trailer` code",
                                       hint: "trailers state the counts and totals that are reconciled"))
            }
            if (node["total"] == nil) != (node["sum"] == nil) {
                diagnostics.add(.error(.missingKey, at: node.location, "`total` and `sum` go together",
                                       hint: "`total` names the trailer field, `sum` the detail field it adds up"))
            }
            if node["count"] == nil, node["total"] == nil {
                diagnostics.add(.error(.missingKey, at: node.location, "`reconcile` names no trailer field",
                                       hint: "add `count: <trailer field>` and/or `total: <trailer field>` with `sum: <detail field>`"))
            }
            if let layouts {
                check(node["count"], in: layouts.trailer, what: "trailer layout", diagnostics: &diagnostics)
                check(node["total"], in: layouts.trailer, what: "trailer layout", diagnostics: &diagnostics)
                check(node["sum"], in: layouts.detail, what: "layout", diagnostics: &diagnostics)
            }
        }

        // Field references, when the layout is known now.
        if let layouts {
            for entry in source["fields"]?.entries ?? [] {
                for locator in DelimitedExtractor.locatorNodes(entry, key: "field") {
                    guard let name = locator.scalar else { continue }
                    if name.hasPrefix(headerPrefix) {
                        let bare = ConfigNode(.scalar(String(name.dropFirst(headerPrefix.count))), at: locator.location)
                        check(bare, in: layouts.header, what: "header layout", diagnostics: &diagnostics)
                    } else {
                        check(locator, in: layouts.detail, what: "layout", diagnostics: &diagnostics)
                    }
                }
            }
        }

        // A declared record length holds every field (a layout file is checked when it is read).
        if let recordLength, let node = source["record_length"] {
            var ends = (layouts?.detail ?? []).map { ("the layout field '\($0.name)'", $0.end) }
            if let types { ends.append(("the record type code", types.start - 1 + types.length)) }
            if let (what, end) = ends.max(by: { $0.1 < $1.1 }), end > recordLength {
                diagnostics.add(.error(.invalidValue, at: node.location, "\(what) ends at character \(end), past the record_length \(recordLength)",
                                       hint: "record_length counts characters from the first, without the line end"))
            }
        }

        guard diagnostics.errorCount == before else { return nil }
        return FixedWidthExtractor(fields: fields, layout: source_, encoding: encoding,
                                   recordTypes: types, reconciliation: reconciliation, shortLines: shortLines,
                                   recordLength: recordLength, longLines: longLines)
    }

    static func parseSlot(_ node: ConfigNode, diagnostics: inout DiagnosticBag) -> (start: Int, length: Int)? {
        let numbers = (node.sequence ?? []).compactMap { $0.scalar.flatMap { Int($0) } }
        guard numbers.count == 2, numbers.allSatisfy({ $0 >= 1 }) else {
            if node.sequence?.count != 2 {
                diagnostics.add(.error(.invalidValue, at: node.location, "a position is `[start, length]`, found \(node.sequence?.count ?? 0) numbers",
                                       hint: "e.g. `[1, 4]`: 4 characters from the first"))
            }
            return nil
        }
        return (numbers[0], numbers[1])
    }

    static func parseLayout(_ node: ConfigNode, diagnostics: inout DiagnosticBag) -> [LayoutField] {
        (node.entries ?? []).compactMap { entry in
            parseSlot(entry.value, diagnostics: &diagnostics).map { LayoutField(entry.key, start: $0.start, length: $0.length) }
        }
    }

    static func check(_ node: ConfigNode?, in layout: [LayoutField], what: String, diagnostics: inout DiagnosticBag) {
        guard let node, let name = node.scalar, !layout.contains(where: { $0.name == name }) else { return }
        let names = layout.map(\.name)
        let hint = Suggestions.didYouMean(name, in: names)
            ?? (names.isEmpty ? "the \(what) is empty" : "fields of the \(what): " + names.joined(separator: ", "))
        diagnostics.add(.error(.unknownField, at: node.location, "the \(what) has no field '\(name)'", hint: hint))
    }
}
