import TributaryCore
#if canImport(Glibc)
import Glibc
#endif

/// The character encoding of an input file. Everything after extraction is UTF-8: an extractor
/// decodes each piece with a `Transcoder` before cutting it into fields, so batches, raw ranges and
/// quarantined raw text are all UTF-8.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    /// ISO-8859-1 (Latin-1): every byte is the Unicode code point of the same value.
    case latin1 = "iso-8859-1"
    /// Windows-1252: Latin-1, except 0x80-0x9F, which hold € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – —
    /// ˜ ™ š › œ ž Ÿ. Five bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) are not defined.
    case windows1252 = "windows-1252"

    /// The key's documentation, shared by the extractors that accept `encoding:`.
    public static let doc = """
        the file's character encoding; text is converted to UTF-8. In `windows-1252` the five undefined bytes \
        (0x81, 0x8D, 0x8F, 0x90, 0x9D) make their record quarantined as `invalid_utf8` (its raw text shows U+FFFD \
        in their place); in `utf-8` an invalid byte sequence does the same
        """
}

/// One piece's text as UTF-8, addressed like the input: `base[start..<end]`.
///
/// When the piece needs no conversion (UTF-8 input, or a single-byte encoding whose piece is pure
/// ASCII) `base` is the input itself and no byte is copied; otherwise `base` is the start of an
/// owned buffer (`owner`, to hand out as `ExtractionOutput.rawOwner`), `start` is 0, and the lines
/// are the same as the input's, since every ASCII byte (line feeds, delimiters) is kept as is.
public struct DecodedText: @unchecked Sendable {
    public var base: UnsafePointer<UInt8>?
    public var start: Int
    public var end: Int
    public var owner: TranscodedText?
    /// Offsets (in `base` coordinates, ascending) of bytes that are not text: the first byte of each
    /// invalid UTF-8 sequence, or the U+FFFD written in place of an undefined single byte.
    public var invalid: [Int]
    /// For each `invalid` offset: the offending input byte.
    public var invalidBytes: [UInt8]
    public var encoding: TextEncoding

    /// The bytes to return as `ExtractionOutput.raw`.
    public var raw: FileBytes { FileBytes(UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : end)) }

    /// The first invalid offset in `range`, searching from `cursor` (which is advanced past the
    /// offsets before `range`); records are visited in order, so the whole piece costs one pass.
    @inline(__always)
    public func firstInvalid(in range: Range<Int>, cursor: inout Int) -> Int? {
        while cursor < invalid.count, invalid[cursor] < range.lowerBound { cursor += 1 }
        return cursor < invalid.count && invalid[cursor] < range.upperBound ? cursor : nil
    }

    /// A quarantine detail for the invalid byte at `index` of `invalid` (no customer data: the byte
    /// value and its position in the record only). `recordStart` is the record's first byte.
    public func invalidDetail(_ index: Int, recordStart: Int) -> String {
        let byte = invalidBytes[index]
        let hex = "0x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        switch encoding {
        case .utf8:
            return "invalid UTF-8 sequence starting with byte \(hex) at byte \(invalid[index] - recordStart + 1) of the record"
        case .latin1, .windows1252:
            return "byte \(hex) is not a character in \(encoding.rawValue) (shown as U+FFFD at byte \(invalid[index] - recordStart + 1) of the record)"
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// An owned, immutable buffer of transcoded text (the `rawOwner` of an extraction output).
public final class TranscodedText: @unchecked Sendable {  // immutable after init
    public let base: UnsafeMutablePointer<UInt8>
    public let count: Int

    init(base: UnsafeMutablePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    deinit { free(base) }
}

/// Converts text to UTF-8, table-driven: one 32-bit entry per input byte holds its UTF-8 bytes and
/// their count. Runs of ASCII are copied eight bytes at a time, and a piece that is entirely ASCII
/// is not copied at all.
public struct Transcoder: Sendable {
    public let encoding: TextEncoding
    /// For single-byte encodings: `utf8 bytes (little-endian, up to 3) | count << 24`; 0 = undefined.
    let table: [UInt32]

    public init(_ encoding: TextEncoding) {
        self.encoding = encoding
        switch encoding {
        case .utf8: table = []
        case .latin1: table = Transcoder.latin1
        case .windows1252: table = Transcoder.windows1252
        }
    }

    static let latin1 = makeTable((0..<256).map { UInt32($0) })

    static let windows1252: [UInt32] = {
        var points = (0..<256).map { UInt32($0) }
        for (i, point) in windows1252High.enumerated() { points[0x80 + i] = point }
        return makeTable(points)
    }()

    /// Windows-1252 0x80...0x9F as Unicode code points; 0 where the byte is undefined.
    static let windows1252High: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80-87
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,       // 88-8F
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90-97
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,  // 98-9F
    ]

    /// U+FFFD REPLACEMENT CHARACTER, written for undefined bytes.
    static let replacement: UInt32 = 0xEF | 0xBF << 8 | 0xBD << 16 | 3 << 24

    static func makeTable(_ points: [UInt32]) -> [UInt32] {
        points.enumerated().map { byte, point in
            if point == 0, byte != 0 { return 0 }
            switch point {
            case ..<0x80: return point | 1 << 24
            case ..<0x800: return (0xC0 | point >> 6) | (0x80 | point & 0x3F) << 8 | 2 << 24
            default: return (0xE0 | point >> 12) | (0x80 | point >> 6 & 0x3F) << 8 | (0x80 | point & 0x3F) << 16 | 3 << 24
            }
        }
    }

    /// The most UTF-8 bytes one input byte becomes.
    var maxExpansion: Int { encoding == .latin1 ? 2 : 3 }

    /// Decodes `bytes[range]` of a file. For UTF-8, nothing is copied and invalid sequences are
    /// listed; for single-byte encodings, the range is transcoded unless it is all ASCII.
    public func decode(_ bytes: FileBytes, _ range: Range<Int>) -> DecodedText {
        let file = bytes.base.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var text = DecodedText(base: UnsafePointer(file), start: range.lowerBound, end: range.upperBound,
                               owner: nil, invalid: [], invalidBytes: [], encoding: encoding)
        guard let file, !range.isEmpty else { return text }
        if encoding == .utf8 {
            UTF8Scan.invalidOffsets(file, range.lowerBound, range.upperBound, into: &text.invalid, bytes: &text.invalidBytes)
            return text
        }
        guard let owned = transcode(file + range.lowerBound, range.count, invalid: &text.invalid,
                                    invalidBytes: &text.invalidBytes) else { return text }
        text.base = UnsafePointer(owned.base)
        text.start = 0
        text.end = owned.count
        text.owner = owned
        return text
    }

    /// Transcodes `count` bytes; nil when they are all ASCII (nothing to do). Undefined bytes become
    /// U+FFFD and their output offsets are appended to `invalid`.
    func transcode(_ src: UnsafePointer<UInt8>, _ count: Int, invalid: inout [Int],
                   invalidBytes: inout [UInt8]) -> TranscodedText? {
        let raw = UnsafeRawPointer(src)
        let high: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        while i + 8 <= count, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & high == 0 { i += 8 }
        while i < count, src[i] < 0x80 { i += 1 }
        if i == count { return nil }

        // +4: an entry is stored as 4 bytes and the cursor advances by its length.
        let capacity = count * maxExpansion + 4
        let out = malloc(capacity)!.assumingMemoryBound(to: UInt8.self)
        out.update(from: src, count: i)
        var o = i
        table.withUnsafeBufferPointer { table in
            while i < count {
                if i + 8 <= count {
                    let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if word & high == 0 {
                        UnsafeMutableRawPointer(out + o).storeBytes(of: word, as: UInt64.self)
                        i += 8
                        o += 8
                        continue
                    }
                }
                let b = src[i]
                if b < 0x80 {
                    out[o] = b
                    o += 1
                } else {
                    var entry = table[Int(b)]
                    if entry == 0 {
                        invalid.append(o)
                        invalidBytes.append(b)
                        entry = Transcoder.replacement
                    }
                    UnsafeMutableRawPointer(out + o).storeBytes(of: (entry & 0xFF_FFFF).littleEndian, as: UInt32.self)
                    o += Int(entry >> 24)
                }
                i += 1
            }
        }
        // Give back what the worst case reserved (large blocks shrink in place).
        let shrunk = realloc(out, max(1, o))!.assumingMemoryBound(to: UInt8.self)
        return TranscodedText(base: shrunk, count: o)
    }

    /// Decodes a small byte string (a header row, a code): for cold paths.
    public func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: utf8(bytes), as: UTF8.self)
    }

    /// The UTF-8 bytes of a small byte string (undefined bytes become U+FFFD): for cold paths.
    public func utf8<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        guard encoding != .utf8 else { return Array(bytes) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for b in bytes {
            var entry = table[Int(b)]
            if entry == 0 { entry = Transcoder.replacement }
            for k in 0..<Int(entry >> 24) { out.append(UInt8(truncatingIfNeeded: entry >> (8 * UInt32(k)))) }
        }
        return out
    }
}

/// Finds invalid UTF-8 without stopping at the first one (strict: no overlongs, no surrogates,
/// nothing above U+10FFFF, as `UTF8Validation`). ASCII runs are skipped eight bytes at a time.
public enum UTF8Scan {
    /// Appends the offsets of the first byte of every invalid sequence in `base[start..<end]`.
    public static func invalidOffsets(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int,
                                      into offsets: inout [Int], bytes: inout [UInt8]) {
        let raw = UnsafeRawPointer(base)
        var i = start
        while i < end {
            if i + 8 <= end, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let b0 = base[i]
            if b0 < 0x80 { i += 1; continue }
            let length = sequenceLength(base, i, end)
            if length == 0 {
                offsets.append(i)
                bytes.append(b0)
                i += 1
            } else {
                i += length
            }
        }
    }

    /// The length of the valid multi-byte sequence at `i`, or 0 when it is invalid.
    @inline(__always)
    static func sequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        UTF8Validation.sequenceLength(p, i, end)
    }
}
