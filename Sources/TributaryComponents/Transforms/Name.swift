import TributaryCore

/// `name`: standardizes person names and builds match keys.
///
/// Two forms. With `field`, a full name is split (`LAST, FIRST`, `FIRST LAST`, or `auto`: a comma
/// means `LAST, FIRST`) into the new fields named under `into`. With `first` / `last`, names
/// already in separate fields are standardized in place. Either form can add `match_keys`.
///
/// Standardizing: NFC, typographic apostrophes → `'`, white space collapsed and trimmed; names
/// written all upper- or all lower-case get display case (`MÜLLER` → `Müller`, `o'brien` →
/// `O'Brien`, `mcdonald` → `McDonald`, `van der berg` → `van der Berg`), mixed case is kept as
/// written; honorifics and suffixes get their own fields, middle names and initials go to `middle`.
/// Match keys (`NameKey`) are folded (`Müller` → `muller`, `O'Brien` → `obrien`); a key is NULL when
/// its part contains `?` or U+FFFD (a character lost to an encoding), so that lossy names never
/// compare equal by accident. `first_canonical` is the key of the canonical name of a known
/// nickname (`Bob` → `robert`; the most common one when there are several), else the plain key.
///
/// Counters: `name.changed` (records whose spelling was standardized), `name.split.last_first` /
/// `name.split.first_last` (full names split, by the pattern used), `name.lossy` (records with a
/// lost character), `name.empty` (NULL or blank names).
///
/// Allocation: names need Unicode processing, so this transform creates Swift `String`s per value
/// (see `NameStandardizer`); plain ASCII values skip Foundation, and keys are built on bytes.
struct Name: Transform, TransformComponent {
    static let patterns = ["LAST, FIRST", "FIRST LAST", "auto"]

    static let spec = ComponentSpec(
        name: "name", kind: .transform,
        summary: """
            Standardizes person names (NFC, apostrophes, spaces; display case for all-upper or all-lower \
            names; honorifics, suffixes and middle initials split off) and adds match keys folded for \
            comparison. Either splits a full name (`field` + `into`) or standardizes `first` / `last` \
            fields in place. A key is NULL when its name part contains `?` or U+FFFD (`name.lossy`); \
            `first_canonical` maps known nicknames to their canonical name (`Bob` → `robert`); \
            a suffix written in a surname (`Johnson Jr`) is left out of its key, and `match_keys.suffix` \
            takes it (`jr`: a Jr and a Sr of one name are two people).
            """,
        shape: .object([
            Property("field", .string, doc: "a full name to split into the fields named under `into`"),
            Property("pattern", .choice(patterns), default: "auto",
                     doc: "how `field` is written; `auto`: a comma means `LAST, FIRST`"),
            Property("into", .object([
                Property("first", .string, doc: "new field for the given name"),
                Property("middle", .string, doc: "new field for middle names and initials"),
                Property("last", .string, doc: "new field for the surname (with particles: `van der Berg`)"),
                Property("prefix", .string, doc: "new field for the honorific (`Mr`, `Mrs`, `Ms`, `Dr`, `Prof`, ...)"),
                Property("suffix", .string, doc: "new field for suffixes (`Jr`, `Sr`, `II`, `III`, `IV`, `PhD`, `MD`)"),
            ]), doc: "with `field`: the new fields to split into"),
            Property("first", .string, doc: "instead of `field`: a given-name field, standardized in place"),
            Property("last", .string, doc: "instead of `field`: a surname field, standardized in place"),
            Property("match_keys", .object([
                Property("first", .string, doc: "new field for the given name's key"),
                Property("last", .string, doc: "new field for the surname's key"),
                Property("first_canonical", .string,
                         doc: "new field for the canonical given name's key (nicknames resolved)"),
                Property("suffix", .string,
                         doc: "new field for the suffix found at the end of the surname, lower case (`jr`, `sr`, `ii`): with `first` / `last` in place (`Johnson Jr`), where the surname's key leaves it out; with `field`, the split's suffix. A Jr and a Sr of one name and address are two people"),
            ]), doc: "new fields for match keys"),
        ]),
        example: """
            name: { field: full_name, pattern: auto, into: { first: first_name, middle: middle_name, \
            last: last_name, prefix: honorific, suffix: name_suffix }, match_keys: { first: first_key, \
            last: last_key, first_canonical: first_canon_key } }
            """)

    enum Mode: Sendable {
        /// Split `source` into the `into` columns.
        case split(source: Int, pattern: NamePattern?, first: Int?, middle: Int?, last: Int?, prefix: Int?, suffix: Int?)
        /// Standardize these columns in place.
        case inPlace(first: Int?, last: Int?)
    }

    var mode: Mode
    var firstKey: Int?
    var lastKey: Int?
    var firstCanonical: Int?
    var suffixKey: Int?
    var nicknames: Nicknames?

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        guard node.entries != nil else {
            diagnostics.add(.error(.wrongType, at: node.location, "name expects a mapping",
                                   hint: "e.g. name: { field: full_name, into: { first: first_name, last: last_name } }"))
            return nil
        }
        let before = diagnostics.errorCount
        let fieldNode = node["field"], firstNode = node["first"], lastNode = node["last"]
        if fieldNode != nil, firstNode != nil || lastNode != nil {
            diagnostics.add(.error(.invalidValue, at: (firstNode ?? lastNode ?? node).location,
                                   "name takes either `field` (a full name) or `first` / `last` (separate fields)",
                                   hint: "use two name steps for two kinds of source fields"))
            return nil
        }
        if fieldNode == nil, firstNode == nil, lastNode == nil {
            diagnostics.add(.error(.missingKey, at: node.location, "name needs `field` or `first` / `last`",
                                   hint: "field: the full name to split; first / last: names to standardize in place"))
            return nil
        }
        for key in ["into", "pattern"] where fieldNode == nil {
            if let entry = node.entry(key) {
                diagnostics.add(.error(.invalidValue, at: entry.keyLocation, "`\(key)` goes with `field`",
                                       hint: "first / last are standardized in place"))
            }
        }
        if let fieldNode, node["into"] == nil, node["match_keys"] == nil {
            diagnostics.add(.error(.missingKey, at: fieldNode.location, "name with `field` needs `into` or `match_keys`",
                                   hint: "into: { first: first_name, last: last_name }"))
        }
        guard diagnostics.errorCount == before else { return nil }

        // Sources first, so a typo is reported before anything is added to the scope.
        let mode: Mode
        if let fieldNode {
            guard let source = scope.resolve(fieldNode, diagnostics: &diagnostics) else { return nil }
            let pattern = node["pattern"]?.scalar.flatMap { NamePattern(rawValue: $0) }
            let into = node["into"]
            mode = .split(source: source, pattern: pattern,
                          first: add(into?["first"], to: &scope, &diagnostics),
                          middle: add(into?["middle"], to: &scope, &diagnostics),
                          last: add(into?["last"], to: &scope, &diagnostics),
                          prefix: add(into?["prefix"], to: &scope, &diagnostics),
                          suffix: add(into?["suffix"], to: &scope, &diagnostics))
        } else {
            let first = firstNode.flatMap { scope.resolve($0, diagnostics: &diagnostics) }
            let last = lastNode.flatMap { scope.resolve($0, diagnostics: &diagnostics) }
            guard diagnostics.errorCount == before else { return nil }
            mode = .inPlace(first: first, last: last)
        }
        let keys = node["match_keys"]
        var transform = Name(mode: mode,
                             firstKey: add(keys?["first"], to: &scope, &diagnostics),
                             lastKey: add(keys?["last"], to: &scope, &diagnostics),
                             firstCanonical: add(keys?["first_canonical"], to: &scope, &diagnostics),
                             suffixKey: add(keys?["suffix"], to: &scope, &diagnostics))
        if let canonicalNode = keys?["first_canonical"] {
            let table = Nicknames.shared
            if let problem = table.loadError {
                diagnostics.add(.error(.invalidValue, at: canonicalNode.location, "the nickname table is not available",
                                       hint: problem))
            }
            transform.nicknames = table
        }
        return diagnostics.errorCount == before ? transform : nil
    }

    /// Adds the new field named by `node`, if any; a name already in use is an error.
    private static func add(_ node: ConfigNode?, to scope: inout FieldScope, _ diagnostics: inout DiagnosticBag) -> Int? {
        guard let node else { return nil }
        return NewField.add(node, scope: &scope, hint: "name's new fields need names of their own", diagnostics: &diagnostics)
    }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        var local = Counts()
        switch mode {
        case let .split(source, pattern, first, middle, last, prefix, suffix):
            for c in [first, middle, last, prefix, suffix, firstKey, lastKey, firstCanonical, suffixKey] {
                if let c { batch.ensureColumn(c) }
            }
            let column = batch.columns[source]
            for row in 0..<batch.count {
                let (parts, lossy): (NameParts?, Bool) = column.withValue(row) { value in
                    guard let value else { return (nil, false) }
                    return (NameStandardizer.split(bytes: value, pattern: pattern), NameStandardizer.isLossy(value))
                }
                guard let parts else {
                    local.empty += 1
                    for c in [first, middle, last, prefix, suffix, firstKey, lastKey, firstCanonical, suffixKey] {
                        if let c { batch.columns[c].put(row, nil) }
                    }
                    continue
                }
                if parts.changed { local.changed += 1 }
                if lossy { local.lossy += 1 }
                if parts.pattern == .lastFirst { local.lastFirst += 1 } else { local.firstLast += 1 }
                if let first { batch.columns[first].put(row, parts.first) }
                if let middle { batch.columns[middle].put(row, parts.middle) }
                if let last { batch.columns[last].put(row, parts.last) }
                if let prefix { batch.columns[prefix].put(row, parts.prefix) }
                if let suffix { batch.columns[suffix].put(row, parts.suffix) }
                writeKeys(&batch, row: row, first: parts.first, last: parts.last)
                if let suffixKey { batch.columns[suffixKey].put(row, parts.suffix?.lowercased()) }
            }
        case let .inPlace(first, last):
            for c in [firstKey, lastKey, firstCanonical, suffixKey] {
                if let c { batch.ensureColumn(c) }
            }
            for row in 0..<batch.count {
                var recordChanged = false, recordLossy = false
                var standardized: [String?] = [nil, nil]
                for (slot, column) in [first, last].enumerated() {
                    guard let column else { continue }
                    let (result, present, lossy): ((value: String, changed: Bool)?, Bool, Bool) =
                        batch.columns[column].withValue(row) { value in
                            guard let value else { return (nil, false, false) }
                            return (NameStandardizer.single(value, surname: slot == 1), true, NameStandardizer.isLossy(value))
                        }
                    if lossy { recordLossy = true }
                    if let result {
                        if result.changed { recordChanged = true; batch.columns[column].put(row, result.value) }
                        standardized[slot] = result.value
                    } else if present {
                        batch.columns[column].put(row, nil)  // blank → NULL
                    }
                }
                if standardized[0] == nil, standardized[1] == nil { local.empty += 1 }
                if recordChanged { local.changed += 1 }
                if recordLossy { local.lossy += 1 }
                // A suffix written into the surname (`Johnson Jr`) is no part of its key.
                var surname = standardized[1]
                var suffixes: [String] = []
                if let value = surname, lastKey != nil || suffixKey != nil, value.contains(" ") {
                    var words = value.split(separator: " ").map(String.init)
                    var casing = NameStandardizer.Casing(recase: false)
                    suffixes = NameStandardizer.takeSuffixes(&words, keepOne: true, casing: &casing)
                    if !suffixes.isEmpty { surname = words.joined(separator: " ") }
                }
                writeKeys(&batch, row: row, first: standardized[0], last: surname)
                if let suffixKey { batch.columns[suffixKey].put(row, suffixes.isEmpty ? nil : suffixes.joined(separator: " ").lowercased()) }
            }
        }
        counters.add("name.changed", local.changed)
        counters.add("name.split.last_first", local.lastFirst)
        counters.add("name.split.first_last", local.firstLast)
        counters.add("name.lossy", local.lossy)
        counters.add("name.empty", local.empty)
        return 0
    }

    private struct Counts {
        var changed = 0, lastFirst = 0, firstLast = 0, lossy = 0, empty = 0
    }

    /// Writes the match keys of one record; a part with a lost character has no key. Keys are
    /// appended to the column arenas directly; a `String` is made only for the nickname lookup.
    private func writeKeys(_ batch: inout RecordBatch, row: Int, first: String?, last: String?) {
        func usable(_ part: String?) -> String? {
            guard let part, !NameStandardizer.isLossy(part) else { return nil }
            return part
        }
        let first = usable(first), last = usable(last)
        if let firstKey { batch.columns[firstKey].putKey(row, of: first) }
        if let lastKey { batch.columns[lastKey].putKey(row, of: last) }
        if let firstCanonical {
            let key = first.flatMap { NameKey.key($0) }
            batch.columns[firstCanonical].put(row, key.map { nicknames?.primaryKey(forKey: $0) ?? $0 })
        }
    }
}

extension TextColumn {
    /// Sets row `row` to `value` (nil: NULL), appending its bytes to the arena.
    fileprivate mutating func put(_ row: Int, _ value: String?) {
        guard var value else { spans[row] = .null; return }
        let offset = UInt32(truncatingIfNeeded: bytes.count)
        value.withUTF8 { bytes.append(contentsOf: $0) }
        spans[row] = Span(offset: offset, length: UInt32(truncatingIfNeeded: value.utf8.count))
    }

    /// Sets row `row` to the match key of `name` (NULL when there is none).
    fileprivate mutating func putKey(_ row: Int, of name: String?) {
        guard let name else { spans[row] = .null; return }
        let start = bytes.count
        NameKey.append(name, to: &bytes)
        spans[row] = bytes.count == start ? .null
            : Span(offset: UInt32(truncatingIfNeeded: start), length: UInt32(truncatingIfNeeded: bytes.count - start))
    }
}
