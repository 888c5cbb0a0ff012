import TributaryCore

/// `address`: normalizes street lines USPS-style (`1200 Market Street, Apt. #4B` →
/// `1200 MARKET ST, APT 4B`) and derives a comparison key (`1200 MARKET ST APT 4B`) in which
/// punctuation is gone and the unit (apartment, suite, ...) comes last, wherever it was written.
///
/// Works on the value's bytes: tokens are byte ranges, looked up folded in a scratch buffer.
/// Only tokens with non-ASCII letters become a `String`, for Unicode case mapping (`straße` →
/// `STRASSE`); they are rare in street lines.
struct Address: Transform, TransformComponent {
    static let spec = ComponentSpec(
        name: "address", kind: .transform,
        summary: """
            Normalizes street lines: USPS abbreviations (`Street` → `ST`, `Avenue` → `AVE`, `Suite` → `STE`, \
            `Apartment`/`#` → `APT`, `North` → `N` …), spaces and punctuation tidied, line breaks → `, `. \
            `key_into` receives a comparison key: upper case, no punctuation, the unit last \
            (`Apt 4B` + line break + `1200 Market Street` → `1200 MARKET ST APT 4B`).
            """,
        shape: .object([
            Property("field", .string, required: true, doc: "the field holding the street line(s)"),
            Property("into", .string, doc: "a new field for the normalized street; without it the field itself is replaced"),
            Property("key_into", .string, doc: "a new field for the comparison key"),
            Property("case", .choice(["upper", "title"]), default: "upper",
                     doc: "`upper`: `1200 MARKET ST`; `title`: `1200 Market St`"),
        ]),
        example: "address: { field: street, into: street_norm, key_into: street_key, case: upper }")

    var source: Int
    var target: Int
    var keyTarget: Int?
    var title: Bool

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        let before = diagnostics.errorCount
        let source = node["field"].flatMap { scope.resolve($0, diagnostics: &diagnostics) }
        let into = OutputField.check(node["into"], scope: scope, diagnostics: &diagnostics)
        var key: String??
        if let keyNode = node["key_into"] {
            key = OutputField.check(keyNode, scope: scope, diagnostics: &diagnostics)
            if case let (k??, i??) = (key, into), k == i {
                diagnostics.add(.error(.duplicateField, at: keyNode.location, "`key_into` and `into` name the same field",
                                       hint: "choose another name, e.g. street_key"))
            }
        }
        guard diagnostics.errorCount == before, let source, let into else { return nil }
        let target = into.map { scope.add($0) } ?? source
        let keyTarget = key.flatMap { $0 }.map { scope.add($0) }
        return Address(source: source, target: target, keyTarget: keyTarget, title: node["case"]?.scalar == "title")
    }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        let input = batch.columns[source]
        var output = TextColumn.output(rows: batch.count, bytesPerRow: 24)
        var keys = keyTarget.map { _ in TextColumn.output(rows: batch.count, bytesPerRow: 24) }
        var work = AddressWork()
        for row in 0..<batch.count {
            input.withValue(row) { value in
                guard let value, work.normalize(value, title: title) else {
                    output.appendNull(); keys?.appendNull()
                    return
                }
                work.norm.withUnsafeBufferPointer { output.append(bytes: $0) }
                if keys != nil { work.key.withUnsafeBufferPointer { keys!.append(bytes: $0) } }
            }
        }
        batch.store(output, at: target)
        if let keyTarget, let keys { batch.store(keys, at: keyTarget) }
        return 0
    }
}

/// What a word of a street line is, for abbreviation.
enum AddressWordKind: Sendable { case suffix, unit, directional, other }

/// Buffers reused from value to value of one batch.
struct AddressWork {
    struct Token { var start: Int; var end: Int; var part: Int }

    var tokens: [Token] = []
    var norm: [UInt8] = []
    var key: [UInt8] = []
    var units: [UInt8] = []
    var folded = [UInt8](repeating: 0, count: 256)

    init() {
        tokens.reserveCapacity(16)
        norm.reserveCapacity(64)
        key.reserveCapacity(64)
        units.reserveCapacity(16)
    }

    /// The abbreviation of a word, looked up by its folded form.
    static let words: ByteKeyTable<(abbreviation: [UInt8], title: [UInt8], kind: AddressWordKind)> = {
        var table = ByteKeyTable<(abbreviation: [UInt8], title: [UInt8], kind: AddressWordKind)>()
        let groups: [(AddressWordKind, [String])] = [
            (.suffix, ["ST street st str", "AVE avenue ave av aven avenu avn", "RD road rd", "BLVD boulevard blvd boul boulv",
                       "DR drive dr drv", "LN lane ln", "CT court ct crt", "PL place pl", "TER terrace ter terr",
                       "CIR circle cir circ", "HWY highway hwy hiway", "PKWY parkway pkwy pky", "SQ square sq sqr",
                       "TRL trail trl", "EXPY expressway expy", "FWY freeway fwy", "ALY alley aly", "CTR center centre ctr",
                       "PLZ plaza plz", "HTS heights hts", "XING crossing xing", "CV cove cv", "MNR manor mnr"]),
            (.unit, ["APT apartment apt", "STE suite ste", "UNIT unit", "RM room rm", "FL floor fl flr",
                     "BLDG building bldg", "DEPT department dept", "LOT lot"]),
            (.directional, ["N north n", "S south s", "E east e", "W west w", "NE northeast ne", "NW northwest nw",
                            "SE southeast se", "SW southwest sw"]),
            (.other, ["PO po"]),
        ]
        for (kind, lines) in groups {
            for line in lines {
                let words = line.split(separator: " ").map(String.init)
                let abbreviation = Array(words[0].utf8)
                let title = Array((words[0].prefix(1) + words[0].dropFirst().lowercased()).utf8)
                for word in words.dropFirst() { table.insert(Array(word.utf8), (abbreviation, title, kind)) }
            }
        }
        return table
    }()

    static let apartment = words[Array("apt".utf8)]!

    @inline(__always) static func isBreak(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    @inline(__always) static func isPartBreak(_ b: UInt8) -> Bool { b == 0x2C || b == 0x3B || b == 0x0A || b == 0x0D }

    /// Normalizes one value into `norm` and `key`; false when nothing is left (NULL).
    mutating func normalize(_ value: UnsafeBufferPointer<UInt8>, title: Bool) -> Bool {
        tokens.removeAll(keepingCapacity: true)
        norm.removeAll(keepingCapacity: true)
        key.removeAll(keepingCapacity: true)
        units.removeAll(keepingCapacity: true)
        // Tokens: runs between spaces; ',', ';' and line breaks end a part; '#' is a token of its own.
        var part = 0
        var start = -1
        for i in 0..<value.count {
            let b = value[i]
            if AddressWork.isBreak(b) || AddressWork.isPartBreak(b) || b == 0x23 {
                if start >= 0 { tokens.append(Token(start: start, end: i, part: part)); start = -1 }
                if AddressWork.isPartBreak(b) { part += 1 }
                if b == 0x23 { tokens.append(Token(start: i, end: i + 1, part: part)) }
            } else if b == 0xC2, i + 1 < value.count, value[i + 1] == 0xA0 {   // no-break space
                if start >= 0 { tokens.append(Token(start: start, end: i, part: part)); start = -1 }
            } else if b == 0xA0, i > 0, value[i - 1] == 0xC2 {
                continue
            } else if start < 0 {
                start = i
            }
        }
        if start >= 0 { tokens.append(Token(start: start, end: value.count, part: part)) }

        var lastPart = -1
        var previousWasUnit = false
        var pendingUnit = false   // a unit designator's number goes to `units` in the key
        for t in tokens.indices {
            let token = tokens[t]
            let text = UnsafeBufferPointer(rebasing: value[token.start..<token.end])
            var entry: (abbreviation: [UInt8], title: [UInt8], kind: AddressWordKind)?
            let foldedLength: Int
            if text.count == 1 && text[0] == 0x23 {   // '#': an apartment, unless after a unit word
                if previousWasUnit { continue }
                entry = AddressWork.apartment
                foldedLength = 0
            } else {
                foldedLength = folded.withUnsafeMutableBufferPointer { TextFold.compactKey(text, into: $0) } ?? 0
                if foldedLength == 0 && !text.contains(where: { $0 >= 0x80 }) { continue }   // punctuation only
                entry = folded.withUnsafeBufferPointer { AddressWork.words[UnsafeBufferPointer(rebasing: $0[0..<foldedLength])] }
                if let e = entry, e.kind == .suffix || e.kind == .directional,
                   t + 1 < tokens.count, tokens[t + 1].part == token.part {
                    // "North Ave", "Court St": the word is the street's name, not an abbreviation.
                    let next = tokens[t + 1]
                    let nextText = UnsafeBufferPointer(rebasing: value[next.start..<next.end])
                    if AddressWork.isSuffix(nextText) { entry = nil }
                }
            }
            if token.part != lastPart { pendingUnit = false }
            // The normalized line.
            if lastPart >= 0 {
                if token.part != lastPart { norm.append(0x2C) }
                norm.append(0x20)
            }
            lastPart = token.part
            if let entry {
                norm.append(contentsOf: title ? entry.title : entry.abbreviation)
            } else {
                AddressWork.appendWord(text, title: title, to: &norm)
            }
            // The key: unit designators and their numbers go last.
            let isUnit = entry?.kind == .unit
            if isUnit {
                if !units.isEmpty { units.append(0x20) }
                units.append(contentsOf: entry!.abbreviation)
                pendingUnit = true
            } else if pendingUnit {
                units.append(0x20)
                AddressWork.appendKey(entry?.abbreviation, folded, foldedLength, to: &units)
                pendingUnit = false
            } else {
                if !key.isEmpty { key.append(0x20) }
                AddressWork.appendKey(entry?.abbreviation, folded, foldedLength, to: &key)
            }
            previousWasUnit = isUnit
        }
        if !units.isEmpty {
            if !key.isEmpty { key.append(0x20) }
            key.append(contentsOf: units)
        }
        return !norm.isEmpty
    }

    static func isSuffix(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { out in
            guard let n = TextFold.compactKey(text, into: out), n > 0 else { return false }
            return words[UnsafeBufferPointer(rebasing: out[0..<n])]?.kind == .suffix
        }
    }

    /// A key word: the abbreviation, or the folded word upper-cased.
    static func appendKey(_ abbreviation: [UInt8]?, _ folded: [UInt8], _ length: Int, to key: inout [UInt8]) {
        if let abbreviation { key.append(contentsOf: abbreviation); return }
        for i in 0..<length {
            let b = folded[i]
            key.append(b >= 0x61 && b <= 0x7A ? b & ~0x20 : b)
        }
    }

    /// A word in upper or title case, without its periods (`St.` → `ST`, `O'Neil` stays).
    static func appendWord(_ text: UnsafeBufferPointer<UInt8>, title: Bool, to out: inout [UInt8]) {
        if text.contains(where: { $0 >= 0x80 }) {
            // Unicode case mapping needs a String; only for the rare non-ASCII word.
            let word = String(decoding: text.filter { $0 != 0x2E }, as: UTF8.self)
            let cased = title ? word.prefix(1).uppercased() + word.dropFirst().lowercased() : word.uppercased()
            out.append(contentsOf: cased.utf8)
            return
        }
        let startsWithDigit = text.first.map { $0 >= 0x30 && $0 <= 0x39 } ?? false
        // Title case: ordinals keep a lower-case suffix (`12th`), other words with digits are upper case (`4B`).
        let ordinal = title && startsWithDigit && isOrdinal(text)
        var first = true
        for b in text where b != 0x2E {
            let upper = (b >= 0x61 && b <= 0x7A) ? b & ~0x20 : b
            let lower = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
            if !title || (startsWithDigit && !ordinal) { out.append(upper) }
            else if ordinal { out.append(lower) }
            else { out.append(first ? upper : lower) }
            first = false
        }
    }

    static func isOrdinal(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < text.count, text[i] >= 0x30 && text[i] <= 0x39 { i += 1 }
        guard text.count - i == 2 else { return false }
        let suffix = (text[i] | 0x20, text[i + 1] | 0x20)
        return suffix == (0x73, 0x74) || suffix == (0x6E, 0x64) || suffix == (0x72, 0x64) || suffix == (0x74, 0x68)
    }
}
