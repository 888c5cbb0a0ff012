/// Strict UTF-8 validation over bytes (no overlongs, no surrogates, nothing above U+10FFFF).
public enum UTF8Validation {
    /// The length of the valid multi-byte sequence starting at `i` (whose first byte is ≥ 0x80),
    /// or 0 when it is invalid or cut off by `end`.
    @inline(__always)
    public static func sequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let b0 = p[i]
        let need: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; upper = 0x9F
        case 0xF0: need = 3; lower = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; upper = 0x8F
        default: return 0
        }
        guard i + need < end else { return 0 }
        let b1 = p[i + 1]
        guard b1 >= lower, b1 <= upper else { return 0 }
        var k = 2
        while k <= need {
            guard p[i + k] & 0xC0 == 0x80 else { return 0 }
            k += 1
        }
        return need + 1
    }

    /// The offset of the first byte that is not part of valid UTF-8, or nil.
    public static func firstInvalid(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int? {
        var i = 0
        while i < count {
            if p[i] < 0x80 { i += 1; continue }
            let length = sequenceLength(p, i, count)
            if length == 0 { return i }
            i += length
        }
        return nil
    }

    public static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        return firstInvalid(base, bytes.count) == nil
    }

    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isValid($0) }
    }
}
