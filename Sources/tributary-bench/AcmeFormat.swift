import Foundation

/// Text helpers for the Acme export: civil-date arithmetic on epoch seconds (no Foundation
/// formatters on the hot path), the timestamp styles of each source, RFC 4180 fields, JSON strings,
/// identifiers and the seeded helpers every Acme writer shares.
enum AcmeFormat {
    // MARK: Civil dates

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(_ y: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y - 1 : y
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day number since 1970-01-01.
    static func civil(_ days: Int) -> (y: Int, m: Int, d: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Broken-down wall clock of epoch seconds shifted by an offset.
    static func clock(_ epoch: Int64, offset: Int = 0) -> (y: Int, m: Int, d: Int, hh: Int, mm: Int, ss: Int) {
        let t = Int(epoch) + offset
        let day = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let sec = t - day * 86400
        let (y, m, d) = civil(day)
        return (y, m, d, sec / 3600, sec / 60 % 60, sec % 60)
    }

    /// A non-negative number zero padded to `width` digits.
    static func pad(_ v: Int, _ width: Int) -> String {
        var bytes: [UInt8] = []
        digits(v, width, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the zero-padded decimal digits of a non-negative number.
    @inline(__always)
    static func digits(_ v: Int, _ width: Int, into out: inout [UInt8]) {
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = v < 0 ? 0 : v
        var count = 0
        withUnsafeMutableBytes(of: &tmp) { buf in
            repeat {
                buf[count] = UInt8(48 + n % 10)
                n /= 10
                count += 1
            } while n > 0 && count < 20
            while count < width && count < 20 { buf[count] = 48; count += 1 }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buf[i]) }
        }
    }

    /// `2024-11-01T00:04:52.501Z`
    static func isoUTC(millis: Int64) -> String {
        let c = clock(millis / 1000)
        var b: [UInt8] = []
        b.reserveCapacity(24)
        digits(c.y, 4, into: &b); b.append(45); digits(c.m, 2, into: &b); b.append(45); digits(c.d, 2, into: &b); b.append(84)
        digits(c.hh, 2, into: &b); b.append(58); digits(c.mm, 2, into: &b); b.append(58); digits(c.ss, 2, into: &b)
        b.append(46); digits(Int(millis % 1000), 3, into: &b); b.append(90)
        return String(decoding: b, as: UTF8.self)
    }

    /// Local wall clock with its offset: `2024-10-31T19:05:05.197-05:00` (or without millis; `+00:00` style).
    static func isoLocal(millis: Int64, offset: Int, withMillis: Bool) -> String {
        let c = clock(millis / 1000, offset: offset)
        let o = abs(offset)
        var b: [UInt8] = []
        b.reserveCapacity(29)
        digits(c.y, 4, into: &b); b.append(45); digits(c.m, 2, into: &b); b.append(45); digits(c.d, 2, into: &b); b.append(84)
        digits(c.hh, 2, into: &b); b.append(58); digits(c.mm, 2, into: &b); b.append(58); digits(c.ss, 2, into: &b)
        if withMillis { b.append(46); digits(Int(millis % 1000), 3, into: &b) }
        b.append(offset < 0 ? 45 : 43)
        digits(o / 3600, 2, into: &b); b.append(58); digits(o / 60 % 60, 2, into: &b)
        return String(decoding: b, as: UTF8.self)
    }

    /// CRM Created / Last Modified Date in one of the four forms the README lists (UTC).
    static func crmTimestamp(_ epoch: Int64, style: Int) -> String {
        let c = clock(epoch)
        switch style {
        case 0: return "\(pad(c.y, 4))-\(pad(c.m, 2))-\(pad(c.d, 2))T\(pad(c.hh, 2)):\(pad(c.mm, 2)):\(pad(c.ss, 2)).000Z"
        case 1:
            let h12 = c.hh % 12 == 0 ? 12 : c.hh % 12
            return "\(pad(c.m, 2))/\(pad(c.d, 2))/\(pad(c.y, 4)) \(h12):\(pad(c.mm, 2)) \(c.hh < 12 ? "AM" : "PM")"
        case 2: return "\(pad(c.y, 4))-\(pad(c.m, 2))-\(pad(c.d, 2))"
        default: return "\(pad(c.y, 4))-\(pad(c.m, 2))-\(pad(c.d, 2)) \(pad(c.hh, 2)):\(pad(c.mm, 2)):\(pad(c.ss, 2))"
        }
    }

    // MARK: CSV and JSON

    /// One RFC 4180 field: quoted when it holds a comma, a quote, a line break or outer spaces.
    static func csvField(_ s: String) -> String {
        var needs = false
        for b in s.utf8 where b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D { needs = true; break }
        if !needs, let f = s.utf8.first, let l = s.utf8.last, f == 0x20 || l == 0x20 { needs = true }
        guard needs else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A JSON string literal; `asciiOnly` escapes everything outside ASCII as `\uXXXX` (the iOS library).
    static func json(_ s: String, asciiOnly: Bool = false) -> String {
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && (!asciiOnly || $0 < 0x7F) }) { return "\"" + s + "\"" }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || (asciiOnly && u.value > 0x7E) {
                    for unit in String(u).utf16 { out += "\\u" + hex4(Int(unit)) }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    static func hex4(_ v: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[(v >> 12) & 15], digits[(v >> 8) & 15], digits[(v >> 4) & 15], digits[v & 15]])
    }

    /// Dollars with two decimals as a JSON number (`50.95`, `14.5` the way JavaScript prints it).
    static func jsNumber(cents: Int) -> String {
        let sign = cents < 0 ? "-" : ""
        let c = abs(cents)
        if c % 100 == 0 { return "\(sign)\(c / 100).0" }
        if c % 10 == 0 { return "\(sign)\(c / 100).\(c % 100 / 10)" }
        return "\(sign)\(c / 100).\(pad(c % 100, 2))"
    }

    /// `d.dd`
    static func dollars(cents: Int) -> String {
        let sign = cents < 0 ? "-" : ""
        let c = abs(cents)
        return "\(sign)\(c / 100).\(pad(c % 100, 2))"
    }

    // MARK: Identifiers

    private static let lowerHex = Array("0123456789abcdef".utf8)
    private static let upperHex = Array("0123456789ABCDEF".utf8)

    static func hex(_ rng: inout SplitMix, _ count: Int, upper: Bool = false) -> String {
        let digits = upper ? upperHex : lowerHex
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var bits = rng.next(), left = 16
        for _ in 0..<count {
            if left == 0 { bits = rng.next(); left = 16 }
            out.append(digits[Int(bits & 15)])
            bits >>= 4
            left -= 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A version-4 UUID, lower case (web, Android) or upper case (iOS).
    static func uuid(_ rng: inout SplitMix, upper: Bool = false) -> String {
        let h = hex(rng: &rng, upper: upper)
        return h
    }

    private static func hex(rng: inout SplitMix, upper: Bool) -> String {
        let s = Array(hex(&rng, 32, upper: upper).utf8)
        let variant = (upper ? upperHex : lowerHex)[8 + Int(rng.next() & 3)]
        var b: [UInt8] = []
        b.reserveCapacity(36)
        b.append(contentsOf: s[0..<8]); b.append(45); b.append(contentsOf: s[8..<12]); b.append(45); b.append(52)
        b.append(contentsOf: s[13..<16]); b.append(45); b.append(variant); b.append(contentsOf: s[17..<20]); b.append(45)
        b.append(contentsOf: s[20..<32])
        return String(decoding: b, as: UTF8.self)
    }

    static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// The 18-character, case-sensitive CRM Contact ID of a contact number (a bijection, so unique).
    static func contactID(_ n: Int) -> String {
        let space = 916_132_832   // 62^5
        var v = (n &* 1_000_000_007 &+ 12_345_678) % space
        var five = [Character](repeating: "0", count: 5)
        for i in (0..<5).reversed() { five[i] = base62[v % 62]; v /= 62 }
        return "003Hs00000" + String(five) + "IA" + String(base62[10 + (n * 7) % 26])
    }

    /// A 12-digit POS transaction id (a bijection of a counter, so unique; may start with 0).
    static func txnID(_ n: Int) -> String {
        // A three-round Feistel permutation of [0, 10^12) on two halves of six digits.
        var l = n / 1_000_000 % 1_000_000, r = n % 1_000_000
        for round in 0..<3 {
            var z = UInt64(r) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(round) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 29)) &* 0x94D0_49BB_1331_11EB
            (l, r) = (r, (l + Int((z ^ (z >> 32)) % 1_000_000)) % 1_000_000)
        }
        return pad(l, 6) + pad(r, 6)
    }

    // MARK: Names

    /// Upper case, accents folded to ASCII (the legacy register).
    static func asciiFold(_ s: String) -> String {
        let special: [Character: String] = ["ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ı": "i", "ß": "SS", "’": "'", "đ": "d", "Đ": "D"]
        var out = ""
        for u in s.decomposedStringWithCanonicalMapping.unicodeScalars {
            if let r = special[Character(u)] { out += r } else if u.isASCII { out.unicodeScalars.append(u) }
        }
        return out
    }

    /// Upper case with letters outside ISO-8859-1 printed as `?` (the current tills).
    static func latin1Upper(_ s: String) -> String {
        var out = ""
        for u in s.precomposedStringWithCanonicalMapping.uppercased().unicodeScalars {
            out.unicodeScalars.append(u.value <= 0xFF ? u : "?")
        }
        return out
    }

    /// ISO-8859-1 bytes of text already limited to Latin-1 (anything else becomes `?`).
    static func latin1Bytes(_ s: String, into out: inout [UInt8]) {
        for u in s.unicodeScalars { out.append(u.value <= 0xFF ? UInt8(u.value) : 0x3F) }
    }

    /// Lower-cased and trimmed e-mail if it has the shape `local@domain.tld`, else nil.
    static func validEmail(_ raw: String) -> String? {
        let e = raw.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = e.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !e.contains(" ") else { return nil }
        return e
    }
}

/// Seeded helpers on the shared SplitMix generator.
extension SplitMix {
    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    /// A uniform Double in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// One element.
    mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
    /// A small count with the given mean (geometric).
    mutating func geometric(mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        let p = 1 / (1 + mean)
        var n = 0
        while !chance(p) && n < 60 { n += 1 }
        return n
    }
    /// A generator for one sub-stream, independent of how much the parent has drawn.
    static func stream(_ seed: UInt64, _ salt: UInt64, _ index: Int) -> SplitMix {
        var s = SplitMix(seed: seed ^ (salt &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
        _ = s.next()
        return s
    }
}
