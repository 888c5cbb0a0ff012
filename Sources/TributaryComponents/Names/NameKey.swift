import Foundation

/// Match keys for person names: what two spellings of the same name have in common.
///
/// A key is case-folded and diacritic-folded (`José` → `jose`, `Müller` → `muller`, `Ångström` →
/// `angstrom`), with the letters that do not decompose spelled out (`Łukasz` → `lukasz`,
/// `ß` → `ss`, `Ø` → `o`, `Æ` → `ae`, `Œ` → `oe`, `Þ` → `th`), and keeps only letters and digits:
/// apostrophes, hyphens, periods and spaces are dropped (`O'Brien` → `obrien`, `van der Berg` →
/// `vanderberg`). An empty key is no key (nil).
///
/// Plain ASCII names are folded byte by byte, without a `String` or Foundation; other names are
/// decomposed (NFD) with Foundation, which allocates per value (see `NameStandardizer`).
public enum NameKey {
    /// The match key of `name`, or nil when nothing of it remains.
    public static func key(_ name: String) -> String? {
        var out: [UInt8] = []
        append(name, to: &out)
        return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
    }

    /// Appends the key of `name` to `out`.
    public static func append(_ name: String, to out: inout [UInt8]) {
        var name = name
        let ascii: Bool = name.withUTF8 { bytes in
            for b in bytes where b >= 0x80 { return false }
            for b in bytes { appendASCII(b, to: &out) }
            return true
        }
        if ascii { return }
        for scalar in name.decomposedStringWithCanonicalMapping.unicodeScalars {
            if scalar.isASCII { appendASCII(UInt8(scalar.value), to: &out); continue }
            if let spelled = spelledOut[scalar.value] { out.append(contentsOf: spelled.utf8); continue }
            let properties = scalar.properties
            switch properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .otherLetter, .modifierLetter,
                 .decimalNumber:
                if properties.generalCategory == .modifierLetter && properties.isDiacritic { continue }
                out.append(contentsOf: properties.lowercaseMapping.utf8)
            default:
                continue  // combining marks, punctuation, spaces, symbols
            }
        }
    }

    @inline(__always)
    private static func appendASCII(_ b: UInt8, to out: inout [UInt8]) {
        switch b {
        case 0x41...0x5A: out.append(b | 0x20)
        case 0x61...0x7A, 0x30...0x39: out.append(b)
        default: break
        }
    }

    /// Letters without a canonical decomposition, folded by hand.
    private static let spelledOut: [UInt32: String] = [
        0x00DF: "ss", 0x1E9E: "ss",        // ß ẞ
        0x0141: "l", 0x0142: "l",          // Ł ł
        0x00D8: "o", 0x00F8: "o",          // Ø ø
        0x00C6: "ae", 0x00E6: "ae",        // Æ æ
        0x0152: "oe", 0x0153: "oe",        // Œ œ
        0x0110: "d", 0x0111: "d",          // Đ đ
        0x00D0: "d", 0x00F0: "d",          // Ð ð
        0x00DE: "th", 0x00FE: "th",        // Þ þ
        0x0131: "i",                       // ı (dotless i)
        0x0126: "h", 0x0127: "h",          // Ħ ħ
        0x0166: "t", 0x0167: "t",          // Ŧ ŧ
    ]
}
