import TributaryCore

/// `phone`: standardizes telephone numbers to E.164 (`+14155550100`). An invalid number becomes
/// NULL and is counted as `phone.invalid.<reason>`; a valid one whose text changed is counted as
/// `phone.changed`.
///
/// Accepted: separators (space, `-`, `.`, `/`, parentheses, no-break space, Unicode dashes);
/// international numbers written `+CC…`, `00CC…` (and `011CC…` when the record's country is
/// NANP); `+44 (0)20 …` (the trunk `0` after the country code is dropped, except for Italy);
/// national numbers, with the record's country (`country_field`, else `region`): the national
/// trunk prefix is removed (`07700 900123` in GB → `+447700900123`), and a national number typed
/// with its country code but no `+` (`447700900123` in GB) is recognized when too long otherwise.
/// Extensions (`x123`, `ext. 12`, `ext 12`, `extension 12`, `#12`, `;ext=12`) are removed, and
/// written to `extension_into` when given.
///
/// Countries (calling code, trunk prefix, national number length): US and CA (NANP: `1`, 10
/// digits, area code and exchange starting with 2-9, area codes `N11` rejected), GB 44 `0` 9-10,
/// IE 353 `0` 7-9, DE 49 `0` 6-13, FR 33 `0` 9, ES 34 9, IT 39 6-11 (the leading `0` of landlines
/// is kept), NL 31 `0` 9, MX 52 10 (the old `1` mobile prefix after +52 and the national `01`,
/// `044`, `045` prefixes are dropped), SE 46 `0` 7-9, CZ 420 9, CN 86 `0` 9-11, JP 81 `0` 9-10,
/// AU 61 `0` 9, IN 91 `0` 10, BR 55 `0` 10-11, CH 41 `0` 9, AT 43 `0` 5-13. Any other calling code
/// or country is `unknown_country`; E.164 numbers never exceed 15 digits.
struct Phone: Transform, TransformComponent {
    struct Country: Sendable {
        var code: String
        var callingCode: [UInt8]
        var trunk: UInt8?
        var lengths: ClosedRange<Int>
        var nanp = false
    }

    static let countries: [Country] = [
        Country(code: "US", callingCode: d("1"), trunk: nil, lengths: 10...10, nanp: true),
        Country(code: "CA", callingCode: d("1"), trunk: nil, lengths: 10...10, nanp: true),
        Country(code: "GB", callingCode: d("44"), trunk: 0x30, lengths: 9...10),
        Country(code: "IE", callingCode: d("353"), trunk: 0x30, lengths: 7...9),
        Country(code: "DE", callingCode: d("49"), trunk: 0x30, lengths: 6...13),
        Country(code: "FR", callingCode: d("33"), trunk: 0x30, lengths: 9...9),
        Country(code: "ES", callingCode: d("34"), trunk: nil, lengths: 9...9),
        Country(code: "IT", callingCode: d("39"), trunk: nil, lengths: 6...11),
        Country(code: "NL", callingCode: d("31"), trunk: 0x30, lengths: 9...9),
        Country(code: "MX", callingCode: d("52"), trunk: nil, lengths: 10...10),
        Country(code: "SE", callingCode: d("46"), trunk: 0x30, lengths: 7...9),
        Country(code: "CZ", callingCode: d("420"), trunk: nil, lengths: 9...9),
        Country(code: "CN", callingCode: d("86"), trunk: 0x30, lengths: 9...11),
        Country(code: "JP", callingCode: d("81"), trunk: 0x30, lengths: 9...10),
        Country(code: "AU", callingCode: d("61"), trunk: 0x30, lengths: 9...9),
        Country(code: "IN", callingCode: d("91"), trunk: 0x30, lengths: 10...10),
        Country(code: "BR", callingCode: d("55"), trunk: 0x30, lengths: 10...11),
        Country(code: "CH", callingCode: d("41"), trunk: 0x30, lengths: 9...9),
        Country(code: "AT", callingCode: d("43"), trunk: 0x30, lengths: 5...13),
    ]

    private static func d(_ s: String) -> [UInt8] { Array(s.utf8) }

    static let mexico = countries.firstIndex { $0.code == "MX" }!

    /// Country names and codes accepted in `country_field`, lower-cased, without dots. Private to
    /// this transform: the country standardizer owns the full list.
    private static let countryNames: [[UInt8]: Int] = {
        let names: [String: [String]] = [
            "US": ["usa", "united states", "united states of america", "america"],
            "CA": ["can", "canada"],
            "GB": ["gbr", "uk", "united kingdom", "great britain", "britain", "england", "scotland", "wales",
                   "northern ireland"],
            "IE": ["irl", "ireland", "eire", "éire", "republic of ireland"],
            "DE": ["deu", "germany", "deutschland"],
            "FR": ["fra", "france"],
            "ES": ["esp", "spain", "españa", "espana"],
            "IT": ["ita", "italy", "italia"],
            "NL": ["nld", "netherlands", "the netherlands", "holland", "nederland"],
            "MX": ["mex", "mexico", "méxico"],
            "SE": ["swe", "sweden", "sverige"],
            "CZ": ["cze", "czech republic", "czechia", "česko", "česká republika"],
            "CN": ["chn", "china", "prc"],
            "JP": ["jpn", "japan"],
            "AU": ["aus", "australia"],
            "IN": ["ind", "india"],
            "BR": ["bra", "brazil", "brasil"],
            "CH": ["che", "switzerland", "schweiz", "suisse", "svizzera"],
            "AT": ["aut", "austria", "österreich", "oesterreich"],
        ]
        var table: [[UInt8]: Int] = [:]
        for (i, country) in countries.enumerated() {
            table[Array(country.code.lowercased().utf8)] = i
            for name in names[country.code] ?? [] { table[Array(name.utf8)] = i }
        }
        return table
    }()

    static let spec = ComponentSpec(
        name: "phone", kind: .transform,
        summary: """
            Standardizes telephone numbers to E.164 (`+14155550100`): separators and extensions (`x123`, \
            `ext. 12`, `#12`) are removed; `+CC` / `00CC` numbers keep their country; national numbers use \
            the record's `country_field` (an ISO code or a common name), else `region`, and lose their trunk \
            prefix (`07700 900123` in GB → `+447700900123`). NANP numbers need 10 digits with area code and \
            exchange starting with 2-9. Countries: US, CA, GB, IE, DE, FR, ES, IT, NL, MX, SE, CZ, CN, JP, AU, \
            IN, BR, CH, AT. Invalid numbers become NULL, counted as `phone.invalid.<reason>` (`too_short`, \
            `too_long`, `bad_nanp`, `unknown_country`, `letters`, `bad_character`, `placeholder`); rewritten \
            values are counted as `phone.changed`.
            """,
        shape: .object([
            Property("field", .string, required: true, doc: "the field holding the number"),
            Property("into", .string, doc: "a new field for the E.164 number; without it the field is rewritten in place"),
            Property("region", .custom(summary: "an ISO country code: " + countries.map(\.code).joined(separator: ", "),
                                       check: { Phone.checkRegion($0) }),
                     doc: "the country of national numbers when the record's country is not known"),
            Property("country_field", .string,
                     doc: "a field holding each record's country (ISO code or common name, e.g. `DE`, `Deutschland`, `UK`)"),
            Property("extension_into", .string, doc: "a new field for the extension (`x123` → `123`)"),
        ]),
        example: "phone: { field: phone, into: phone_e164, region: US, country_field: country }")

    enum Reason: Int, CaseIterable {
        case tooShort, tooLong, badNANP, unknownCountry, letters, badCharacter, placeholder

        var counter: String {
            switch self {
            case .tooShort: "phone.invalid.too_short"
            case .tooLong: "phone.invalid.too_long"
            case .badNANP: "phone.invalid.bad_nanp"
            case .unknownCountry: "phone.invalid.unknown_country"
            case .letters: "phone.invalid.letters"
            case .badCharacter: "phone.invalid.bad_character"
            case .placeholder: "phone.invalid.placeholder"
            }
        }
    }

    static let placeholders: [[UInt8]] = ["n/a", "na", "n.a.", "none", "null", "nil", "-", "--", "---", "?",
                                          "unknown", "no phone", "nophone", "tbd"].map { Array($0.utf8) }

    var column: Int
    var into: Int?
    var region: Int?
    var countryColumn: Int?
    var extensionColumn: Int?

    /// The table index of an ISO code (any case), if supported.
    static func country(code: String) -> Int? {
        countries.firstIndex { $0.code == code.uppercased() }
    }

    static func checkRegion(_ node: ConfigNode) -> [Diagnostic] {
        guard let text = node.scalar, country(code: text) == nil else { return [] }
        let codes = countries.map(\.code)
        let secret = !node.interpolatedFrom.isEmpty
        var hint: String?
        if !secret, let named = lookupName(Array(text.utf8)) { hint = "use the ISO code '\(countries[named].code)'" }
        if hint == nil, !secret { hint = Suggestions.didYouMean(text.uppercased(), in: codes) }
        return [.error(.invalidEnumValue, at: node.location,
                       "region must be a supported ISO country code; found \(node.safeDescription)",
                       hint: hint ?? "supported: " + codes.joined(separator: ", "))]
    }

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        let before = diagnostics.errorCount
        guard let fieldNode = node["field"], let column = scope.resolve(fieldNode, diagnostics: &diagnostics) else { return nil }
        let countryColumn = node["country_field"].flatMap { scope.resolve($0, diagnostics: &diagnostics) }
        var region: Int?
        if let regionNode = node["region"] {
            let problems = checkRegion(regionNode)
            diagnostics.add(contentsOf: problems)
            region = regionNode.scalar.flatMap(country(code:))
        }
        var into: Int?
        if let intoNode = node["into"], intoNode.scalar != fieldNode.scalar {
            into = NewField.add(intoNode, scope: &scope, diagnostics: &diagnostics)
        }
        let extensionColumn = node["extension_into"].flatMap { NewField.add($0, scope: &scope, diagnostics: &diagnostics) }
        guard diagnostics.errorCount == before else { return nil }
        return Phone(column: column, into: into, region: region, countryColumn: countryColumn, extensionColumn: extensionColumn)
    }

    /// Looks up a country name or code (`DE`, `deu`, `Deutschland`, `U.S.A.`, `México`):
    /// lower-cased, dots removed, white space collapsed. Allocation-free for ASCII and Latin-1
    /// letters through the reused `scratch`; other non-ASCII names take a String (cold path).
    static func lookupName(_ value: UnsafeBufferPointer<UInt8>, scratch: inout [UInt8]) -> Int? {
        let (s, e) = Standardizer.trimmed(value)
        guard e - s <= 64 else { return nil }
        scratch.removeAll(keepingCapacity: true)
        var otherUnicode = false
        var i = s
        while i < e {
            let b = value[i]
            if b == UInt8(ascii: ".") {
            } else if b == 0x20 || b == 0x09 {
                if scratch.last != 0x20 { scratch.append(0x20) }
            } else if b >= 0x41 && b <= 0x5A {
                scratch.append(b | 0x20)
            } else if b == 0xC3, i + 1 < e, value[i + 1] >= 0x80, value[i + 1] <= 0x9E, value[i + 1] != 0x97 {
                scratch.append(b); scratch.append(value[i + 1] + 0x20)  // À-Þ → à-þ
                i += 1
            } else {
                if b >= 0x80 && b != 0xC3 { otherUnicode = true }
                scratch.append(b)
            }
            i += 1
        }
        if let found = countryNames[scratch] { return found }
        guard otherUnicode else { return nil }
        return countryNames[Array(String(decoding: scratch, as: UTF8.self).lowercased().utf8)]
    }

    static func lookupName(_ bytes: [UInt8]) -> Int? {
        var scratch: [UInt8] = []
        return bytes.withUnsafeBufferPointer { lookupName($0, scratch: &scratch) }
    }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        let rows = batch.count
        var tallies = [Int](repeating: 0, count: Reason.allCases.count)
        var changed = 0
        var out = into == nil ? ColumnOutput(rewriting: batch.columns[column])
            : ColumnOutput(newColumnRows: rows, reservingBytes: rows * 13)
        var extensions = ColumnOutput(newColumnRows: extensionColumn == nil ? 0 : rows, reservingBytes: 0)
        var digits: [UInt8] = []
        digits.reserveCapacity(32)
        var scratch: [UInt8] = []
        scratch.reserveCapacity(64)
        let countryValues = countryColumn.map { batch.columns[$0] }
        batch.columns[column].withArena { arena, spans in
            for row in 0..<rows {
                let span = spans[row]
                if span.isNull { continue }
                let offset = Int(span.offset)
                let value = UnsafeBufferPointer(rebasing: arena[offset..<offset + Int(span.length)])
                let (s, e) = Standardizer.trimmed(value)
                if s == e {
                    out.setNull(row)
                    continue
                }
                let trimmed = UnsafeBufferPointer(rebasing: value[s..<e])
                let parsed = Phone.parse(trimmed, digits: &digits) {
                    guard let countryValues, !countryValues.isNull(row) else { return region }
                    return countryValues.withValue(row) { Phone.lookupName($0!, scratch: &scratch) }
                }
                switch parsed {
                case .invalid(let reason):
                    tallies[reason.rawValue] += 1
                    out.setNull(row)
                case .valid(let country, let nationalStart, let ext):
                    let mark = out.mark
                    out.bytes.append(UInt8(ascii: "+"))
                    out.bytes.append(contentsOf: Phone.countries[country].callingCode)
                    out.bytes.append(contentsOf: digits[nationalStart...])
                    out.finish(row, from: mark)
                    if !out.bytes[mark...].elementsEqual(value) { changed += 1 }
                    if extensionColumn != nil, let ext {
                        let m = extensions.mark
                        for b in trimmed[ext] where b >= 0x30 && b <= 0x39 { extensions.bytes.append(b) }
                        extensions.finish(row, from: m)
                    }
                }
            }
        }
        if let into { out.store(into: &batch, column: into) } else { out.store(into: &batch, column: column) }
        if let extensionColumn { extensions.store(into: &batch, column: extensionColumn) }
        for reason in Reason.allCases { counters.add(reason.counter, tallies[reason.rawValue]) }
        counters.add("phone.changed", changed)
        return 0
    }

    enum Parsed {
        /// `digits[nationalStart...]` is the national significant number; `ext` the extension's
        /// range in the value.
        case valid(country: Int, nationalStart: Int, ext: Range<Int>?)
        case invalid(Reason)
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

    /// Parses a trimmed value. `digits` receives its digits; `recordCountry` is asked for the
    /// record's country only when the number is national.
    static func parse(_ t: UnsafeBufferPointer<UInt8>, digits: inout [UInt8], recordCountry: () -> Int?) -> Parsed {
        if t.count <= 14, isPlaceholderText(t) { return .invalid(.placeholder) }
        digits.removeAll(keepingCapacity: true)
        var i = 0
        let plus = t[0] == UInt8(ascii: "+")
        if plus { i = 1 }
        var ext: Range<Int>?
        while i < t.count {
            let b = t[i]
            if isDigit(b) {
                if digits.count < 24 { digits.append(b) }
                i += 1
                continue
            }
            switch b {
            case 0x20, 0x09, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "/"):
                i += 1
                continue
            case 0xC2 where i + 1 < t.count && t[i + 1] == 0xA0:  // no-break space
                i += 2
                continue
            case 0xE2 where i + 2 < t.count && t[i + 1] == 0x80 && t[i + 2] >= 0x90 && t[i + 2] <= 0x95:  // ‐ ‑ ‒ – — ―
                i += 3
                continue
            default:
                break
            }
            if !digits.isEmpty, let marker = extensionMarker(t, at: i) {
                var j = marker
                while j < t.count, t[j] == 0x20 || t[j] == UInt8(ascii: ".") || t[j] == UInt8(ascii: ":") { j += 1 }
                let start = j
                while j < t.count, isDigit(t[j]) { j += 1 }
                if j == start || j - start > 10 { return .invalid(j < t.count && isLetter(t[j]) ? .letters : .badCharacter) }
                if j < t.count { return .invalid(isLetter(t[j]) ? .letters : .badCharacter) }
                ext = start..<j
                break
            }
            return .invalid(isLetter(b) ? .letters : .badCharacter)
        }
        let n = digits.count
        if n == 0 { return .invalid(.tooShort) }
        if n >= 3, digits.allSatisfy({ $0 == digits[0] }) { return .invalid(.placeholder) }
        if digits.elementsEqual("1234567890".utf8) || digits.elementsEqual("0123456789".utf8) { return .invalid(.placeholder) }
        if n > 20 { return .invalid(.tooLong) }

        // International: +CC, 00CC, or 011CC from a NANP country.
        var start = -1
        if plus {
            start = 0
        } else if n > 2, digits[0] == 0x30, digits[1] == 0x30 {
            start = 2
        }
        var national = 0
        var countryIndex: Int
        if start < 0, let record = recordCountry() {
            countryIndex = record
            let country = countries[record]
            if country.nanp, n > 3, digits[0] == 0x30, digits[1] == 0x31, digits[2] == 0x31 { start = 3 }
        } else if start < 0 {
            return .invalid(.unknownCountry)
        } else {
            countryIndex = 0
        }
        if start >= 0 {
            guard let found = countries.firstIndex(where: { n - start > $0.callingCode.count
                && digits[start..<(start + $0.callingCode.count)].elementsEqual($0.callingCode) }) else {
                return .invalid(n - start < 4 ? .tooShort : .unknownCountry)
            }
            countryIndex = found
            national = start + countries[found].callingCode.count
            if let trunk = countries[found].trunk, digits[national] == trunk { national += 1 }  // +44 (0)20 …
            if found == mexico, n - national == 11, digits[national] == 0x31 { national += 1 }  // +52 1 …: old mobile prefix
        } else {
            let country = countries[countryIndex]
            if country.nanp {
                if n == 11, digits[0] == 0x31 { national = 1 }
            } else if let trunk = country.trunk, digits[0] == trunk {
                national = 1
            } else if countryIndex == mexico, n == 12 || n == 13, digits[0] == 0x30 {
                national = n - 10  // 01 / 044 / 045 + 10 digits
            } else if n > country.lengths.upperBound, n - country.callingCode.count >= country.lengths.lowerBound,
                      digits.starts(with: country.callingCode) {
                national = country.callingCode.count  // the country code typed without `+`
                if let trunk = country.trunk, national < n, digits[national] == trunk { national += 1 }
            }
        }
        let country = countries[countryIndex]
        let length = n - national
        if country.nanp {
            if length < 10 { return .invalid(.tooShort) }
            if length > 10 { return .invalid(.tooLong) }
            let area = national
            if digits[area] < 0x32 || digits[area + 3] < 0x32 { return .invalid(.badNANP) }
            if digits[area + 1] == 0x31, digits[area + 2] == 0x31 { return .invalid(.badNANP) }  // N11 service codes
        } else {
            if length < country.lengths.lowerBound { return .invalid(.tooShort) }
            if length > country.lengths.upperBound || length + country.callingCode.count > 15 { return .invalid(.tooLong) }
        }
        return .valid(country: countryIndex, nationalStart: national, ext: ext)
    }

    /// Where the extension's digits may start if an extension marker (`x`, `ext`, `extension`,
    /// `#`, `;ext=`) is at `i`.
    static func extensionMarker(_ t: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        func word(_ w: String, at k: Int) -> Bool {
            var k = k
            for c in w.utf8 {
                guard k < t.count, t[k] | 0x20 == c else { return false }
                k += 1
            }
            return true
        }
        switch t[i] {
        case UInt8(ascii: "#"), UInt8(ascii: "x"), UInt8(ascii: "X"): return i + 1
        case UInt8(ascii: "e"), UInt8(ascii: "E"):
            if word("extension", at: i) { return i + 9 }
            if word("ext", at: i) { return i + 3 }
            return nil
        case UInt8(ascii: ";"):
            return word(";ext=", at: i) ? i + 5 : nil
        default:
            return nil
        }
    }

    static func isPlaceholderText(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        for p in placeholders where p.count == t.count {
            var same = true
            for k in 0..<p.count where (isLetter(t[k]) ? t[k] | 0x20 : t[k]) != p[k] { same = false; break }
            if same { return true }
        }
        return false
    }
}
