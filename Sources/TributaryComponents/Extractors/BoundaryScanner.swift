import TributaryCore
#if canImport(Glibc)
import Glibc
#endif

/// Finds record boundaries with the same state machine as libcsv (field start, unquoted field,
/// quoted field, "quote seen inside a quoted field"), including its whitespace rules, strict-mode
/// errors and the driver's recovery (a broken record restarts at its second line; a quote still
/// open after `maxRecordLines` lines likewise). A cut is made only where the parser is between
/// records, so the pieces are parsed independently with exactly the result of one sequential
/// parse, whatever the piece size or the number of jobs.
///
/// Used by `format: delimited` with a quote character (`DelimitedExtractor.plan`); `format: csv`
/// cuts at line feeds instead and repairs a cut inside a quoted field with `PieceChain`.
struct BoundaryScanner {
    var quote: UInt8
    var delimiter: UInt8
    var strict: Bool
    var maxRecordLines: Int

    // Byte classes.
    private static let other: UInt8 = 0, quoteClass: UInt8 = 1, delimClass: UInt8 = 2, crClass: UInt8 = 3,
                        lfClass: UInt8 = 4, spaceClass: UInt8 = 5

    // libcsv's parser states.
    private enum State { case rowNotBegun, fieldNotBegun, unquoted, quoted, mightHaveEnded }

    func classes() -> [UInt8] {
        var table = [UInt8](repeating: Self.other, count: 256)
        table[0x20] = Self.spaceClass
        table[0x09] = Self.spaceClass
        table[0x0D] = Self.crClass
        table[0x0A] = Self.lfClass
        table[Int(delimiter)] = Self.delimClass   // a tab delimiter is a delimiter, not a space
        table[Int(quote)] = Self.quoteClass
        return table
    }

    /// Where the cutting stands: the current piece and the last record boundary seen.
    struct Cursor {
        var pieceStart: Int
        var pieceLine: Int
        var boundary: Int
        var boundaryLine: Int
    }

    func cut(_ p: UnsafeBufferPointer<UInt8>, from start: Int, firstLine: Int, target: Int,
             emit: (_ from: Int, _ to: Int, _ firstLine: Int) -> Void) {
        let end = p.count
        guard start < end, let base = p.baseAddress else { return }
        var cursor = Cursor(pieceStart: start, pieceLine: firstLine, boundary: start, boundaryLine: firstLine)
        // Fast path: quote parity, exact as long as every quote sits where well-formed CSV puts
        // it. At the first quote that does not, continue with the full state machine from the
        // last record boundary (where parity and the state machine still agreed).
        if !cleanScan(base, end, target: target, cursor: &cursor, emit: emit) {
            exactScan(base, end, target: target, cursor: &cursor, emit: emit)
        }
        if cursor.pieceStart < end { emit(cursor.pieceStart, end, cursor.pieceLine) }
    }

    /// Scans only quote and line-feed bytes, eight bytes at a time. Returns false when it meets a
    /// quote that is not an opening quote at a field start, a doubled quote, or a closing quote
    /// before a delimiter or line end (or a quoted field longer than `maxRecordLines`).
    func cleanScan(_ base: UnsafePointer<UInt8>, _ end: Int, target: Int, cursor: inout Cursor,
                   emit: (_ from: Int, _ to: Int, _ firstLine: Int) -> Void) -> Bool {
        let raw = UnsafeRawPointer(base)
        let quotes = 0x0101_0101_0101_0101 &* UInt64(quote)
        let newlines = 0x0101_0101_0101_0101 &* UInt64(0x0A)
        let start = cursor.boundary
        var inQuote = false
        var line = cursor.boundaryLine
        var pos = start

        @inline(__always) func isEdge(_ b: UInt8) -> Bool { b == delimiter || b == 0x0A || b == 0x0D }
        @inline(__always) func isEdgeOrQuote(_ i: Int) -> Bool { i < start || i >= end || isEdge(base[i]) || base[i] == quote }

        /// A line feed at `i`, inside quotes or not.
        @inline(__always) func lineFeed(_ i: Int, quoted: Bool) -> Bool {
            line += 1
            if !quoted {
                if i + 1 - cursor.pieceStart >= target {
                    emit(cursor.pieceStart, i + 1, cursor.pieceLine)
                    cursor.pieceStart = i + 1
                    cursor.pieceLine = line
                }
                cursor.boundary = i + 1
                cursor.boundaryLine = line
                return true
            }
            return line - cursor.boundaryLine < maxRecordLines
        }

        // A quote opens a field right after a delimiter or line end (or a quote: the second of a
        // doubled pair); it closes one right before a delimiter or line end (or a quote: the first
        // of a pair). Eight bytes at a time: masks of quotes and edges, the inside-quotes state as a
        // prefix XOR of the quote mask, line feeds visited one by one.
        let delimiters = 0x0101_0101_0101_0101 &* UInt64(delimiter)
        let returns = 0x0101_0101_0101_0101 &* UInt64(0x0D)
        while pos + 8 <= end {
            let word = raw.loadUnaligned(fromByteOffset: pos, as: UInt64.self)
            let quoteBits = zeroBytes(word ^ quotes)
            let lineBits = zeroBytes(word ^ newlines)
            if quoteBits | lineBits == 0 { pos += 8; continue }
            let q = movemask(quoteBits)
            let edgeOrQuote = movemask(quoteBits | lineBits | zeroBytes(word ^ delimiters) | zeroBytes(word ^ returns))
            let before = (edgeOrQuote << 1 | (isEdgeOrQuote(pos - 1) ? 1 : 0)) & 0xFF
            let after = edgeOrQuote >> 1 | (isEdgeOrQuote(pos + 8) ? 0x80 : 0)
            var inside = q
            inside ^= inside << 1
            inside ^= inside << 2
            inside ^= inside << 4
            inside &= 0xFF
            if inQuote { inside ^= 0xFF }
            let opening = q & inside
            let closing = q & ~inside & 0xFF
            if opening & ~before | closing & ~after != 0 { return false }
            var lines = movemask(lineBits)
            while lines != 0 {
                let k = lines.trailingZeroBitCount
                guard lineFeed(pos + k, quoted: inside >> k & 1 == 1) else { return false }
                lines &= lines &- 1
            }
            inQuote = inside & 0x80 != 0
            pos += 8
        }
        while pos < end {
            let b = base[pos]
            if b == quote {
                if !inQuote {
                    guard isEdgeOrQuote(pos - 1) else { return false }
                    inQuote = true
                } else {
                    guard isEdgeOrQuote(pos + 1) else { return false }
                    inQuote = false
                }
            } else if b == 0x0A {
                guard lineFeed(pos, quoted: inQuote) else { return false }
            }
            pos += 1
        }
        return true
    }

    /// The full libcsv state machine, from the last record boundary to the end of the input.
    func exactScan(_ base: UnsafePointer<UInt8>, _ end: Int, target: Int, cursor: inout Cursor,
                   emit: (_ from: Int, _ to: Int, _ firstLine: Int) -> Void) {
        let table = classes()
        let raw = UnsafeRawPointer(base)
        let quotes = 0x0101_0101_0101_0101 &* UInt64(quote)
        let newlines = 0x0101_0101_0101_0101 &* UInt64(0x0A)
        var state = State.rowNotBegun
        var pos = cursor.boundary
        var line = cursor.boundaryLine     // the line `pos` is on
        var lineStart = pos
        var recordStart = pos              // the first line of the record being scanned
        var recordLine = line
        var spacesAfterQuote = false

        /// The parser gives up on the record: it restarts at the record's second line.
        func restart() {
            var second = recordStart
            while second < end, base[second] != 0x0A { second += 1 }
            pos = min(end, second + 1)
            line = recordLine + 1
            lineStart = pos
            state = .rowNotBegun
        }

        table.withUnsafeBufferPointer { classOf in
            while pos < end {
                // Inside a quoted field only a quote or a line feed matters: skip 8 bytes at a time.
                if state == .quoted {
                    while pos + 8 <= end {
                        let word = raw.loadUnaligned(fromByteOffset: pos, as: UInt64.self)
                        if zeroBytes(word ^ quotes) | zeroBytes(word ^ newlines) != 0 { break }
                        pos += 8
                    }
                    if pos >= end { break }
                }
                let c = classOf[Int(base[pos])]
                switch state {
                case .rowNotBegun, .fieldNotBegun:
                    if state == .rowNotBegun, c != Self.spaceClass, c != Self.crClass, c != Self.lfClass {
                        recordStart = lineStart
                        recordLine = line
                    }
                    switch c {
                    case Self.quoteClass: state = .quoted
                    case Self.delimClass: state = .fieldNotBegun
                    case Self.crClass, Self.lfClass: state = .rowNotBegun
                    case Self.spaceClass: break
                    default: state = .unquoted
                    }
                case .unquoted:
                    switch c {
                    case Self.delimClass: state = .fieldNotBegun
                    case Self.crClass, Self.lfClass: state = .rowNotBegun
                    case Self.quoteClass where strict: restart(); continue
                    default: break
                    }
                case .quoted:
                    if c == Self.quoteClass { state = .mightHaveEnded; spacesAfterQuote = false }
                case .mightHaveEnded:
                    switch c {
                    case Self.delimClass: state = .fieldNotBegun
                    case Self.crClass, Self.lfClass: state = .rowNotBegun
                    case Self.spaceClass: spacesAfterQuote = true
                    case Self.quoteClass:
                        if spacesAfterQuote, strict { restart(); continue }
                        state = .quoted  // a doubled quote: still inside the field
                    default:
                        if strict { restart(); continue }
                        state = .quoted
                    }
                }
                if c == Self.lfClass {
                    line += 1
                    lineStart = pos + 1
                    if state == .rowNotBegun {
                        if pos + 1 - cursor.pieceStart >= target {
                            emit(cursor.pieceStart, pos + 1, cursor.pieceLine)
                            cursor.pieceStart = pos + 1
                            cursor.pieceLine = line
                        }
                    } else if line - recordLine >= maxRecordLines {
                        pos += 1
                        restart()
                        continue
                    }
                }
                pos += 1
            }
        }
    }
}
