import Foundation
import Testing
@testable import TributaryComponents
import TributaryCore

// Expected UTF-8 bytes are written by hand from the Unicode code charts (U+00E9 é → C3 A9,
// U+20AC € → E2 82 AC, ...), never computed by the transcoder.

@Suite("Transcoding")
struct TranscodingTests {
    /// Decodes `input` as a whole file and returns the UTF-8 bytes and the invalid offsets.
    func decode(_ input: [UInt8], _ encoding: TextEncoding) -> (bytes: [UInt8], invalid: [Int], invalidBytes: [UInt8], copied: Bool) {
        input.withUnsafeBytes { raw in
            let text = Transcoder(encoding).decode(FileBytes(raw), 0..<raw.count)
            let bytes = text.base.map { Array(UnsafeBufferPointer(start: $0 + text.start, count: text.end - text.start)) } ?? []
            return (bytes, text.invalid, text.invalidBytes, text.owner != nil)
        }
    }

    @Test func latin1LettersBecomeTwoByteSequences() {
        // é ß Ñ Ü ÿ, a no-break space (A0) and a C1 control (80, a character in ISO-8859-1).
        let input: [UInt8] = [0x63, 0x61, 0x66, 0xE9, 0x20, 0xDF, 0xD1, 0xDC, 0xFF, 0xA0, 0x80]
        let expected: [UInt8] = [0x63, 0x61, 0x66, 0xC3, 0xA9, 0x20, 0xC3, 0x9F, 0xC3, 0x91, 0xC3, 0x9C, 0xC3, 0xBF, 0xC2, 0xA0, 0xC2, 0x80]
        let result = decode(input, .latin1)
        #expect(result.bytes == expected)
        #expect(result.invalid.isEmpty)
        #expect(result.copied)
    }

    @Test func mullerJoseInLatin1AndWindows1252() {
        // "MÜLLER, JOSÉ": Ü = DC, É = C9 in both encodings.
        let input: [UInt8] = [0x4D, 0xDC, 0x4C, 0x4C, 0x45, 0x52, 0x2C, 0x20, 0x4A, 0x4F, 0x53, 0xC9]
        let expected: [UInt8] = [0x4D, 0xC3, 0x9C, 0x4C, 0x4C, 0x45, 0x52, 0x2C, 0x20, 0x4A, 0x4F, 0x53, 0xC3, 0x89]
        #expect(decode(input, .latin1).bytes == expected)
        #expect(decode(input, .windows1252).bytes == expected)
        #expect(Transcoder(.latin1).string(input) == "MÜLLER, JOSÉ")
    }

    /// Windows-1252 0x80-0x9F, from the code page's published table.
    static let windows1252Specials: [(UInt8, [UInt8])] = [
        (0x80, [0xE2, 0x82, 0xAC]),  // € U+20AC
        (0x82, [0xE2, 0x80, 0x9A]),  // ‚ U+201A
        (0x83, [0xC6, 0x92]),        // ƒ U+0192
        (0x84, [0xE2, 0x80, 0x9E]),  // „ U+201E
        (0x85, [0xE2, 0x80, 0xA6]),  // … U+2026
        (0x86, [0xE2, 0x80, 0xA0]),  // † U+2020
        (0x87, [0xE2, 0x80, 0xA1]),  // ‡ U+2021
        (0x88, [0xCB, 0x86]),        // ˆ U+02C6
        (0x89, [0xE2, 0x80, 0xB0]),  // ‰ U+2030
        (0x8A, [0xC5, 0xA0]),        // Š U+0160
        (0x8B, [0xE2, 0x80, 0xB9]),  // ‹ U+2039
        (0x8C, [0xC5, 0x92]),        // Œ U+0152
        (0x8E, [0xC5, 0xBD]),        // Ž U+017D
        (0x91, [0xE2, 0x80, 0x98]),  // ‘ U+2018
        (0x92, [0xE2, 0x80, 0x99]),  // ’ U+2019
        (0x93, [0xE2, 0x80, 0x9C]),  // “ U+201C
        (0x94, [0xE2, 0x80, 0x9D]),  // ” U+201D
        (0x95, [0xE2, 0x80, 0xA2]),  // • U+2022
        (0x96, [0xE2, 0x80, 0x93]),  // – U+2013
        (0x97, [0xE2, 0x80, 0x94]),  // — U+2014
        (0x98, [0xCB, 0x9C]),        // ˜ U+02DC
        (0x99, [0xE2, 0x84, 0xA2]),  // ™ U+2122
        (0x9A, [0xC5, 0xA1]),        // š U+0161
        (0x9B, [0xE2, 0x80, 0xBA]),  // › U+203A
        (0x9C, [0xC5, 0x93]),        // œ U+0153
        (0x9E, [0xC5, 0xBE]),        // ž U+017E
        (0x9F, [0xC5, 0xB8]),        // Ÿ U+0178
    ]

    @Test(arguments: windows1252Specials.map { [$0.0] + $0.1 })
    func windows1252SpecialRange(entry: [UInt8]) {
        // Each byte alone, and between ASCII letters.
        let byte = entry[0]
        let utf8 = Array(entry.dropFirst())
        #expect(decode([byte], .windows1252).bytes == utf8)
        #expect(decode([0x61, byte, 0x62], .windows1252).bytes == [0x61] + utf8 + [0x62])
        #expect(decode([byte], .windows1252).invalid.isEmpty)
        // In ISO-8859-1 the same byte is the C1 control U+0080...U+009F: C2 80...C2 9F.
        #expect(decode([byte], .latin1).bytes == [0xC2, byte])
    }

    @Test func windows1252AgreesWithFoundationForEveryDefinedByte() throws {
        let undefined: Set<UInt8> = [0x81, 0x8D, 0x8F, 0x90, 0x9D]
        for byte in (UInt8(0x20)...UInt8(0xFF)) where !undefined.contains(byte) {
            let foundation = try #require(String(data: Data([byte]), encoding: .windowsCP1252))
            #expect(decode([byte], .windows1252).bytes == Array(foundation.utf8), "byte \(byte)")
        }
    }

    @Test func windows1252UndefinedBytesBecomeReplacementCharacters() {
        // "a" 81 "b" 8D 8F "c" 90 9D: each undefined byte is U+FFFD (EF BF BD), reported at its
        // offset in the output.
        let input: [UInt8] = [0x61, 0x81, 0x62, 0x8D, 0x8F, 0x63, 0x90, 0x9D]
        let r: [UInt8] = [0xEF, 0xBF, 0xBD]
        let result = decode(input, .windows1252)
        #expect(result.bytes == [0x61] + r + [0x62] + r + r + [0x63] + r + r)
        #expect(result.invalid == [1, 5, 8, 12, 15])
        #expect(result.invalidBytes == [0x81, 0x8D, 0x8F, 0x90, 0x9D])
        #expect(Transcoder(.windows1252).utf8([0x81]) == r)
    }

    @Test func asciiIsNotCopied() {
        let input = Array("TXN_ID|STORE_ID|QTY\nT1|S1|2\n".utf8)
        for encoding in TextEncoding.allCases {
            input.withUnsafeBytes { raw in
                let text = Transcoder(encoding).decode(FileBytes(raw), 4..<raw.count)
                #expect(text.owner == nil)
                #expect(text.base == UnsafePointer(raw.baseAddress!.assumingMemoryBound(to: UInt8.self)))
                #expect(text.start == 4)
                #expect(text.end == raw.count)
            }
        }
    }

    @Test func rangesAreDecodedOnTheirOwn() {
        // Only bytes 2..<5 (0xE9, 'x', 0xFC) are decoded: é x ü.
        let input: [UInt8] = [0x41, 0x42, 0xE9, 0x78, 0xFC, 0x43]
        input.withUnsafeBytes { raw in
            let text = Transcoder(.latin1).decode(FileBytes(raw), 2..<5)
            let bytes = Array(UnsafeBufferPointer(start: text.base! + text.start, count: text.end - text.start))
            #expect(bytes == [0xC3, 0xA9, 0x78, 0xC3, 0xBC])
            #expect(text.start == 0)
        }
    }

    @Test func longMixedTextCrossesWordBoundaries() {
        // 500 repetitions of "abcdefg" (7 bytes, so non-ASCII bytes fall at every position within
        // an 8-byte word) followed by é or €.
        var latin1: [UInt8] = []
        var expectedLatin1: [UInt8] = []
        var cp1252: [UInt8] = []
        var expected1252: [UInt8] = []
        let letters: [UInt8] = [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67]
        for i in 0..<500 {
            let run = Array(letters.prefix(1 + i % 7))
            latin1 += run + [0xE9]
            expectedLatin1 += run + [0xC3, 0xA9]
            cp1252 += run + [0x80]
            expected1252 += run + [0xE2, 0x82, 0xAC]
        }
        #expect(decode(latin1, .latin1).bytes == expectedLatin1)
        #expect(decode(cp1252, .windows1252).bytes == expected1252)
    }

    // MARK: - UTF-8

    @Test func utf8IsValidatedWithoutCopying() {
        // Valid: é (C3 A9), € (E2 82 AC), 😀 (F0 9F 98 80).
        let valid: [UInt8] = [0x61, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0x62]
        let result = decode(valid, .utf8)
        #expect(result.bytes == valid)
        #expect(result.invalid.isEmpty)
        #expect(!result.copied)
    }

    @Test func invalidUTF8SequencesAreAllFound() {
        let input: [UInt8] = [
            0x61,              // 0  a
            0x80,              // 1  a lone continuation byte
            0xC3, 0x28,        // 2  a truncated two-byte sequence, then '('
            0xC0, 0xAF,        // 4  an overlong '/' (C0 is never valid; AF is then a lone continuation)
            0xED, 0xA0, 0x80,  // 6  a UTF-16 surrogate (U+D800), not a scalar: ED, then A0 and 80 alone
            0xF4, 0x90, 0x80, 0x80,  // 9  above U+10FFFF: F4, then 90 80 80 alone
            0xC3, 0xA9,        // 13 é, valid
            0xE2, 0x82,        // 15 a three-byte sequence cut by the end of the input
        ]
        let result = decode(input, .utf8)
        #expect(result.invalid == [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16])
        #expect(result.invalidBytes == [0x80, 0xC3, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xF4, 0x90, 0x80, 0x80, 0xE2, 0x82])
    }

    @Test func firstInvalidWalksRecordsInOrder() {
        let text = DecodedText(base: nil, start: 0, end: 100, owner: nil, invalid: [5, 40, 41, 90],
                               invalidBytes: [1, 2, 3, 4], encoding: .utf8)
        var cursor = 0
        #expect(text.firstInvalid(in: 0..<5, cursor: &cursor) == nil)
        #expect(text.firstInvalid(in: 5..<10, cursor: &cursor) == 0)
        #expect(text.firstInvalid(in: 10..<40, cursor: &cursor) == nil)
        #expect(text.firstInvalid(in: 40..<60, cursor: &cursor) == 1)
        #expect(text.firstInvalid(in: 60..<90, cursor: &cursor) == nil)
        #expect(text.firstInvalid(in: 91..<100, cursor: &cursor) == nil)
    }
}
