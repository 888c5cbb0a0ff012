import TributaryCore

/// `phone`: standardizes telephone numbers to E.164 (`+14155550100`). An invalid number becomes
/// NULL and is counted as `phone.invalid.<reason>`; a valid one whose text changed is counted as
/// `phone.changed`.
///
/// Accepted: separators (space, `-`, `.`, `/`, parentheses, no-break space, Unicode dashes);
/// international numbers written `+CC…`, with the international (IDD) prefix of the record's
/// country (`00CC…`, `011CC…` in NANP, `810CC…` in RU …), or `00CC…` when the record has no
/// country or the number is not a valid national one; national numbers, with the record's country
/// (`country_field`, else `region`), lose their national prefix (`07400 123456` in GB →
/// `+447400123456`, `8 495 …` in RU); a national number typed with its country code but no `+`
/// (`447400123456` in GB) is recognized as libphonenumber does. Extensions (`x123`, `ext. 12`,
/// `ext 12`, `extension 12`, `#12`, `;ext=12`) are removed, and written to `extension_into` when
/// given.
///
/// Numbering plans: every region of libphonenumber's metadata (`PhoneMetadata.swift`, generated
/// by `Scripts/generate-phone-metadata` from PyPI `phonenumbers`, whose version it names): calling
/// code, IDD and national prefix rules, and the number ranges of each type (fixed line, mobile,
/// toll free, premium, VoIP …) with their possible lengths. A number is valid when libphonenumber's
/// `isValidNumber` would say so; `Tests/Fixtures/phonenumbers-differential.tsv` checks that on
/// 22,000 numbers. The one deliberate difference besides the `00` leniency above: digit runs
/// `1234567890` / `0123456789` (and one digit repeated) are placeholders. Reasons: `too_short`,
/// `too_long` (against the region's possible lengths), `bad_nanp` (a 10-digit +1 number outside
/// the plan), `bad_range` (another country's number of a possible length outside its plan),
/// `unknown_country` (no such calling code, or no country for a national number).
struct Phone: Transform, TransformComponent {
    static var plan: PhonePlan { PhonePlan.shared }

    static let spec = ComponentSpec(
        name: "phone", kind: .transform,
        summary: """
            Standardizes telephone numbers to E.164 (`+14155550100`): separators and extensions (`x123`, \
            `ext. 12`, `#12`) are removed; `+CC` numbers, and those with the international prefix of the \
            record's country (`00`, `011` …), keep their country; national numbers use the record's \
            `country_field` (an ISO code or a common name), else `region`, and lose their national prefix \
            (`07400 123456` in GB → `+447400123456`). Numbering plans of every country and territory come from \
            libphonenumber's metadata (phonenumbers \(PhoneMetadata.version)): a number is kept when \
            libphonenumber would call it valid (its range and length, for fixed lines, mobiles, toll-free and \
            other types). Invalid numbers become NULL, counted as `phone.invalid.<reason>` (`too_short`, \
            `too_long`, `bad_nanp`, `bad_range`, `unknown_country`, `letters`, `bad_character`, \
            `placeholder`); rewritten values are counted as `phone.changed`.
            """,
        shape: .object([
            Property("field", .string, required: true, doc: "the field holding the number"),
            Property("into", .string, doc: "a new field for the E.164 number; without it the field is rewritten in place"),
            Property("region", .custom(summary: "an ISO 3166 country code (any of the \(PhoneMetadata.regions.filter { $0.code != "001" }.count) regions with a numbering plan in libphonenumber)",
                                       check: { Phone.checkRegion($0) }),
                     doc: "the country of national numbers when the record's country is not known"),
            Property("country_field", .string,
                     doc: "a field holding each record's country (ISO code or common name, e.g. `DE`, `Deutschland`, `UK`)"),
            Property("extension_into", .string, doc: "a new field for the extension (`x123` → `123`)"),
        ]),
        example: "phone: { field: phone, into: phone_e164, region: US, country_field: country }")

    enum Reason: Int, CaseIterable {
        case tooShort, tooLong, badNANP, unknownCountry, letters, badCharacter, placeholder, badRange

        var counter: String {
            switch self {
            case .tooShort: "phone.invalid.too_short"
            case .tooLong: "phone.invalid.too_long"
            case .badNANP: "phone.invalid.bad_nanp"
            case .unknownCountry: "phone.invalid.unknown_country"
            case .letters: "phone.invalid.letters"
            case .badCharacter: "phone.invalid.bad_character"
            case .placeholder: "phone.invalid.placeholder"
            case .badRange: "phone.invalid.bad_range"
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
        plan.byISO[code.uppercased()]
    }

    static func checkRegion(_ node: ConfigNode) -> [Diagnostic] {
        guard let text = node.scalar, country(code: text) == nil else { return [] }
        let codes = plan.isoCodes
        let secret = !node.interpolatedFrom.isEmpty
        var hint: String?
        if !secret, let named = lookupName(Array(text.utf8)) { hint = "use the ISO code '\(plan.regions[named].code)'" }
        if hint == nil, !secret { hint = Suggestions.didYouMean(text.uppercased(), in: codes) }
        return [.error(.invalidEnumValue, at: node.location,
                       "region must be a supported ISO country code; found \(node.safeDescription)",
                       hint: hint ?? "use an ISO 3166 code such as US, GB or DE")]
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

    /// Looks up a country name or code (`DE`, `deu`, `Deutschland`, `U.S.A.`, `México`) with the
    /// country standardizer's table (`Countries`), folded into the reused `scratch`: the index of
    /// its region, if it has a numbering plan.
    static func lookupName(_ value: UnsafeBufferPointer<UInt8>, scratch: inout [UInt8]) -> Int? {
        if scratch.count < Countries.maxKeyLength { scratch = [UInt8](repeating: 0, count: Countries.maxKeyLength) }
        return scratch.withUnsafeMutableBufferPointer { buffer -> Int? in
            guard let length = TextFold.compactKey(value, into: buffer), length > 0 else { return nil }
            let key = UnsafeBufferPointer(rebasing: buffer[0..<length])
            guard !Countries.isPlaceholder(value, key: key), let code = Countries.table[key] else { return nil }
            return plan.region(iso: code)
        }
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
        var work: [UInt8] = [], spare: [UInt8] = []
        work.reserveCapacity(32)
        spare.reserveCapacity(32)
        var scratch: [UInt8] = []
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
                let parsed = Phone.parse(trimmed, digits: &digits, work: &work, spare: &spare) {
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
                    out.bytes.append(contentsOf: Phone.plan.callingCodeDigits[country])
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
    static func parse(_ t: UnsafeBufferPointer<UInt8>, digits: inout [UInt8], work: inout [UInt8], spare: inout [UInt8],
                      recordCountry: () -> Int?) -> Parsed {
        let parsed = scan(t, digits: &digits, work: &work, spare: &spare, recordCountry: recordCountry)
        if case .valid = parsed { swap(&digits, &work) }
        return parsed
    }

    /// `parse`, leaving the national significant number of a valid number in `work`.
    static func scan(_ t: UnsafeBufferPointer<UInt8>, digits: inout [UInt8], work: inout [UInt8], spare: inout [UInt8],
                     recordCountry: () -> Int?) -> Parsed {
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

        if plus { return resolve(digits, international: 0, record: nil, work: &work, stripped: &spare, ext: ext) }
        guard let record = recordCountry() else {
            // Without a country only `00` can say that the number is international.
            if n > 2, digits[0] == 0x30, digits[1] == 0x30 {
                return resolve(digits, international: 2, record: nil, work: &work, stripped: &spare, ext: ext)
            }
            return .invalid(.unknownCountry)
        }
        let parsed = resolve(digits, international: nil, record: record, work: &work, stripped: &spare, ext: ext)
        // `00` is read as international even where the region's own IDD is another one (`011` in
        // NANP), when the number is not a valid national one: a leniency libphonenumber lacks.
        if case .invalid = parsed, n > 2, digits[0] == 0x30, digits[1] == 0x30 {
            let retry = resolve(digits, international: 2, record: nil, work: &work, stripped: &spare, ext: ext)
            if case .valid = retry { return retry }
        }
        return parsed
    }

    /// libphonenumber's parse and isValidNumber on the digits of a number: `international` is where
    /// the calling code starts after `+` / `00`, else the number is read with the `record` region
    /// (its IDD, its calling code typed without `+`, else national). On success `digits` holds the
    /// national significant number and `.valid`'s country is the region that owns the calling code.
    static func resolve(_ digits: [UInt8], international: Int?, record: Int?, work: inout [UInt8],
                        stripped: inout [UInt8], ext: Range<Int>?) -> Parsed {
        let plan = Phone.plan
        let n = digits.count
        var callingCode: Int
        var metadata: Int
        work.removeAll(keepingCapacity: true)
        if let start = international ?? record.flatMap({ r in
            // The region's international prefix, unless a 0 follows it.
            plan.internationalPrefixEnd(r, digits[...]).flatMap { $0 < n && digits[$0] == 0x30 ? nil : $0 }
        }) {
            if n - start <= 2 { return .invalid(.tooShort) }
            guard let (code, next) = plan.extractCallingCode(digits[start...]) else {
                return .invalid(n - start < 4 ? .tooShort : .unknownCountry)
            }
            callingCode = code
            metadata = plan.ccRegions[plan.ccFirst[code]]
            work.append(contentsOf: digits[next...])
        } else if let record {
            callingCode = plan.regions[record].callingCode
            metadata = record
            var national = false
            let ccDigits = plan.callingCodeDigits[record]
            if digits.starts(with: ccDigits) {
                // The calling code typed without `+`: kept if the number fits the plan only without it.
                let rest = digits[ccDigits.count...]
                if !plan.stripNationalPrefix(record, rest, into: &work) { work.removeAll(keepingCapacity: true); work.append(contentsOf: rest) }
                if (!plan.matchesGeneral(record, digits[...]) && plan.matchesGeneral(record, work[...]))
                    || plan.testLength(record, n) == .tooLong {
                    metadata = plan.ccRegions[plan.ccFirst[callingCode]]
                    national = true
                }
            }
            if !national {
                work.removeAll(keepingCapacity: true)
                work.append(contentsOf: digits)
            }
        } else {
            return .invalid(.unknownCountry)
        }
        if work.count < 2 { return .invalid(.tooShort) }
        // The national (trunk) prefix, kept when the rest is too short for the plan.
        var trunkLeftTooShort = false  // `061234567` in FR: too short without its trunk 0
        if plan.stripNationalPrefix(metadata, work[...], into: &stripped) {
            switch plan.testLength(metadata, stripped.count) {
            case .tooShort, .localOnly: trunkLeftTooShort = true
            case .invalidLength: break
            case .possible, .tooLong: swap(&stripped, &work)
            }
        }
        let length = work.count
        if length < 2 { return .invalid(.tooShort) }
        if length > 17 { return .invalid(.tooLong) }
        let first = plan.ccFirst[callingCode], main = plan.ccRegions[first]
        for k in first..<(first + plan.ccCount[callingCode]) {
            let region = plan.ccRegions[k]
            let (flags, leading) = plan.walk(region, work[...])
            if plan.leadingDigits[region] {
                if leading {
                    if flags & PhonePlan.valid != 0 { return .valid(country: main, nationalStart: 0, ext: ext) }
                    break
                }
            } else if flags & PhonePlan.valid != 0 {
                return .valid(country: main, nationalStart: 0, ext: ext)
            }
        }
        if callingCode == 1 {
            return .invalid(length < 10 ? .tooShort : length > 10 ? .tooLong : .badNANP)
        }
        if trunkLeftTooShort { return .invalid(.tooShort) }
        switch plan.testLength(main, length) {
        case .tooShort, .localOnly: return .invalid(.tooShort)
        case .tooLong: return .invalid(.tooLong)
        case .possible, .invalidLength: return .invalid(.badRange)
        }
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
