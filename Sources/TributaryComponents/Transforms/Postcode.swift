import TributaryCore

/// `postcode`: validates and formats postal codes by country: US ZIP codes (leading zeros lost by
/// spreadsheets restored, ZIP+4 split), Canada, United Kingdom, Ireland (Eircode), Germany, Mexico.
/// Works on the value's ASCII bytes in a small scratch buffer; no `String` per value.
struct Postcode: Transform, TransformComponent {
    static let spec = ComponentSpec(
        name: "postcode", kind: .transform,
        summary: """
            Validates and formats postal codes for the record's country (`country_field`, which may hold a code \
            or a name, or a fixed `country`): US ZIP codes with lost leading zeros restored (`2134` → `02134`) \
            and ZIP+4 split off (`021341234` → `02134`, `plus4_into`: `1234`); CA `K1A 0B1`; GB `SW1A 2AA`; \
            IE Eircode `D02 X285`; DE and MX five digits. A code invalid for its country becomes NULL (counted \
            `postcode.invalid.<country>`, e.g. `postcode.invalid.US`); for other or unknown countries the value \
            is kept trimmed and upper-cased (counted `postcode.unchecked`).
            """,
        shape: .object([
            Property("field", .string, required: true, doc: "the field holding the postal code"),
            Property("country_field", .string, doc: "the field holding each record's country (code or name)"),
            Property("country", .string, doc: "the country of every record, instead of `country_field`"),
            Property("into", .string, doc: "a new field for the formatted code; without it the field itself is replaced"),
            Property("plus4_into", .string, doc: "a new field for the four-digit ZIP+4 extension (US only)"),
        ]),
        example: "postcode: { field: postcode, country_field: country_code, into: postcode_norm, plus4_into: zip4 }")

    enum Rule: UInt8, Sendable { case us, ca, gb, ie, de, mx }

    enum CountrySource: Sendable {
        case fixed(Rule?)
        case column(Int)
    }

    var source: Int
    var target: Int
    var plus4Target: Int?
    var country: CountrySource

    static func rule(forCode code: [UInt8]) -> Rule? {
        switch String(decoding: code, as: UTF8.self) {
        case "US", "PR": .us
        case "CA": .ca
        case "GB": .gb
        case "IE": .ie
        case "DE": .de
        case "MX": .mx
        default: nil
        }
    }

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        let before = diagnostics.errorCount
        let source = node["field"].flatMap { scope.resolve($0, diagnostics: &diagnostics) }
        var country: CountrySource?
        switch (node["country_field"], node["country"]) {
        case (let field?, nil):
            country = scope.resolve(field, diagnostics: &diagnostics).map { .column($0) }
        case (nil, let fixed?):
            if let text = fixed.scalar, let code = Countries.code(of: text) {
                country = .fixed(rule(forCode: code))
            } else {
                diagnostics.add(.error(.invalidValue, at: fixed.location, "unknown country \(fixed.safeDescription)",
                                       hint: "use an ISO 3166 code such as US, GB or DE"))
            }
        case (.some, .some):
            diagnostics.add(.error(.invalidValue, at: node.location, "postcode takes `country_field` or `country`, not both",
                                   hint: "`country` fixes the country of every record"))
        case (nil, nil):
            diagnostics.add(.error(.missingKey, at: node.location, "postcode needs `country_field` or `country`",
                                   hint: "e.g. `country_field: country_code`, or `country: US`"))
        }
        let into = OutputField.check(node["into"], scope: scope, diagnostics: &diagnostics)
        var plus4: String??
        if let plus4Node = node["plus4_into"] {
            plus4 = OutputField.check(plus4Node, scope: scope, diagnostics: &diagnostics)
            if case let (name??, into??) = (plus4, into), name == into {
                diagnostics.add(.error(.duplicateField, at: plus4Node.location, "`plus4_into` and `into` name the same field",
                                       hint: "choose another name, e.g. zip4"))
            }
        }
        guard diagnostics.errorCount == before, let source, let country, let into else { return nil }
        let target = into.map { scope.add($0) } ?? source
        let plus4Target = plus4.flatMap { $0 }.map { scope.add($0) }
        return Postcode(source: source, target: target, plus4Target: plus4Target, country: country)
    }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        let input = batch.columns[source]
        var output = TextColumn.output(rows: batch.count, bytesPerRow: 8)
        var plus4 = plus4Target.map { _ in TextColumn.output(rows: batch.count, bytesPerRow: 4) }
        var invalid = [Int](repeating: 0, count: 6)
        var unchecked = 0
        let countries = Countries.table
        var rules: [Rule?] = []
        if case .column(let c) = country {
            // One lookup per row of the country column, with a cache of the last value's key.
            let column = batch.columns[c]
            rules.reserveCapacity(batch.count)
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Countries.maxKeyLength) { scratch in
                for row in 0..<batch.count {
                    rules.append(column.withValue(row) { value -> Rule? in
                        guard let value, let n = TextFold.compactKey(value, into: scratch),
                              let code = countries[UnsafeBufferPointer(rebasing: scratch[0..<n])] else { return nil }
                        return Postcode.rule(code)
                    })
                }
            }
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { formatted in
            for row in 0..<batch.count {
                let rule: Rule?
                switch country {
                case .fixed(let fixed): rule = fixed
                case .column: rule = rules[row]
                }
                input.withValue(row) { value in
                    guard let value, let (start, end) = Postcode.trimmed(value) else {
                        output.appendNull(); plus4?.appendNull()
                        return
                    }
                    let trimmed = UnsafeBufferPointer(rebasing: value[start..<end])
                    guard let rule else {
                        unchecked += 1
                        Postcode.appendUpper(trimmed, to: &output)
                        plus4?.appendNull()
                        return
                    }
                    switch Postcode.format(trimmed, rule: rule, into: formatted) {
                    case .some(let (length, extensionStart)):
                        if let extensionStart {
                            output.append(bytes: UnsafeBufferPointer(rebasing: formatted[0..<extensionStart]))
                            plus4?.append(bytes: UnsafeBufferPointer(rebasing: formatted[extensionStart..<length]))
                        } else {
                            output.append(bytes: UnsafeBufferPointer(rebasing: formatted[0..<length]))
                            plus4?.appendNull()
                        }
                    case .none:
                        invalid[Int(rule.rawValue)] += 1
                        output.appendNull(); plus4?.appendNull()
                    }
                }
            }
        }
        batch.store(output, at: target)
        if let plus4Target, let plus4 { batch.store(plus4, at: plus4Target) }
        for (i, count) in invalid.enumerated() where count > 0 {
            counters.add("postcode.invalid." + ["US", "CA", "GB", "IE", "DE", "MX"][i], count)
        }
        counters.add("postcode.unchecked", unchecked)
        return 0
    }

    @inline(__always)
    static func rule(_ code: (UInt8, UInt8)) -> Rule? {
        switch code {
        case (0x55, 0x53), (0x50, 0x52): .us    // US, PR
        case (0x43, 0x41): .ca
        case (0x47, 0x42): .gb
        case (0x49, 0x45): .ie
        case (0x44, 0x45): .de
        case (0x4D, 0x58): .mx
        default: nil
        }
    }

    /// The value without surrounding white space; nil when blank.
    static func trimmed(_ v: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
        var start = 0, end = v.count
        while start < end, let w = Trim.spaceWidth(v, at: start, end: end) { start += w }
        while start < end, let w = Trim.spaceWidthBefore(v, end: end, start: start) { end -= w }
        return start < end ? (start, end) : nil
    }

    static func appendUpper(_ v: UnsafeBufferPointer<UInt8>, to column: inout TextColumn) {
        let offset = column.bytes.count
        column.append(bytes: v)
        column.bytes.withUnsafeMutableBufferPointer { b in
            for i in offset..<b.count where b[i] >= 0x61 && b[i] <= 0x7A { b[i] &= ~0x20 }
        }
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }

    /// Formats a trimmed code into `out`: returns the length and, for a US ZIP+4, where the
    /// four-digit extension starts (the ZIP is `out[0..<start]`); nil when the code is invalid.
    static func format(_ v: UnsafeBufferPointer<UInt8>, rule: Rule, into out: UnsafeMutableBufferPointer<UInt8>) -> (Int, Int?)? {
        // Letters and digits, upper-cased; `groups` counts runs separated by a space, '-' or '.'.
        var chars: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &chars) { raw -> (Int, Int?)? in
            let c = raw.bindMemory(to: UInt8.self)
            var n = 0
            var firstGroupLength = -1
            var separators = 0
            var previousSeparator = false
            for b in v {
                switch b {
                case 0x30...0x39, 0x41...0x5A, 0x61...0x7A:
                    guard n < c.count else { return nil }
                    c[n] = b >= 0x61 ? b & ~0x20 : b
                    n += 1
                    previousSeparator = false
                case 0x20, 0x2D, 0x09:
                    if previousSeparator { continue }
                    previousSeparator = true
                    separators += 1
                    if firstGroupLength < 0 { firstGroupLength = n }
                default:
                    return nil
                }
            }
            let code = UnsafeBufferPointer(rebasing: c[0..<n])
            switch rule {
            case .us: return formatUS(code, firstGroupLength: firstGroupLength, separators: separators, into: out)
            case .de, .mx:
                guard separators == 0, n == 5 || n == 4, code.allSatisfy(isDigit) else { return nil }
                let pad = 5 - n
                for i in 0..<pad { out[i] = 0x30 }
                for i in 0..<n { out[pad + i] = code[i] }
                if rule == .de && out[0] == 0x30 && out[1] == 0x30 { return nil }   // no German code starts with 00
                return (5, nil)
            case .ca: return formatCA(code, into: out)
            case .gb: return formatGB(code, into: out)
            case .ie: return formatIE(code, into: out)
            }
        }
    }

    /// `02134`, `2134` (zero lost), `501`, `02134-1234`, `021341234`, `21341234` (ZIP+4, zero lost).
    static func formatUS(_ code: UnsafeBufferPointer<UInt8>, firstGroupLength: Int, separators: Int,
                         into out: UnsafeMutableBufferPointer<UInt8>) -> (Int, Int?)? {
        guard code.allSatisfy(isDigit), separators <= 1 else { return nil }
        let zipLength: Int
        var extensionLength = 0
        if separators == 1 && firstGroupLength < code.count {
            zipLength = firstGroupLength
            extensionLength = code.count - firstGroupLength
            guard extensionLength == 4 else { return nil }
        } else {
            switch code.count {
            case 3...5: zipLength = code.count
            case 8, 9: zipLength = code.count - 4; extensionLength = 4
            default: return nil
            }
        }
        guard (3...5).contains(zipLength) else { return nil }
        let pad = 5 - zipLength
        for i in 0..<pad { out[i] = 0x30 }
        for i in 0..<code.count { out[pad + i] = code[i] }
        if out[0..<5].allSatisfy({ $0 == 0x30 }) { return nil }
        return extensionLength == 0 ? (5, nil) : (9, 5)
    }

    /// `A9A 9A9`; never D, F, I, O, Q or U; the first letter never W or Z.
    static func formatCA(_ code: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> (Int, Int?)? {
        guard code.count == 6 else { return nil }
        for i in 0..<6 {
            let b = code[i]
            if i % 2 == 0 {
                guard isLetter(b), !"DFIOQU".utf8.contains(b) else { return nil }
                if i == 0 && (b == 0x57 || b == 0x5A) { return nil }
            } else {
                guard isDigit(b) else { return nil }
            }
        }
        for i in 0..<3 { out[i] = code[i]; out[i + 4] = code[i + 3] }
        out[3] = 0x20
        return (7, nil)
    }

    /// Outward code `A9`, `A99`, `AA9`, `AA99`, `A9A` or `AA9A`, then inward code `9AA`
    /// (`GIR 0AA` too).
    static func formatGB(_ code: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> (Int, Int?)? {
        guard (5...7).contains(code.count) else { return nil }
        let outward = code.count - 3
        let o = code, l = isLetter, d = isDigit
        let inwardOK = d(o[outward]) && l(o[outward + 1]) && l(o[outward + 2])
            && !"CIKMOV".utf8.contains(o[outward + 1]) && !"CIKMOV".utf8.contains(o[outward + 2])
        let girobank = outward == 3 && o[0] == 0x47 && o[1] == 0x49 && o[2] == 0x52   // GIR 0AA
        var outwardOK: Bool
        switch outward {
        case 2: outwardOK = l(o[0]) && d(o[1])
        case 3: outwardOK = l(o[0]) && ((d(o[1]) && d(o[2])) || (l(o[1]) && d(o[2])) || (d(o[1]) && l(o[2])))
        default: outwardOK = l(o[0]) && l(o[1]) && d(o[2]) && (d(o[3]) || l(o[3]))
        }
        if outwardOK && !girobank {
            if "QVX".utf8.contains(o[0]) { outwardOK = false }
            if outward >= 3 && l(o[1]) && "IJZ".utf8.contains(o[1]) { outwardOK = false }
        }
        guard inwardOK, outwardOK || girobank else { return nil }
        for i in 0..<outward { out[i] = o[i] }
        out[outward] = 0x20
        for i in 0..<3 { out[outward + 1 + i] = o[outward + i] }
        return (code.count + 1, nil)
    }

    /// Routing key (a letter and two digits, or `D6W`) and a four-character identifier, from
    /// `0-9 A C D E F H K N P R T V W X Y`.
    static func formatIE(_ code: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> (Int, Int?)? {
        guard code.count == 7 else { return nil }
        let letters = "ACDEFHKNPRTVWXY".utf8
        let routingOK = (letters.contains(code[0]) && isDigit(code[1]) && isDigit(code[2]))
            || (code[0] == 0x44 && code[1] == 0x36 && code[2] == 0x57)
        guard routingOK else { return nil }
        for i in 3..<7 { guard isDigit(code[i]) || letters.contains(code[i]) else { return nil } }
        for i in 0..<3 { out[i] = code[i] }
        out[3] = 0x20
        for i in 3..<7 { out[i + 1] = code[i] }
        return (8, nil)
    }
}
