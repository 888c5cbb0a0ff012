import CCSV
import TributaryCore
#if canImport(Glibc)
import Glibc
#endif

/// `format: csv`: comma-separated exports (Salesforce, HubSpot, spreadsheets), parsed with libcsv.
///
/// Columns are mapped by header name. The extractor handles a UTF-8 byte-order mark, CRLF and LF,
/// quoted fields with delimiters, doubled quotes and line breaks, and a configurable delimiter and
/// quote. A row with the wrong number of fields, a stray quote, or a quote that is never closed is
/// quarantined with its physical line number, and parsing resumes on the next line.
///
/// Files are cut into pieces at the first line feed after each target size, without scanning the
/// quotes, so pieces are parsed in parallel. A cut that falls inside a quoted field is repaired
/// when the pieces are put back in order (`PieceChain` extracts the next piece again from the
/// record's start), so the result is that of one sequential parse. libcsv is fed one physical line
/// at a time, which gives exact line numbers and lets a malformed record be skipped without losing
/// the records after it. The header mapping is `FileLayout` (`CSVExtractor+FileLayout.swift`).
public struct CSVExtractor: Extractor {
    public struct Field: Sendable {
        public var definition: FieldDefinition
        /// Candidate header names; the first non-empty value wins.
        public var columns: [String]
        /// The names as the pipeline file writes them (`${EMAIL_COLUMN}` stays a name): what a
        /// message about a missing column says, so that no variable's value is printed or stored.
        public var writtenColumns: [String]

        public var name: String { definition.name }

        public init(name: String, columns: [String], type: FieldType = .string) {
            definition = FieldDefinition(name: name, type: type)
            self.columns = columns
            writtenColumns = columns
        }

        public init(_ definition: FieldDefinition, columns: [String], written: [String]? = nil) {
            self.definition = definition
            self.columns = columns
            writtenColumns = written.flatMap { $0.count == columns.count ? $0 : nil } ?? columns
        }
    }

    public var fields: [Field]
    public var delimiter: UInt8
    public var quote: UInt8
    public var strictQuotes: Bool
    /// A quoted field spanning more physical lines than this is treated as never closed.
    public var maxRecordLines: Int

    public init(fields: [Field], delimiter: UInt8 = UInt8(ascii: ","), quote: UInt8 = UInt8(ascii: "\""),
                strictQuotes: Bool = true, maxRecordLines: Int = 100) {
        self.fields = fields
        self.delimiter = delimiter
        self.quote = quote
        self.strictQuotes = strictQuotes
        self.maxRecordLines = maxRecordLines
    }

    public var fieldDefinitions: [FieldDefinition] { fields.map(\.definition) }

    // MARK: - Planning

    public func plan(_ file: InputFile, bytes: FileBytes, targetPieceSize: Int) -> [ExtractionPiece] {
        let base = bytes.nonEmptyBase
        var start = 0
        if base.count >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { start = 3 }

        // The header is the first non-blank record.
        let parser = LineFedParser(extractor: self, layout: nil)
        let header = parser.parseHeader(base, from: start)
        let layout = makeLayout(header: header.names)

        // Cut at the first line feed after each target size, without scanning the quotes: a cut
        // that falls inside a quoted field is repaired when the pieces are put back in order
        // (see `PieceChain`), so the result is that of one sequential parse.
        var pieces: [ExtractionPiece] = []
        var from = header.endOffset
        var line = header.endLine
        let target = max(1, targetPieceSize)
        while from < base.count {
            let to = target >= base.count - from ? base.count : nextLineStart(base.baseAddress!, from + target - 1, base.count)
            var piece = ExtractionPiece(file: file, ordinal: pieces.count, startOffset: from, endOffset: to,
                                        firstLine: line, context: layout)
            piece.speculativeEnd = to < base.count
            pieces.append(piece)
            line += countLineFeeds(base.baseAddress!, from, to)
            from = to
        }
        if pieces.isEmpty {  // header only (or empty file): still one piece, to account its lines
            pieces.append(ExtractionPiece(file: file, ordinal: 0, startOffset: header.endOffset,
                                          endOffset: header.endOffset, firstLine: header.endLine, context: layout))
        }
        pieces[0].context = PieceHeader(layout: layout, headerLines: header.lines, blankLines: header.blankLines)
        return pieces
    }

    /// The first piece also accounts for the header's lines.
    struct PieceHeader: Sendable {
        var layout: FileLayout
        var headerLines: Int
        var blankLines: Int
    }

    // MARK: - Extraction

    public func extract(_ piece: ExtractionPiece, bytes: FileBytes) -> ExtractionOutput {
        var counts = RowCounts()
        let layout: FileLayout
        if let first = piece.context as? PieceHeader {
            layout = first.layout
            counts.headerLines = first.headerLines
            counts.blankLines = first.blankLines
        } else {
            layout = piece.context as! FileLayout
        }
        let base = bytes.nonEmptyBase
        var parser = LineFedParser(extractor: self, layout: layout)
        return parser.run(base, piece: piece, counts: counts)
    }
}

// MARK: - The libcsv driver

private let ROW_NOT_BEGUN: Int32 = 0

/// Feeds libcsv one physical line at a time and collects fields into columns (the state the C
/// callbacks reach is `PieceParse`, below).
struct LineFedParser {
    let extractor: CSVExtractor
    let layout: CSVExtractor.FileLayout?

    init(extractor: CSVExtractor, layout: CSVExtractor.FileLayout?) {
        self.extractor = extractor
        self.layout = layout
    }

    var options: UInt8 {
        UInt8(extractor.strictQuotes ? CSV_STRICT | CSV_STRICT_FINI : CSV_STRICT_FINI)
    }

    func makeParser() -> csv_parser {
        var parser = csv_parser()
        csv_init(&parser, options)
        csv_set_delim(&parser, extractor.delimiter)
        csv_set_quote(&parser, extractor.quote)
        return parser
    }

    struct Header {
        var names: [String]
        var endOffset: Int
        var endLine: Int
        var lines: Int
        var blankLines: Int
    }

    /// Parses the header record (cold path: builds Strings).
    func parseHeader(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> Header {
        final class Names { var list: [String] = []; var done = false }
        let names = Names()
        var parser = makeParser()
        defer { csv_free(&parser) }
        var pos = start
        var line = 1
        var blank = 0
        var lines = 0
        let context = Unmanaged.passUnretained(names).toOpaque()
        while pos < p.count, !names.done {
            let next = nextLineStart(p.baseAddress!, pos, p.count)
            if names.list.isEmpty, parser.pstate == ROW_NOT_BEGUN, isBlank(p.baseAddress!, pos, next) {
                blank += 1
            } else {
                lines += 1
                let length = next - pos
                let used = csv_parse(&parser, p.baseAddress! + pos, length, { data, len, ctx in
                    let n = Unmanaged<Names>.fromOpaque(ctx!).takeUnretainedValue()
                    let bytes = data.map { UnsafeBufferPointer(start: $0.assumingMemoryBound(to: UInt8.self), count: len) }
                    n.list.append(bytes.map { String(decoding: $0, as: UTF8.self) } ?? "")
                }, { _, ctx in
                    Unmanaged<Names>.fromOpaque(ctx!).takeUnretainedValue().done = true
                }, context)
                if used < length { break }
            }
            pos = next
            line += 1
        }
        // A header whose quote never closes swallows the whole file: read nothing as the header,
        // so the lines are parsed as records and quarantined (unclosed quote, no such column)
        // instead of vanishing into a header.
        if !names.done, pos >= p.count, parser.pstate != ROW_NOT_BEGUN, lines > 1 {
            return Header(names: [], endOffset: start, endLine: 1, lines: 0, blankLines: 0)
        }
        if !names.done, !names.list.isEmpty || parser.pstate != ROW_NOT_BEGUN {
            csv_fini(&parser, { data, len, ctx in
                let n = Unmanaged<Names>.fromOpaque(ctx!).takeUnretainedValue()
                let bytes = data.map { UnsafeBufferPointer(start: $0.assumingMemoryBound(to: UInt8.self), count: len) }
                n.list.append(bytes.map { String(decoding: $0, as: UTF8.self) } ?? "")
            }, nil, context)
        }
        return Header(names: names.list, endOffset: pos, endLine: line, lines: lines, blankLines: blank)
    }

    mutating func run(_ p: UnsafeBufferPointer<UInt8>, piece: ExtractionPiece, counts initial: RowCounts) -> ExtractionOutput {
        let state = UnsafeMutablePointer<PieceParse>.allocate(capacity: 1)
        state.initialize(to: PieceParse(extractor: extractor, layout: layout!, piece: piece, bytes: p, counts: initial))
        defer {
            state.deinitialize(count: 1)
            state.deallocate()
        }
        state.pointee.parser.initialize(to: makeParser())
        state.pointee.parseAll(self, context: UnsafeMutableRawPointer(state))
        csv_free(state.pointee.parser)
        state.pointee.parser.deallocate()
        return state.pointee.output()
    }
}

/// The whole mutable state of parsing one piece. It lives in manually allocated memory and is
/// reached from libcsv's callbacks through a raw pointer, so the per-field path has no class,
/// no closure captures and therefore no dynamic exclusivity checks.
struct PieceParse {
    let base: UnsafePointer<UInt8>
    let start: Int
    let end: Int
    let firstLine: Int
    let fileIndex: Int
    let target: [Int32]
    let rank: [UInt8]
    let headerFieldCount: Int
    let missing: [String]
    let fieldCount: Int
    let maxRecordLines: Int
    let initial: RowCounts

    /// libcsv's state, in its own allocation (the callbacks mutate this struct during csv_parse).
    let parser = UnsafeMutablePointer<csv_parser>.allocate(capacity: 1)
    var columns: UnsafeMutablePointer<ColumnBuilder>
    var pending: UnsafeMutablePointer<Span>
    var pendingRank: UnsafeMutablePointer<UInt8>
    var lines: [Int] = []
    var rawRanges: [Range<Int>] = []
    let speculativeEnd: Bool
    var carry: (offset: Int, line: Int)?
    var quarantined: [QuarantinedRecord] = []
    var counts: RowCounts
    /// What the piece had produced when the current record's first line began: records that a
    /// bare CR ends inside that line (or a later one of the record) are undone when the record is
    /// carried to the next piece, which parses those lines again.
    var atRecordStart = (counts: RowCounts(), quarantined: 0, rows: 0)

    // The record being parsed.
    var column = 0
    var nonASCII = false
    var recordStart = 0
    var recordLine = 0
    var lineEnd = 0
    // The scan.
    var pos = 0
    var line = 0
    var inRecord = false
    var recordLines = 0
    var physicalLines = 0

    init(extractor: CSVExtractor, layout: CSVExtractor.FileLayout, piece: ExtractionPiece,
         bytes: UnsafeBufferPointer<UInt8>, counts: RowCounts) {
        base = bytes.baseAddress!
        start = piece.startOffset
        end = piece.endOffset
        firstLine = piece.firstLine
        fileIndex = piece.file.index
        target = layout.target
        rank = layout.rank
        headerFieldCount = layout.headerFieldCount
        missing = layout.missing
        fieldCount = extractor.fields.count
        maxRecordLines = extractor.maxRecordLines
        speculativeEnd = piece.speculativeEnd
        initial = counts
        self.counts = counts
        let rows = max(16, (end - start) / 100)
        let bytesPerColumn = (end - start) / max(1, headerFieldCount) + 64
        columns = ColumnBuilder.allocate(count: fieldCount, rows: rows, bytes: bytesPerColumn)
        pending = .allocate(capacity: max(1, fieldCount))
        pending.initialize(repeating: .null, count: max(1, fieldCount))
        pendingRank = .allocate(capacity: max(1, fieldCount))
        pendingRank.initialize(repeating: .max, count: max(1, fieldCount))
        lines.reserveCapacity(rows)
        rawRanges.reserveCapacity(rows)
        pos = start
        line = firstLine
    }

    /// Called by libcsv for every field.
    @inline(__always)
    mutating func field(_ data: UnsafeMutableRawPointer?, _ length: Int) {
        let c = column
        column = c + 1
        guard c < target.count, length > 0, let data else { return }
        let f = Int(target[c])
        guard f >= 0 else { return }
        let r = rank[c]
        guard pending[f].isNull || r < pendingRank[f] else { return }
        if !nonASCII, !isASCII(data, length) { nonASCII = true }
        pending[f] = columns[f].appendBytes(data, length)
        pendingRank[f] = r
    }

    /// Called by libcsv at the end of every record.
    mutating func recordEnded() {
        counts.records += 1
        defer { resetRecord() }
        if !missing.isEmpty {
            reject(.missingColumn, "the file's header has no column " + missing.map { "'\($0)'" }.joined(separator: ", "))
        } else if column != headerFieldCount {
            reject(.wrongFieldCount, "expected \(headerFieldCount) fields, found \(column)")
        } else if nonASCII, !pendingIsValidUTF8() {
            reject(.invalidUTF8, "a field is not valid UTF-8")
        } else {
            for f in 0..<fieldCount { columns[f].appendSpan(pending[f]) }
            lines.append(recordLine)
            rawRanges.append(recordStart..<lineEnd)
            counts.loaded += 1
        }
    }

    @inline(__always)
    mutating func resetRecord() {
        column = 0
        nonASCII = false
        for f in 0..<fieldCount {
            pending[f] = .null
            pendingRank[f] = .max
        }
    }

    func pendingIsValidUTF8() -> Bool {
        for f in 0..<fieldCount where !pending[f].isNull {
            let span = pending[f]
            let value = UnsafeBufferPointer(start: columns[f].bytes + Int(span.offset), count: Int(span.length))
            if !UTF8Validation.isValid(value) { return false }
        }
        return true
    }

    /// Quarantines the current record, with the physical lines it spans so far.
    mutating func reject(_ reason: QuarantineReason, _ detail: String) {
        var stop = lineEnd
        while stop > recordStart, base[stop - 1] == 0x0A || base[stop - 1] == 0x0D { stop -= 1 }
        let raw = Array(UnsafeBufferPointer(start: base + recordStart, count: max(0, stop - recordStart)))
        quarantined.append(QuarantinedRecord(fileIndex: fileIndex, line: recordLine, reason: reason,
                                             detail: detail, raw: raw))
        counts.quarantined += 1
    }

    /// Gives up on the current record and resumes parsing at its second physical line. Only the
    /// record's first line is quarantined: the lines after it are parsed again as records.
    mutating func resync(_ driver: LineFedParser, _ reason: QuarantineReason, _ detail: String) {
        lineEnd = nextLineStart(base, recordStart, end)
        reject(reason, detail)
        csv_free(parser)
        parser.pointee = driver.makeParser()
        resetRecord()
        counts.records += 1
        counts.recordLines += 1
        physicalLines -= recordLines - 1
        var next = recordStart
        while next < end, base[next] != 0x0A { next += 1 }
        pos = min(end, next + 1)
        line = recordLine + 1
        inRecord = false
    }

    /// Undoes the records completed since the current record's first line began (a bare CR ends
    /// a record inside a line): the piece that the record is carried to parses those lines again.
    mutating func undoSinceRecordStart() {
        let mark = atRecordStart
        guard counts.records != mark.counts.records else { return }
        let rows = lines.count - mark.rows
        for f in 0..<fieldCount { columns[f].spanCount -= rows }
        lines.removeLast(rows)
        rawRanges.removeLast(rows)
        quarantined.removeLast(quarantined.count - mark.quarantined)
        counts = mark.counts
    }

    /// Feeds libcsv one physical line at a time (see `LineFedParser`).
    mutating func parseAll(_ driver: LineFedParser, context: UnsafeMutableRawPointer) {
        let onField: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { data, len, ctx in
            ctx.unsafelyUnwrapped.assumingMemoryBound(to: PieceParse.self).pointee.field(data, len)
        }
        let onRecord: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, ctx in
            ctx.unsafelyUnwrapped.assumingMemoryBound(to: PieceParse.self).pointee.recordEnded()
        }
        // libcsv's callbacks mutate this struct through `context` while `csv_parse` runs; this
        // method only touches its own fields between those calls.
        let me = context.assumingMemoryBound(to: PieceParse.self)
        while true {
            if me.pointee.pos >= end {
                guard me.pointee.inRecord else { break }
                if speculativeEnd {
                    // The cut fell inside this record: hand it to the next piece, uncounted.
                    me.pointee.carry = (me.pointee.recordStart, me.pointee.recordLine)
                    me.pointee.physicalLines -= me.pointee.recordLines
                    me.pointee.undoSinceRecordStart()
                    break
                }
                // The piece ended inside a quoted field; the lines after the record's first one
                // are parsed again as records.
                me.pointee.resync(driver, .unterminatedQuote, "a quoted field is not closed before the end of the file")
                continue
            }
            let pos = me.pointee.pos
            let next = nextLineStart(base, pos, end)
            if !me.pointee.inRecord {
                if isBlank(base, pos, next) {
                    me.pointee.counts.blankLines += 1
                    me.pointee.physicalLines += 1
                    me.pointee.pos = next
                    me.pointee.line += 1
                    continue
                }
                me.pointee.inRecord = true
                me.pointee.recordLines = 0
                me.pointee.recordStart = pos
                me.pointee.recordLine = me.pointee.line
                me.pointee.atRecordStart = (me.pointee.counts, me.pointee.quarantined.count, me.pointee.lines.count)
            }
            me.pointee.recordLines += 1
            me.pointee.physicalLines += 1
            me.pointee.lineEnd = next
            let length = next - pos
            let used = csv_parse(parser, base + pos, length, onField, onRecord, context)
            if used < length {
                me.pointee.resync(driver, .malformedQuotes, "a quote character where the CSV format does not allow one")
                continue
            }
            me.pointee.pos = next
            me.pointee.line += 1
            if parser.pointee.pstate == ROW_NOT_BEGUN {
                me.pointee.counts.recordLines += me.pointee.recordLines
                me.pointee.inRecord = false
            } else if base[next - 1] != 0x0A {
                // The file's last line has no line break: flush the record.
                if csv_fini(parser, onField, onRecord, context) != 0 {
                    me.pointee.resync(driver, .unterminatedQuote, "a quoted field is not closed before the end of the file")
                    continue
                }
                me.pointee.counts.recordLines += me.pointee.recordLines
                me.pointee.inRecord = false
            } else if me.pointee.recordLines >= maxRecordLines {
                me.pointee.resync(driver, .unterminatedQuote, "a quoted field is not closed within \(maxRecordLines) lines")
            }
        }
    }

    /// The batch, quarantine and counts of the piece; frees the builders.
    mutating func output() -> ExtractionOutput {
        var batch = RecordBatch(columnCount: 0)
        batch.columns = ColumnBuilder.finishAll(columns, count: fieldCount)
        batch.lines = lines
        batch.rawRanges = rawRanges
        pending.deallocate()
        pendingRank.deallocate()
        counts.physicalLines += physicalLines + initial.headerLines + initial.blankLines
        var output = ExtractionOutput(batch: batch, quarantined: quarantined, counts: counts,
                                      raw: FileBytes(UnsafeRawBufferPointer(start: base, count: end)))
        output.carry = carry
        return output
    }
}
