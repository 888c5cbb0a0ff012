import Crypto
import Foundation

/// How ad and e-mail platforms (Google Customer Match, Meta custom audiences, ...) want
/// identifiers before SHA-256: e-mail trimmed and lower-cased, phone in E.164 (`+` and digits).
public enum ActivationHash {
    /// The normalized e-mail, or nil when the value is not an address.
    public static func normalizedEmail(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard let at = trimmed.firstIndex(of: "@"), at != trimmed.startIndex, trimmed.index(after: at) != trimmed.endIndex,
              !trimmed.contains(where: \.isWhitespace) else { return nil }
        return trimmed
    }

    /// The E.164 form (`+14155550100`), or nil when the value is not a full international number.
    /// Spaces, dashes, dots and parentheses are dropped; a number without `+` is refused, since
    /// its country cannot be known here (the `phone` transform produces E.164 upstream).
    public static func normalizedPhone(_ value: String) -> String? {
        var out: [UInt8] = []
        for (i, byte) in value.trimmingCharacters(in: .whitespacesAndNewlines).utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "+") where i == 0: out.append(byte)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): out.append(byte)
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"): continue
            default: return nil
            }
        }
        guard out.first == UInt8(ascii: "+"), out.count >= 8, out.count <= 16, out[1] != UInt8(ascii: "0") else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    public static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }
}
