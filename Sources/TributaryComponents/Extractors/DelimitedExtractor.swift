import CCSV
import TributaryCore
#if canImport(Glibc)
import Glibc
#endif

/// `format: delimited`: point-of-sale and legacy dumps separated by one byte (`|`, `;`, tab, ...),
/// in UTF-8, ISO-8859-1 or Windows-1252, with a header row or an explicit column list.
///
/// Two engines share the planning, the decoding and the accounting:
///
/// - `quote: none` (the default): every delimiter separates fields and quotes are ordinary text. A
///   byte scanner finds delimiters and line feeds eight bytes at a time and appends fields straight
///   into the columns; one record is one physical line.
/// - a quote character: the CSV extractor's libcsv driver (`LineFedParser`), unchanged, so quoted
///   delimiters, doubled quotes and quoted line breaks behave exactly as in `format: csv`.
///
/// Each piece is first decoded to UTF-8 (`Transcoder`; a pure-ASCII piece is not copied), so the
/// columns, `rawRanges` and quarantined raw text are UTF-8 whatever the file's encoding. A line equal
/// to the header row (after removing its line end) is a repeated header, as left by catch-up batches
/// appended to an export: it is counted in `headerLines`, not as a record.
public struct DelimitedExtractor: Extractor {
    /// An output field and its candidate column names (the first non-empty value wins).
    public typealias Field = CSVExtractor.Field

    public var fields: [Field]
    public var delimiter: UInt8
    /// The quote character, or nil for `quote: none`.
    public var quote: UInt8?
    public var encoding: TextEncoding
    /// Whether the first non-blank line is a header row.
    public var header: Bool
    /// The column names in file order; nil to take them from the header row.
    public var columns: [String]?
    public var strictQuotes: Bool
    public var maxRecordLines: Int

    public init(fields: [Field], delimiter: UInt8, quote: UInt8? = nil, encoding: TextEncoding = .utf8,
                header: Bool = true, columns: [String]? = nil, strictQuotes: Bool = true, maxRecordLines: Int = 100) {
        precondition(header || columns != nil, "a file without a header row needs explicit columns")
        self.fields = fields
        self.delimiter = delimiter
        self.quote = quote
        self.encoding = encoding
        self.header = header
        self.columns = columns
        self.strictQuotes = strictQuotes
        self.maxRecordLines = maxRecordLines
    }

    public var fieldDefinitions: [FieldDefinition] { fields.map(\.definition) }

    var transcoder: Transcoder { Transcoder(encoding) }

    /// The CSV extractor configured like this one: its column mapping and, with a quote, its parser.
    var csv: CSVExtractor {
        CSVExtractor(fields: fields, delimiter: delimiter, quote: quote ?? UInt8(ascii: "\""),
                     strictQuotes: strictQuotes, maxRecordLines: maxRecordLines)
    }

    // MARK: - Planning

    /// What the pieces of one file share.
    struct Context: Sendable {
        var layout: CSVExtractor.FileLayout
        /// The header row as UTF-8, without its line end: lines equal to it are repeated headers.
        var header: [UInt8]?
        /// The first piece also accounts for the lines before its start (header and blank lines).
        var headerLines = 0
        var blankLines = 0
    }

    public func plan(_ file: InputFile, bytes: FileBytes, targetPieceSize: Int) -> [ExtractionPiece] {
        let p = bytes.base.bindMemory(to: UInt8.self)
        var start = 0
        if encoding == .utf8, p.count >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { start = 3 }
        var line = 1
        var context = Context(layout: csv.makeLayout(header: columns ?? []), header: nil)

        if header, let base = p.baseAddress {
            while start < p.count {
                let next = nextLineStart(base, start, p.count)
                guard isBlankLine(base, start, next) else { break }
                context.blankLines += 1
                start = next
                line += 1
            }
            if start < p.count {
                let headerEnd = headerRecordEnd(base, from: start, end: p.count)
                var stop = headerEnd
                while stop > start, base[stop - 1] == 0x0A || base[stop - 1] == 0x0D { stop -= 1 }
                let text = transcoder.utf8(UnsafeBufferPointer(start: base + start, count: stop - start))
                context.header = text
                context.headerLines = countLineFeeds(base, start, headerEnd) + (base[headerEnd - 1] == 0x0A ? 0 : 1)
                line += context.headerLines
                start = headerEnd
                if columns == nil { context.layout = csv.makeLayout(header: headerNames(text)) }
            } else if columns == nil {
                context.layout = csv.makeLayout(header: [])
            }
        }

        var pieces: [ExtractionPiece] = []
        let emit = { (from: Int, to: Int, firstLine: Int) in
            pieces.append(ExtractionPiece(file: file, ordinal: pieces.count, startOffset: from, endOffset: to,
                                          firstLine: firstLine, context: context))
        }
        if let quote {
            BoundaryScanner(quote: quote, delimiter: delimiter, strict: strictQuotes, maxRecordLines: maxRecordLines)
                .cut(p, from: start, firstLine: line, target: max(1, targetPieceSize), emit: emit)
        } else {
            LineCutter.cut(p, from: start, firstLine: line, target: max(1, targetPieceSize), emit: emit)
        }
        if pieces.isEmpty {  // header only (or empty file): still one piece, to account its lines
            emit(start, start, line)
        }
        for i in 1..<pieces.count {
            var later = context
            later.headerLines = 0
            later.blankLines = 0
            pieces[i].context = later
        }
        return pieces
    }

    /// The end of the header record starting at `start`: its line, or with a quote character, the
    /// lines up to where the quotes balance (at most `maxRecordLines`).
    func headerRecordEnd(_ base: UnsafePointer<UInt8>, from start: Int, end: Int) -> Int {
        var next = nextLineStart(base, start, end)
        guard let quote else { return next }
        var quotes = 0
        var lines = 1
        var i = start
        while true {
            while i < next { if base[i] == quote { quotes += 1 }; i += 1 }
            if quotes % 2 == 0 || next >= end { return next }
            if lines >= maxRecordLines { return nextLineStart(base, start, end) }
            next = nextLineStart(base, next, end)
            lines += 1
        }
    }

    /// The column names of a header row (UTF-8).
    func headerNames(_ text: [UInt8]) -> [String] {
        guard quote != nil else {
            return text.split(separator: delimiter, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        }
        return text.withUnsafeBufferPointer { buffer in
            guard buffer.baseAddress != nil else { return [] }
            return LineFedParser(extractor: csv, layout: nil).parseHeader(buffer, from: 0).names
        }
    }

    /// A blank line holds only spaces, tabs and line ends. With a tab delimiter (and no quote) a
    /// line of tabs is a record of empty fields instead.
    func isBlankLine(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        if quote != nil || delimiter != 0x09 { return isBlank(base, from, to) }
        var i = from
        while i < to {
            let b = base[i]
            if b != 0x0A && b != 0x0D && b != 0x20 { return false }
            i += 1
        }
        return true
    }

    // MARK: - Extraction

    public func extract(_ piece: ExtractionPiece, bytes: FileBytes) -> ExtractionOutput {
        let context = piece.context as! Context
        var initial = RowCounts()
        initial.headerLines = context.headerLines
        initial.blankLines = context.blankLines
        let text = transcoder.decode(bytes, piece.startOffset..<piece.endOffset)
        guard let base = text.base, text.start < text.end else {
            initial.physicalLines = initial.headerLines + initial.blankLines
            return ExtractionOutput(batch: RecordBatch(columnCount: fields.count), quarantined: [], counts: initial, raw: bytes)
        }
        var output: ExtractionOutput
        if quote == nil {
            var scan = PlainScan(extractor: self, context: context, text: text, base: base,
                                 firstLine: piece.firstLine, fileIndex: piece.file.index, counts: initial)
            scan.run()
            output = scan.output()
        } else {
            var local = piece
            local.startOffset = text.start
            local.endOffset = text.end
            local.context = context.layout
            var parser = LineFedParser(extractor: csv, layout: context.layout)
            output = parser.run(UnsafeBufferPointer(start: base, count: text.end), piece: local, counts: initial)
            afterQuotedParse(&output, text: text, base: base, header: context.header, fileIndex: piece.file.index)
        }
        output.rawOwner = text.owner
        return output
    }

    /// The libcsv driver knows neither repeated headers nor bytes the decoder rejected: records
    /// that are repeated headers become header lines, and records holding a rejected byte are
    /// quarantined. Without either (the usual case) this costs nothing.
    func afterQuotedParse(_ output: inout ExtractionOutput, text: DecodedText, base: UnsafePointer<UInt8>,
                          header: [UInt8]?, fileIndex: Int) {
        guard header != nil || !text.invalid.isEmpty else { return }
        var keep: [Int] = []
        keep.reserveCapacity(output.batch.count)
        var added: [QuarantinedRecord] = []
        var cursor = 0
        for row in 0..<output.batch.count {
            let range = output.batch.rawRanges[row]
            var stop = range.upperBound
            while stop > range.lowerBound, base[stop - 1] == 0x0A || base[stop - 1] == 0x0D { stop -= 1 }
            let record = UnsafeBufferPointer(start: base + range.lowerBound, count: stop - range.lowerBound)
            if let header, record.elementsEqual(header) {
                let lines = countLineFeeds(base, range.lowerBound, stop) + 1
                output.counts.records -= 1
                output.counts.loaded -= 1
                output.counts.recordLines -= lines
                output.counts.headerLines += lines
            } else if let k = text.firstInvalid(in: range, cursor: &cursor) {
                added.append(QuarantinedRecord(fileIndex: fileIndex, line: output.batch.lines[row], reason: .invalidUTF8,
                                               detail: text.invalidDetail(k, recordStart: range.lowerBound), raw: Array(record)))
                output.counts.loaded -= 1
                output.counts.quarantined += 1
            } else {
                keep.append(row)
            }
        }
        if let header {
            output.quarantined.removeAll { record in
                guard record.raw == header else { return false }
                let lines = record.raw.count { $0 == 0x0A } + 1
                output.counts.records -= 1
                output.counts.quarantined -= 1
                output.counts.recordLines -= lines
                output.counts.headerLines += lines
                return true
            }
        }
        if keep.count != output.batch.count { output.batch.select(keep) }
        if !added.isEmpty {
            output.quarantined = (output.quarantined + added).sorted { $0.line < $1.line }
        }
    }
}

// MARK: - The byte scanner (quote: none)

extension DelimitedExtractor {
    /// The whole state of scanning one piece without quotes. A struct whose hot path only touches
    /// its own stored properties and manually managed builders: no class, no closure captures,
    /// hence no reference counting or dynamic exclusivity checks per field (see `PieceParse`).
    struct PlainScan {
        let base: UnsafePointer<UInt8>
        let start: Int
        let end: Int
        let firstLine: Int
        let fileIndex: Int
        let delimiter: UInt8
        let tabIsBlank: Bool
        let headerFieldCount: Int
        let fieldCount: Int
        let missing: [String]
        let header: [UInt8]?
        let text: DecodedText
        let initial: RowCounts

        let target: UnsafeMutablePointer<Int32>
        let rank: UnsafeMutablePointer<UInt8>
        var columns: UnsafeMutablePointer<ColumnBuilder>
        var pending: UnsafeMutablePointer<Span>
        var pendingRank: UnsafeMutablePointer<UInt8>
        var lines: [Int] = []
        var rawRanges: [Range<Int>] = []
        var quarantined: [QuarantinedRecord] = []
        var counts: RowCounts
        var physicalLines = 0

        init(extractor: DelimitedExtractor, context: DelimitedExtractor.Context, text: DecodedText,
             base: UnsafePointer<UInt8>, firstLine: Int, fileIndex: Int, counts: RowCounts) {
            self.base = base
            start = text.start
            end = text.end
            self.firstLine = firstLine
            self.fileIndex = fileIndex
            delimiter = extractor.delimiter
            tabIsBlank = extractor.delimiter != 0x09
            let layout = context.layout
            headerFieldCount = layout.headerFieldCount
            fieldCount = extractor.fields.count
            missing = layout.missing
            header = context.header
            self.text = text
            initial = counts
            self.counts = counts
            target = .allocate(capacity: max(1, headerFieldCount))
            rank = .allocate(capacity: max(1, headerFieldCount))
            for c in 0..<headerFieldCount {
                target[c] = layout.target[c]
                rank[c] = layout.rank[c]
            }
            let rows = max(16, (end - start) / 100)
            let bytesPerColumn = (end - start) / max(1, headerFieldCount) + 64
            columns = ColumnBuilder.allocate(count: fieldCount, rows: rows, bytes: bytesPerColumn)
            pending = .allocate(capacity: max(1, fieldCount))
            pending.initialize(repeating: .null, count: max(1, fieldCount))
            pendingRank = .allocate(capacity: max(1, fieldCount))
            pendingRank.initialize(repeating: .max, count: max(1, fieldCount))
            lines.reserveCapacity(rows)
            rawRanges.reserveCapacity(rows)
        }

        /// The offset of the next delimiter or line feed at or after `from`, or `end`.
        @inline(__always)
        func nextSpecial(_ from: Int) -> Int {
            let raw = UnsafeRawPointer(base)
            let delimiters = 0x0101_0101_0101_0101 &* UInt64(delimiter)
            let newlines = 0x0101_0101_0101_0101 &* UInt64(0x0A)
            var i = from
            while i + 8 <= end {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let hits = zeroBytes(word ^ delimiters) | zeroBytes(word ^ newlines)
                if hits != 0 { return i + hits.trailingZeroBitCount >> 3 }
                i += 8
            }
            while i < end {
                let b = base[i]
                if b == delimiter || b == 0x0A { return i }
                i += 1
            }
            return end
        }

        /// One field of the current record: column `c` of the file, bytes `from..<to`.
        @inline(__always)
        mutating func field(_ c: Int, _ from: Int, _ to: Int) {
            guard c < headerFieldCount, to > from else { return }
            let f = Int(target[c])
            guard f >= 0 else { return }
            let r = rank[c]
            guard pending[f].isNull || r < pendingRank[f] else { return }
            pending[f] = columns[f].appendBytes(base + from, to - from)
            pendingRank[f] = r
        }

        mutating func run() {
            var pos = start
            var line = firstLine
            var cursor = 0
            let headerCount = header?.count ?? -1
            while pos < end {
                let lineStart = pos
                var fieldStart = pos
                var c = 0
                var stop = nextSpecial(pos)
                while stop < end, base[stop] != 0x0A {
                    field(c, fieldStart, stop)
                    c += 1
                    fieldStart = stop + 1
                    stop = nextSpecial(fieldStart)
                }
                let lineEnd = stop < end ? stop + 1 : end
                var contentEnd = stop
                if contentEnd > lineStart, base[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                // A CR at the end of the line belongs to the line end, not to the last field.
                field(c, fieldStart, max(fieldStart, contentEnd))
                c += 1
                physicalLines += 1

                if c == 1, isBlankContent(lineStart, contentEnd) {
                    counts.blankLines += 1
                } else if contentEnd - lineStart == headerCount, matchesHeader(lineStart) {
                    counts.headerLines += 1
                } else {
                    counts.records += 1
                    counts.recordLines += 1
                    if !missing.isEmpty {
                        reject(line, lineStart, contentEnd, .missingColumn,
                               "the file's header has no column " + missing.map { "'\($0)'" }.joined(separator: ", "))
                    } else if c != headerFieldCount {
                        reject(line, lineStart, contentEnd, .wrongFieldCount, "expected \(headerFieldCount) fields, found \(c)")
                    } else if let k = text.firstInvalid(in: lineStart..<lineEnd, cursor: &cursor) {
                        reject(line, lineStart, contentEnd, .invalidUTF8, text.invalidDetail(k, recordStart: lineStart))
                    } else {
                        for f in 0..<fieldCount { columns[f].appendSpan(pending[f]) }
                        lines.append(line)
                        rawRanges.append(lineStart..<lineEnd)
                        counts.loaded += 1
                    }
                }
                for f in 0..<fieldCount {
                    pending[f] = .null
                    pendingRank[f] = .max
                }
                pos = lineEnd
                line += 1
            }
        }

        @inline(__always)
        func isBlankContent(_ from: Int, _ to: Int) -> Bool {
            var i = from
            while i < to {
                let b = base[i]
                if b != 0x20 && !(b == 0x09 && tabIsBlank) { return false }
                i += 1
            }
            return true
        }

        func matchesHeader(_ from: Int) -> Bool {
            guard let header else { return false }
            return header.withUnsafeBufferPointer { memcmp(base + from, $0.baseAddress!, $0.count) == 0 }
        }

        mutating func reject(_ line: Int, _ from: Int, _ to: Int, _ reason: QuarantineReason, _ detail: String) {
            quarantined.append(QuarantinedRecord(fileIndex: fileIndex, line: line, reason: reason, detail: detail,
                                                 raw: Array(UnsafeBufferPointer(start: base + from, count: to - from))))
            counts.quarantined += 1
        }

        /// The batch, quarantine and counts of the piece; frees the builders.
        mutating func output() -> ExtractionOutput {
            var batch = RecordBatch(columnCount: 0)
            batch.columns = ColumnBuilder.finishAll(columns, count: fieldCount)
            batch.lines = lines
            batch.rawRanges = rawRanges
            pending.deallocate()
            pendingRank.deallocate()
            target.deallocate()
            rank.deallocate()
            counts.physicalLines += physicalLines + initial.headerLines + initial.blankLines
            return ExtractionOutput(batch: batch, quarantined: quarantined, counts: counts, raw: text.raw)
        }
    }
}

// MARK: - Line boundaries

/// Cuts a file into pieces at line boundaries, for formats where a record never spans lines.
enum LineCutter {
    /// Emits pieces of at least `target` bytes (the last may be shorter) that end just after a line
    /// feed, with the physical line number of each piece's first byte.
    static func cut(_ p: UnsafeBufferPointer<UInt8>, from start: Int, firstLine: Int, target: Int,
                    emit: (_ from: Int, _ to: Int, _ firstLine: Int) -> Void) {
        guard let base = p.baseAddress else { return }
        let end = p.count
        var pieceStart = start
        var line = firstLine
        while pieceStart < end {
            let probe = pieceStart + target - 1
            if probe >= end {
                emit(pieceStart, end, line)
                return
            }
            let to = nextLineStart(base, probe, end)
            emit(pieceStart, to, line)
            line += countLineFeeds(base, pieceStart, to)
            pieceStart = to
        }
    }

    /// The end of a line's content: before its line feed and a carriage return.
    @inline(__always)
    static func contentEnd(_ base: UnsafePointer<UInt8>, _ lineStart: Int, _ next: Int) -> Int {
        var stop = next
        if stop > lineStart, base[stop - 1] == 0x0A { stop -= 1 }
        if stop > lineStart, base[stop - 1] == 0x0D { stop -= 1 }
        return stop
    }
}
