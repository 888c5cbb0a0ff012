import Foundation

/// One region of libphonenumber's metadata, as generated into `PhoneMetadata.regions`.
struct PhoneRegion: Sendable {
    /// ISO 3166 code, or `001` for a non-geographic calling code (`+800`, `+882` …).
    var code: String
    var callingCode: Int
    /// International (IDD) prefixes, in the order libphonenumber's regular expression tries them;
    /// `iddRegex` instead when they are too many to list.
    var idd: [String]
    var iddRegex: String?
    /// National prefixes for parsing (`0`, `1`, `8` …) in match order; `nationalPrefixRegex`
    /// (with `transform`, `$1` for the first group) where the rule needs groups or `$`.
    var nationalPrefixes: [String]
    var nationalPrefixRegex: String?
    var transform: String?
    /// Possible lengths of national significant numbers, bit n for length n; local-only lengths.
    var lengths: UInt32
    var localOnlyLengths: UInt32
    var hasLeadingDigits: Bool
    /// The region's start state in the shared DFA.
    var start: Int
}

/// libphonenumber's numbering plans as tables, decoded once from `PhoneMetadata`.
///
/// Each region's patterns (general description, every number type with its possible lengths,
/// leading digits) are compiled by `Scripts/generate-phone-metadata` into one minimized DFA over
/// digits, shared by all regions: walking a national significant number costs one table load per
/// digit, with no regular expression at run time. Only the national-prefix rules that need
/// groups or `$` (about 35 regions, e.g. AR, BR, JP and the NANP islands' 7-digit local form) and
/// one long IDD rule (CN) use Swift's `Regex`, compiled once.
final class PhonePlan: @unchecked Sendable {
    static let shared = PhonePlan()

    static let general: UInt8 = 1, valid: UInt8 = 2, leading: UInt8 = 4

    let transitions: [UInt16]
    let flags: [UInt8]
    let regions: [PhoneRegion]
    /// The hot tables as raw memory (allocated once, never freed: `shared` lives as long as the
    /// process), so that a walk costs no bounds checks or reference counting.
    private let transitionTable: UnsafeMutablePointer<UInt16>
    private let flagTable: UnsafeMutablePointer<UInt8>
    private let startStates: UnsafeMutablePointer<Int>
    private let lengthMasks: UnsafeMutablePointer<UInt32>
    private let localOnlyMasks: UnsafeMutablePointer<UInt32>
    let leadingDigits: UnsafeMutablePointer<Bool>
    /// Calling code → `ccRegions[ccFirst[code] ..< ccFirst[code] + ccCount[code]]`.
    let ccFirst: UnsafeMutablePointer<Int>
    let ccCount: UnsafeMutablePointer<Int>
    let ccRegions: UnsafeMutablePointer<Int>
    /// Upper-case alpha-2 code as (letter - A) * 26 + (letter - A) → region index, or -1.
    private let isoTable: UnsafeMutablePointer<Int>
    /// Per region: calling code, IDD prefixes and national prefixes as ASCII digits.
    let callingCodeDigits: [[UInt8]]
    let iddDigits: [[[UInt8]]]
    let nationalPrefixDigits: [[[UInt8]]]
    let iddRegexes: [RegexBox?]
    let nationalPrefixRegexes: [RegexBox?]
    /// Calling code (0-999) → region indices, the main region first.
    let byCallingCode: [[Int]]
    /// Upper-case ISO code → region index (geographic regions only).
    let byISO: [String: Int]

    struct RegexBox: @unchecked Sendable {
        let regex: Regex<AnyRegexOutput>
    }

    private init() {
        let raw = Data(base64Encoded: PhoneMetadata.transitionsBase64, options: .ignoreUnknownCharacters)!
        precondition(!PhoneMetadata.transitionsWide && raw.count == PhoneMetadata.stateCount * 20)
        transitions = raw.withUnsafeBytes { bytes in
            (0..<PhoneMetadata.stateCount * 10).map { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
        }
        flags = [UInt8](Data(base64Encoded: PhoneMetadata.flagsBase64, options: .ignoreUnknownCharacters)!)
        precondition(flags.count == PhoneMetadata.stateCount)
        regions = PhoneMetadata.regions
        callingCodeDigits = regions.map { Array(String($0.callingCode).utf8) }
        iddDigits = regions.map { $0.idd.map { Array($0.utf8) } }
        nationalPrefixDigits = regions.map { $0.nationalPrefixes.map { Array($0.utf8) } }
        iddRegexes = regions.map { r in r.iddRegex.map { RegexBox(regex: try! Regex($0)) } }
        nationalPrefixRegexes = regions.map { r in r.nationalPrefixRegex.map { RegexBox(regex: try! Regex($0)) } }
        var byCallingCode = [[Int]](repeating: [], count: 1000)
        for (cc, list) in PhoneMetadata.callingCodes { byCallingCode[cc] = list }
        self.byCallingCode = byCallingCode
        func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(values.count, 1))
            p.initialize(from: values, count: values.count)
            return p
        }
        transitionTable = copy(transitions)
        flagTable = copy(flags)
        startStates = copy(regions.map(\.start))
        lengthMasks = copy(regions.map(\.lengths))
        localOnlyMasks = copy(regions.map(\.localOnlyLengths))
        leadingDigits = copy(regions.map(\.hasLeadingDigits))
        var first = [Int](repeating: 0, count: 1000), count = [Int](repeating: 0, count: 1000), flat: [Int] = []
        for cc in 0..<1000 {
            first[cc] = flat.count
            count[cc] = byCallingCode[cc].count
            flat += byCallingCode[cc]
        }
        ccFirst = copy(first)
        ccCount = copy(count)
        ccRegions = copy(flat)
        var byISO: [String: Int] = [:]
        for (i, r) in regions.enumerated() where r.code != "001" { byISO[r.code] = i }
        self.byISO = byISO
        var iso = [Int](repeating: -1, count: 26 * 26)
        for (code, region) in byISO {
            let u = Array(code.utf8)
            iso[Int(u[0] - 0x41) * 26 + Int(u[1] - 0x41)] = region
        }
        isoTable = copy(iso)
    }

    /// The region of an alpha-2 code as the country table stores it (two bytes).
    @inline(__always)
    func region(iso code: (UInt8, UInt8)) -> Int? {
        let a = Int(code.0) &- 0x41, b = Int(code.1) &- 0x41
        guard a >= 0, a < 26, b >= 0, b < 26 else { return nil }
        let region = isoTable[a * 26 + b]
        return region < 0 ? nil : region
    }

    /// Sorted ISO codes of every region with a numbering plan.
    var isoCodes: [String] { byISO.keys.sorted() }

    /// Walks `number` (ASCII digits) through a region's DFA: the flags where it ends, and whether
    /// a prefix matched the region's leading digits.
    @inline(__always)
    func walk(_ region: Int, _ number: ArraySlice<UInt8>) -> (flags: UInt8, leading: Bool) {
        var state = startStates[region]
        var leading = false
        for b in number {
            state = Int(transitionTable[state &* 10 &+ Int(b &- 0x30)])
            if state == 0 { return (0, leading) }
            if flagTable[state] & Self.leading != 0 { leading = true }
        }
        return (flagTable[state], leading)
    }

    @inline(__always)
    func matchesGeneral(_ region: Int, _ number: ArraySlice<UInt8>) -> Bool {
        walk(region, number).flags & Self.general != 0
    }

    enum LengthResult { case possible, tooShort, tooLong, localOnly, invalidLength }

    /// libphonenumber's `_test_number_length` against the region's general possible lengths.
    func testLength(_ region: Int, _ length: Int) -> LengthResult {
        let lengths = lengthMasks[region]
        guard length < 32 else { return .tooLong }
        if localOnlyMasks[region] & (1 << UInt32(length)) != 0 { return .localOnly }
        let minimum = lengths.trailingZeroBitCount
        let maximum = 31 - lengths.leadingZeroBitCount
        if length == minimum { return .possible }
        if length < minimum { return .tooShort }
        if length > maximum { return .tooLong }
        return lengths & (1 << UInt32(length)) != 0 ? .possible : .invalidLength
    }

    /// Where the international prefix of `region` ends at the start of `digits`, if it is there.
    func internationalPrefixEnd(_ region: Int, _ digits: ArraySlice<UInt8>) -> Int? {
        for p in iddDigits[region] where digits.starts(with: p) { return digits.startIndex + p.count }
        guard let box = iddRegexes[region] else { return nil }
        let text = String(decoding: digits, as: UTF8.self)
        guard let match = try? box.regex.prefixMatch(in: text) else { return nil }
        return digits.startIndex + text.utf8.distance(from: text.startIndex, to: match.range.upperBound)
    }

    /// libphonenumber's `_maybe_strip_national_prefix_carrier_code`: the number without its
    /// national prefix (or transformed), into `out`; false (and `out` untouched) when nothing is
    /// stripped.
    func stripNationalPrefix(_ region: Int, _ number: ArraySlice<UInt8>, into out: inout [UInt8]) -> Bool {
        guard !number.isEmpty else { return false }
        for p in nationalPrefixDigits[region] where number.starts(with: p) {
            let rest = number[(number.startIndex + p.count)...]
            if matchesGeneral(region, number), !matchesGeneral(region, rest) { return false }
            out.removeAll(keepingCapacity: true)
            out.append(contentsOf: rest)
            return true
        }
        guard let box = nationalPrefixRegexes[region] else { return false }
        let text = String(decoding: number, as: UTF8.self)
        guard let match = try? box.regex.prefixMatch(in: text) else { return false }
        let end = number.startIndex + text.utf8.distance(from: text.startIndex, to: match.range.upperBound)
        let groups = match.output.count - 1
        var result: [UInt8] = []
        if let transform = regions[region].transform, groups > 0, match.output[groups].substring != nil {
            var t = transform.utf8[...]
            while let b = t.first {
                t = t.dropFirst()
                if b == UInt8(ascii: "$"), let g = t.first, g >= 0x30, g <= 0x39 {
                    t = t.dropFirst()
                    let index = Int(g - 0x30)
                    if index <= groups, let s = match.output[index].substring { result.append(contentsOf: s.utf8) }
                } else {
                    result.append(b)
                }
            }
            result.append(contentsOf: number[end...])
        } else {
            result.append(contentsOf: number[end...])
        }
        if matchesGeneral(region, number), !matchesGeneral(region, result[...]) { return false }
        out = result
        return true
    }

    /// The calling code at `digits[start...]` (1 to 3 digits, not starting with 0) and where the
    /// rest begins.
    func extractCallingCode(_ digits: ArraySlice<UInt8>) -> (code: Int, next: Int)? {
        guard let first = digits.first, first != 0x30 else { return nil }
        var code = 0
        var i = digits.startIndex
        while i < digits.endIndex, i - digits.startIndex < 3 {
            code = code * 10 + Int(digits[i] - 0x30)
            i += 1
            if ccCount[code] != 0 { return (code, i) }
        }
        return nil
    }
}
