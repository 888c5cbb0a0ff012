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
/// Files are cut into pieces at record boundaries by a quote-aware scan, so pieces are parsed in
/// parallel. libcsv is fed one physical line at a time, which gives exact line numbers and lets a
/// malformed record be skipped without losing the records after it.
public struct CSVExtractor: Extractor {
    public struct Field: Sendable {
        public var name: String
        /// Candidate header names; the first non-empty value wins.
        public var columns: [String]
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

    public var fieldNames: [String] { fields.map(\.name) }

    // MARK: - Planning

    /// What the pieces of one file share: how header positions map to fields.
    struct FileLayout: Sendable {
        var headerFieldCount: Int
        /// For each header position: the field it feeds, or -1.
        var target: [Int32]
        /// For each header position: its rank among the field's candidate columns (0 = preferred).
        var rank: [UInt8]
        /// Mapped columns the header lacks; non-empty makes every record of the file quarantined.
        var missing: [String]
    }

    public func plan(_ file: InputFile, bytes: FileBytes, targetPieceSize: Int) -> [ExtractionPiece] {
        let base = bytes.base.bindMemory(to: UInt8.self)
        var start = 0
        if base.count >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { start = 3 }

        // The header is the first non-blank record.
        var parser = LineFedParser(extractor: self, layout: nil)
        let header = parser.parseHeader(base, from: start)
        let layout = makeLayout(header: header.names)

        var pieces: [ExtractionPiece] = []
        var scan = BoundaryScanner(quote: quote, maxRecordLines: maxRecordLines)
        scan.cut(base, from: header.endOffset, firstLine: header.endLine, target: max(1, targetPieceSize)) { from, to, line in
            pieces.append(ExtractionPiece(file: file, ordinal: pieces.count, startOffset: from, endOffset: to,
                                          firstLine: line, context: layout))
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

    func makeLayout(header: [String]) -> FileLayout {
        var target = [Int32](repeating: -1, count: header.count)
        var rank = [UInt8](repeating: 0, count: header.count)
        var missing: [String] = []
        let normalized = header.map { $0.trimmingCharacters(in: " \t") }
        for (f, field) in fields.enumerated() {
            var foundAny = false
            for (r, column) in field.columns.enumerated() {
                let position = normalized.firstIndex(of: column)
                    ?? normalized.firstIndex { $0.lowercased() == column.lowercased() }
                if let position, target[position] == -1 {
                    target[position] = Int32(f)
                    rank[position] = UInt8(min(r, 255))
                    foundAny = true
                }
            }
            if !foundAny { missing.append(field.columns.joined(separator: " or ")) }
        }
        return FileLayout(headerFieldCount: header.count, target: target, rank: rank, missing: missing)
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
        let base = bytes.base.bindMemory(to: UInt8.self)
        var parser = LineFedParser(extractor: self, layout: layout)
        return parser.run(base, piece: piece, counts: counts)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

// MARK: - Record boundaries

/// Finds record boundaries by quote parity: a line break ends a record when the record holds an
/// even number of quote characters so far. It mirrors the parser's recovery rule (a record that
/// spans more than `maxRecordLines` lines restarts at its second line), so that the cut points
/// are the same whatever the number of jobs.
struct BoundaryScanner {
    var quote: UInt8
    var maxRecordLines: Int

    func cut(_ p: UnsafeBufferPointer<UInt8>, from start: Int, firstLine: Int, target: Int,
             emit: (_ from: Int, _ to: Int, _ firstLine: Int) -> Void) {
        let end = p.count
        guard start < end, let base = p.baseAddress else { return }
        let lf = UInt8(ascii: "\n")
        var pos = start
        var line = firstLine
        var inQuote = false
        var recordStart = start
        var recordLine = firstLine
        var pieceStart = start
        var pieceLine = firstLine
        while pos < end {
            let b = base[pos]
            if b == quote {
                inQuote.toggle()
            } else if b == lf {
                line += 1
                if !inQuote {
                    if pos + 1 - pieceStart >= target {
                        emit(pieceStart, pos + 1, pieceLine)
                        pieceStart = pos + 1
                        pieceLine = line
                    }
                    recordStart = pos + 1
                    recordLine = line
                } else if line - recordLine >= maxRecordLines {
                    // The parser gives up on this record and resumes at its second line.
                    var second = recordStart
                    while base[second] != lf { second += 1 }
                    pos = second + 1
                    line = recordLine + 1
                    inQuote = false
                    recordStart = pos
                    recordLine = line
                    continue
                }
            }
            pos += 1
        }
        if pieceStart < end { emit(pieceStart, end, pieceLine) }
    }
}

// MARK: - The libcsv driver

private let ROW_NOT_BEGUN: Int32 = 0

/// Feeds libcsv one physical line at a time and collects fields into columns.
///
/// The C callbacks reach this state through an unmanaged pointer to `Sink`, a class whose stored
/// properties are only touched by the thread running this parser.
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
            let next = nextLineStart(p, pos)
            if names.list.isEmpty, parser.pstate == ROW_NOT_BEGUN, isBlank(p, pos, next) {
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
        if !names.done, !names.list.isEmpty || parser.pstate != ROW_NOT_BEGUN {
            csv_fini(&parser, { data, len, ctx in
                let n = Unmanaged<Names>.fromOpaque(ctx!).takeUnretainedValue()
                let bytes = data.map { UnsafeBufferPointer(start: $0.assumingMemoryBound(to: UInt8.self), count: len) }
                n.list.append(bytes.map { String(decoding: $0, as: UTF8.self) } ?? "")
            }, nil, context)
        }
        return Header(names: names.list, endOffset: pos, endLine: line, lines: lines, blankLines: blank)
    }

    /// State reached from the C callbacks.
    final class Sink {
        var batch: RecordBatch
        var quarantined: [QuarantinedRecord] = []
        var counts: RowCounts
        let target: [Int32]
        let rank: [UInt8]
        let headerFieldCount: Int
        let missing: [String]
        let fieldCount: Int
        let fileIndex: Int
        // The record being parsed.
        var column = 0
        var pending: [Span]
        var pendingRank: [UInt8]
        var nonASCII = false
        var recordStart = 0
        var recordLine = 0
        var lineEnd = 0
        let base: UnsafePointer<UInt8>

        init(layout: CSVExtractor.FileLayout, fieldCount: Int, fileIndex: Int, counts: RowCounts,
             base: UnsafePointer<UInt8>, estimatedRows: Int) {
            target = layout.target
            rank = layout.rank
            headerFieldCount = layout.headerFieldCount
            missing = layout.missing
            self.fieldCount = fieldCount
            self.fileIndex = fileIndex
            self.counts = counts
            self.base = base
            batch = RecordBatch(columnCount: fieldCount, reservingRows: estimatedRows, bytesPerColumn: estimatedRows * 12)
            pending = Array(repeating: .null, count: fieldCount)
            pendingRank = Array(repeating: .max, count: fieldCount)
        }

        @inline(__always)
        func field(_ data: UnsafeMutableRawPointer?, _ length: Int) {
            let c = column
            column = c + 1
            guard c < target.count, length > 0, let data else { return }
            let f = Int(target[c])
            guard f >= 0 else { return }
            let r = rank[c]
            guard pending[f].isNull || r < pendingRank[f] else { return }
            let bytes = UnsafeRawBufferPointer(start: data, count: length)
            if !nonASCII {
                for b in bytes where b >= 0x80 { nonASCII = true; break }
            }
            let offset = UInt32(truncatingIfNeeded: batch.columns[f].bytes.count)
            batch.columns[f].bytes.append(contentsOf: bytes)
            pending[f] = Span(offset: offset, length: UInt32(truncatingIfNeeded: length))
            pendingRank[f] = r
        }

        func recordEnded() {
            counts.records += 1
            defer {
                column = 0
                nonASCII = false
                for f in 0..<fieldCount { pending[f] = .null; pendingRank[f] = .max }
            }
            if !missing.isEmpty {
                reject(.missingColumn, "the file's header has no column " + missing.map { "'\($0)'" }.joined(separator: ", "))
                return
            }
            if column != headerFieldCount {
                reject(.wrongFieldCount, "expected \(headerFieldCount) fields, found \(column)")
                return
            }
            if nonASCII, !pendingIsValidUTF8() {
                reject(.invalidUTF8, "a field is not valid UTF-8")
                return
            }
            for f in 0..<fieldCount { batch.columns[f].spans.append(pending[f]) }
            batch.lines.append(recordLine)
            counts.loaded += 1
        }

        func pendingIsValidUTF8() -> Bool {
            for f in 0..<fieldCount where !pending[f].isNull {
                let span = pending[f]
                let ok = batch.columns[f].bytes.withUnsafeBufferPointer { all in
                    UTF8Validation.isValid(UnsafeBufferPointer(rebasing: all[Int(span.offset)..<Int(span.offset + span.length)]))
                }
                if !ok { return false }
            }
            return true
        }

        /// Quarantines the current record, with the physical lines it spans so far.
        func reject(_ reason: QuarantineReason, _ detail: String, through end: Int? = nil) {
            var stop = end ?? lineEnd
            while stop > recordStart, base[stop - 1] == 0x0A || base[stop - 1] == 0x0D { stop -= 1 }
            let raw = Array(UnsafeBufferPointer(start: base + recordStart, count: max(0, stop - recordStart)))
            quarantined.append(QuarantinedRecord(fileIndex: fileIndex, line: recordLine, reason: reason,
                                                 detail: detail, raw: raw))
            counts.quarantined += 1
        }

        func resetRecord() {
            column = 0
            nonASCII = false
            for f in 0..<fieldCount { pending[f] = .null; pendingRank[f] = .max }
        }
    }

    mutating func run(_ p: UnsafeBufferPointer<UInt8>, piece: ExtractionPiece, counts initial: RowCounts) -> ExtractionOutput {
        let layout = layout!
        let base = p.baseAddress!
        let end = piece.endOffset
        let sink = Sink(layout: layout, fieldCount: extractor.fields.count, fileIndex: piece.file.index,
                        counts: initial, base: base, estimatedRows: max(16, (end - piece.startOffset) / 120))
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var parser = makeParser()
        defer { csv_free(&parser) }

        let onField: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { data, len, ctx in
            Unmanaged<Sink>.fromOpaque(ctx!).takeUnretainedValue().field(data, len)
        }
        let onRecord: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, ctx in
            Unmanaged<Sink>.fromOpaque(ctx!).takeUnretainedValue().recordEnded()
        }

        var pos = piece.startOffset
        var line = piece.firstLine
        var inRecord = false
        var recordLines = 0
        var physicalLines = 0

        /// Gives up on the current record and resumes parsing at its second physical line.
        func resync(_ reason: QuarantineReason, _ detail: String) {
            sink.reject(reason, detail)
            csv_free(&parser)
            parser = makeParser()
            sink.resetRecord()
            sink.counts.records += 1
            sink.counts.recordLines += 1
            physicalLines -= recordLines - 1
            pos = nextLineStart(p, sink.recordStart, limit: end)
            line = sink.recordLine + 1
            inRecord = false
        }

        while true {
            if pos >= end {
                guard inRecord else { break }
                // The piece ended inside a quoted field; the lines after the record's first one
                // are parsed again as records.
                resync(.unterminatedQuote, "a quoted field is not closed before the end of the file")
                continue
            }
            let next = nextLineStart(p, pos, limit: end)
            if !inRecord {
                if isBlank(p, pos, next) {
                    sink.counts.blankLines += 1
                    physicalLines += 1
                    pos = next
                    line += 1
                    continue
                }
                inRecord = true
                recordLines = 0
                sink.recordStart = pos
                sink.recordLine = line
            }
            recordLines += 1
            physicalLines += 1
            sink.lineEnd = next
            let length = next - pos
            let used = csv_parse(&parser, base + pos, length, onField, onRecord, context)
            if used < length {
                resync(.malformedQuotes, "a quote character where the CSV format does not allow one")
                continue
            }
            pos = next
            line += 1
            if parser.pstate == ROW_NOT_BEGUN {
                sink.counts.recordLines += recordLines
                inRecord = false
            } else if base[next - 1] != 0x0A {
                // The file's last line has no line break: flush the record.
                if csv_fini(&parser, onField, onRecord, context) != 0 {
                    resync(.unterminatedQuote, "a quoted field is not closed before the end of the file")
                    continue
                }
                sink.counts.recordLines += recordLines
                inRecord = false
            } else if recordLines >= extractor.maxRecordLines {
                resync(.unterminatedQuote, "a quoted field is not closed within \(extractor.maxRecordLines) lines")
            }
        }
        sink.counts.physicalLines += physicalLines + sink.counts.headerLines + initial.blankLines
        return ExtractionOutput(batch: sink.batch, quarantined: sink.quarantined, counts: sink.counts)
    }
}

@inline(__always)
func nextLineStart(_ p: UnsafeBufferPointer<UInt8>, _ pos: Int, limit: Int? = nil) -> Int {
    let end = limit ?? p.count
    guard pos < end else { return end }
    if let found = memchr(p.baseAddress! + pos, 0x0A, end - pos) {
        return UnsafeRawPointer(found) - UnsafeRawPointer(p.baseAddress!) + 1
    }
    return end
}

@inline(__always)
func isBlank(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
    var i = from
    while i < to {
        let b = p[i]
        if b != 0x0A && b != 0x0D && b != 0x20 && b != 0x09 { return false }
        i += 1
    }
    return true
}
