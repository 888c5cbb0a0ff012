import Foundation
import TributaryCore

/// `format: fixed_width`: legacy point-of-sale dumps where each field sits at fixed columns.
///
/// A layout gives each field a 1-based start and a length, in characters (in ISO-8859-1 and
/// Windows-1252 a character is a byte; in UTF-8 a character is a Unicode scalar). Values are trimmed
/// of leading and trailing spaces; an empty value is NULL.
///
/// With `record_types`, a code at a fixed position tells header, detail and trailer lines apart.
/// Header and trailer lines are control lines (counted in `headerLines`); detail lines are the
/// records. A header and its details up to the next trailer form a block; the trailer's stated
/// record count and amount total are checked against the block's valid detail records and the
/// results are returned as `ReconciliationCheck`s. Valid means not quarantined for any reason: the
/// extractor leaves out the lines it quarantines, and each check carries a tally of the records it
/// loaded, so that the runtime recomputes it without those that field types or validity rules
/// quarantine later (`ExtractionOutput.settleChecks`). Duplicates and filtered records are valid
/// records and stay counted. Fields of the block's header can be copied onto its detail records
/// (`header.<name>`). Pieces are cut only after a trailer line (or, without trailers, before a
/// header line), so a block is never split.
///
/// The record length of a detail line is `record_length` when the source declares it, else the end
/// of the last layout field (or of the record type code, if that ends later).
///
/// Quarantined: a line whose record type is not declared (`unknown_record_type`), a detail line
/// shorter than the record length (`bad_record_length`, unless `short_lines: pad`) or longer
/// (`bad_record_length`, unless `long_lines: allow`), a detail line with bytes that are not text in
/// the encoding (`invalid_utf8`). Header and trailer lines are never quarantined: a field past the
/// end of a short control line reads as blank, which makes its reconciliation fail visibly.
public struct FixedWidthExtractor: Extractor {
    /// A field of a record layout: 1-based start and length, in characters.
    public struct LayoutField: Sendable, Equatable {
        public var name: String
        public var start: Int
        public var length: Int

        public init(_ name: String, start: Int, length: Int) {
            self.name = name
            self.start = start
            self.length = length
        }

        /// The first character after the field (the record length it needs).
        var end: Int { start - 1 + length }
    }

    /// The layouts of the three kinds of records.
    public struct Layouts: Sendable, Equatable {
        public var detail: [LayoutField]
        public var header: [LayoutField]
        public var trailer: [LayoutField]

        public init(detail: [LayoutField], header: [LayoutField] = [], trailer: [LayoutField] = []) {
            self.detail = detail
            self.header = header
            self.trailer = trailer
        }
    }

    public enum LayoutSource: Sendable {
        case inline(Layouts)
        /// A CSV file with the columns `field,start,length` and optionally `record` (`detail`,
        /// `header` or `trailer`; default `detail`). Read when a file is planned.
        case file(String)
    }

    /// Where the record type code is and which codes mean what.
    public struct RecordTypes: Sendable {
        /// 1-based start and length of the code, in characters.
        public var start: Int
        public var length: Int
        public var detail: [String]
        public var header: [String]
        public var trailer: [String]

        public init(start: Int, length: Int, detail: [String], header: [String] = [], trailer: [String] = []) {
            self.start = start
            self.length = length
            self.detail = detail
            self.header = header
            self.trailer = trailer
        }
    }

    /// What each trailer states about its block.
    public struct Reconciliation: Sendable {
        /// Trailer field holding the number of detail records of the block.
        public var count: String?
        /// Trailer field holding the sum of `sum` over the block's detail records, in whole cents.
        public var total: String?
        /// Detail field summed for `total`, in whole cents.
        public var sum: String?

        public init(count: String? = nil, total: String? = nil, sum: String? = nil) {
            self.count = count
            self.total = total
            self.sum = sum
        }
    }

    public enum ShortLines: String, Sendable, CaseIterable {
        /// A detail line shorter than its record length is quarantined (`bad_record_length`).
        case quarantine
        /// The missing characters are read as spaces (some exports strip trailing blanks).
        case pad
    }

    public enum LongLines: String, Sendable, CaseIterable {
        /// A detail line longer than its record length is quarantined (`bad_record_length`).
        case quarantine
        /// The characters past the record length are ignored (exports that append fields the
        /// layout does not describe).
        case allow
    }

    /// An output field: a detail layout field, or `header.<name>` for a field of the block's header;
    /// with several, the first non-empty value wins.
    public struct Field: Sendable {
        public var definition: FieldDefinition
        public var locators: [String]

        public var name: String { definition.name }

        public init(name: String, locators: [String], type: FieldType = .string) {
            definition = FieldDefinition(name: name, type: type)
            self.locators = locators
        }

        public init(_ definition: FieldDefinition, locators: [String]) {
            self.definition = definition
            self.locators = locators
        }
    }

    public var fields: [Field]
    public var layout: LayoutSource
    /// The folder a relative layout file path is resolved against; nil means the current directory.
    /// (A pipeline's `layout_file` is made absolute by the loader, relative to the pipeline file.)
    public var baseDirectory: String?
    public var encoding: TextEncoding
    public var recordTypes: RecordTypes?
    public var reconciliation: Reconciliation?
    public var shortLines: ShortLines
    /// The declared length of a detail record, in characters (without the line end); nil: the end
    /// of the last layout field (or of the record type code).
    public var recordLength: Int?
    public var longLines: LongLines

    public init(fields: [Field], layout: LayoutSource, baseDirectory: String? = nil, encoding: TextEncoding = .utf8,
                recordTypes: RecordTypes? = nil, reconciliation: Reconciliation? = nil, shortLines: ShortLines = .quarantine,
                recordLength: Int? = nil, longLines: LongLines = .quarantine) {
        self.fields = fields
        self.layout = layout
        self.baseDirectory = baseDirectory
        self.encoding = encoding
        self.recordTypes = recordTypes
        self.reconciliation = reconciliation
        self.shortLines = shortLines
        self.recordLength = recordLength
        self.longLines = longLines
    }

    public var fieldDefinitions: [FieldDefinition] { fields.map(\.definition) }

    static let headerPrefix = "header."

    // MARK: - Layouts

    /// The layouts with every name resolved to a slot: what the pieces of one file share.
    struct Resolved: Sendable {
        enum Kind: Sendable { case detail, header, trailer }

        struct Slot: Sendable {
            /// 0-based first character and the character after the last.
            var from: Int
            var to: Int
        }

        struct Candidate: Sendable {
            var fromHeader: Bool
            var slot: Int
        }

        var detail: [Slot] = []
        var header: [Slot] = []
        var trailer: [Slot] = []
        /// For each output field, its candidates in order.
        var candidates: [[Candidate]] = []
        /// The characters a detail line must have (at least; exactly unless `long_lines: allow`).
        var detailLength = 0
        var countSlot: Int?
        var totalSlot: Int?
        var sumSlot: Int?
        /// The layout cannot be used (a layout file that cannot be read, a field it lacks): every
        /// detail record of the file is quarantined (`missing_column`) with this detail, and no
        /// reconciliation is made.
        var problem: String?
    }

    /// Resolves names; a problem is reported in `problem` (an inline layout was already checked
    /// when the pipeline was loaded, so only a layout file can have one).
    func resolve(_ layouts: Layouts) -> Resolved {
        var resolved = Resolved()
        func slots(_ fields: [LayoutField]) -> [Resolved.Slot] { fields.map { .init(from: $0.start - 1, to: $0.end) } }
        resolved.detail = slots(layouts.detail)
        resolved.header = slots(layouts.header)
        resolved.trailer = slots(layouts.trailer)
        let fieldsEnd = max(layouts.detail.map(\.end).max() ?? 0, recordTypes.map { $0.start - 1 + $0.length } ?? 0)
        resolved.detailLength = recordLength ?? fieldsEnd
        var problems: [String] = []
        if let recordLength, let last = layouts.detail.max(by: { $0.end < $1.end }), last.end > recordLength {
            problems.append("the layout field '\(last.name)' ends at character \(last.end), past the record_length \(recordLength)")
        }
        for field in fields {
            var candidates: [Resolved.Candidate] = []
            for locator in field.locators {
                if locator.hasPrefix(Self.headerPrefix) {
                    let name = String(locator.dropFirst(Self.headerPrefix.count))
                    if let i = layouts.header.firstIndex(where: { $0.name == name }) {
                        candidates.append(.init(fromHeader: true, slot: i))
                    } else {
                        problems.append("the header layout has no field '\(name)'")
                    }
                } else if let i = layouts.detail.firstIndex(where: { $0.name == locator }) {
                    candidates.append(.init(fromHeader: false, slot: i))
                } else {
                    problems.append("the layout has no field '\(locator)'")
                }
            }
            resolved.candidates.append(candidates)
        }
        if let reconciliation {
            func trailerSlot(_ name: String?) -> Int? {
                guard let name else { return nil }
                if let i = layouts.trailer.firstIndex(where: { $0.name == name }) { return i }
                problems.append("the trailer layout has no field '\(name)'")
                return nil
            }
            resolved.countSlot = trailerSlot(reconciliation.count)
            resolved.totalSlot = trailerSlot(reconciliation.total)
            if let sum = reconciliation.sum {
                resolved.sumSlot = layouts.detail.firstIndex { $0.name == sum }
                if resolved.sumSlot == nil { problems.append("the layout has no field '\(sum)'") }
            }
        }
        if !problems.isEmpty { resolved.problem = problems.joined(separator: "; ") }
        return resolved
    }

    /// The layouts of this extractor: inline, or read from the layout file now.
    func loadLayouts() -> Result<Layouts, LayoutFileError> {
        switch layout {
        case .inline(let layouts): return .success(layouts)
        case .file(let path):
            let full = path.hasPrefix("/") ? path
                : URL(fileURLWithPath: baseDirectory ?? FileManager.default.currentDirectoryPath)
                    .appendingPathComponent(path).standardized.path
            guard let data = FileManager.default.contents(atPath: full) else {
                return .failure(LayoutFileError(message: "cannot read layout file \(full)"))
            }
            return LayoutFile.parse(String(decoding: data, as: UTF8.self)).mapError {
                LayoutFileError(message: "layout file \(full): \($0.message)")
            }
        }
    }

    // MARK: - Planning

    public func plan(_ file: InputFile, bytes: FileBytes, targetPieceSize: Int) -> [ExtractionPiece] {
        var resolved: Resolved
        switch loadLayouts() {
        case .success(let layouts): resolved = resolve(layouts)
        case .failure(let error):
            resolved = Resolved()
            resolved.candidates = fields.map { _ in [] }
            resolved.problem = error.message
        }
        let p = bytes.base.bindMemory(to: UInt8.self)
        var start = 0
        if encoding == .utf8, p.count >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { start = 3 }

        var pieces: [ExtractionPiece] = []
        let emit = { (from: Int, to: Int, firstLine: Int) in
            pieces.append(ExtractionPiece(file: file, ordinal: pieces.count, startOffset: from, endOffset: to,
                                          firstLine: firstLine, context: resolved))
        }
        let target = max(1, targetPieceSize)
        if let types = recordTypes, !types.trailer.isEmpty || !types.header.isEmpty, let base = p.baseAddress {
            // Cut after a trailer line, or (without trailers) before a header line.
            let classifier = TypeClassifier(types, utf8: encoding == .utf8)
            let afterTrailer = !types.trailer.isEmpty
            var pieceStart = start
            var pieceLine = 1
            var pos = start
            var line = 1
            while pos < p.count {
                let next = nextLineStart(base, pos, p.count)
                let kind = classifier.kind(base, pos, LineCutter.contentEnd(base, pos, next))
                if afterTrailer {
                    if kind == .trailer, next - pieceStart >= target {
                        emit(pieceStart, next, pieceLine)
                        pieceStart = next
                        pieceLine = line + 1
                    }
                } else if kind == .header, pos > pieceStart, pos - pieceStart >= target {
                    emit(pieceStart, pos, pieceLine)
                    pieceStart = pos
                    pieceLine = line
                }
                pos = next
                line += 1
            }
            if pieceStart < p.count { emit(pieceStart, p.count, pieceLine) }
        } else {
            LineCutter.cut(p, from: start, firstLine: 1, target: target, emit: emit)
        }
        if pieces.isEmpty { emit(start, start, 1) }
        return pieces
    }

    // MARK: - Extraction

    public func extract(_ piece: ExtractionPiece, bytes: FileBytes) -> ExtractionOutput {
        let resolved = piece.context as! Resolved
        let text = Transcoder(encoding).decode(bytes, piece.startOffset..<piece.endOffset)
        guard let base = text.base, text.start < text.end else {
            return ExtractionOutput(batch: RecordBatch(columnCount: fields.count), quarantined: [], counts: RowCounts(), raw: bytes)
        }
        var scan = FixedWidthScan(extractor: self, resolved: resolved, text: text, base: base,
                                  firstLine: piece.firstLine, fileIndex: piece.file.index)
        scan.run()
        var output = scan.output()
        output.rawOwner = text.owner
        return output
    }
}

// MARK: - Record types

extension FixedWidthExtractor {
    /// Reads a line's record type code.
    struct TypeClassifier {
        enum Kind: Equatable { case detail, header, trailer, unknown, tooShort }

        let from: Int
        let to: Int
        let codes: [([UInt8], Kind)]
        /// Whether positions count UTF-8 scalars (else bytes: single-byte encodings, before decoding).
        let utf8: Bool

        init(_ types: FixedWidthExtractor.RecordTypes, utf8: Bool) {
            from = types.start - 1
            to = types.start - 1 + types.length
            codes = types.detail.map { (Array($0.utf8), Kind.detail) } + types.header.map { (Array($0.utf8), .header) }
                + types.trailer.map { (Array($0.utf8), .trailer) }
            self.utf8 = utf8
        }

        func kind(_ base: UnsafePointer<UInt8>, _ lineStart: Int, _ lineEnd: Int) -> Kind {
            // Skip to the code's first character.
            var i = lineStart
            var chars = 0
            var codeStart = -1
            while i < lineEnd, chars < to {
                if chars == from { codeStart = i }
                i += 1
                if utf8 { while i < lineEnd, base[i] & 0xC0 == 0x80 { i += 1 } }
                chars += 1
            }
            guard chars == to, codeStart >= 0 else { return .tooShort }
            return kind(of: base, codeStart, i)
        }

        /// The kind of the code in `base[from..<to]` (trimmed of spaces).
        func kind(of base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Kind {
            var a = from
            var b = to
            while a < b, base[a] == 0x20 { a += 1 }
            while b > a, base[b - 1] == 0x20 { b -= 1 }
            let code = UnsafeBufferPointer(start: base + a, count: b - a)
            for (bytes, kind) in codes where bytes.count == code.count && code.elementsEqual(bytes) { return kind }
            return .unknown
        }
    }

    // MARK: - Layout files

    struct LayoutFileError: Error, Sendable {
        var message: String
    }

    /// A layout file: CSV with a header row naming `field`, `start`, `length` and optionally `record`.
    ///
    ///     field,start,length,record
    ///     record_type,1,1,detail
    ///     store_id,2,4,detail
    ///     record_count,2,7,trailer
    ///
    /// Blank lines and lines starting with `#` are ignored. Values are not quoted.
    enum LayoutFile {
        static func parse(_ text: String) -> Result<FixedWidthExtractor.Layouts, LayoutFileError> {
            var layouts = FixedWidthExtractor.Layouts(detail: [])
            var columns: [String: Int]?
            for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
                if line.isEmpty || line.hasPrefix("#") { continue }
                let cells = line.split(separator: ",", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                guard let header = columns else {
                    let names = cells.map { $0.lowercased() }
                    var map: [String: Int] = [:]
                    for (i, name) in names.enumerated() { map[name] = i }
                    for required in ["field", "start", "length"] where map[required] == nil {
                        return .failure(LayoutFileError(message: "line \(index + 1): the header row lacks the column '\(required)' (expected field,start,length[,record])"))
                    }
                    columns = map
                    continue
                }
                func cell(_ name: String) -> String? {
                    guard let i = header[name], i < cells.count else { return nil }
                    return cells[i]
                }
                guard let name = cell("field"), !name.isEmpty else {
                    return .failure(LayoutFileError(message: "line \(index + 1): no field name"))
                }
                guard let start = cell("start").flatMap({ Int($0) }), start >= 1,
                      let length = cell("length").flatMap({ Int($0) }), length >= 1 else {
                    return .failure(LayoutFileError(message: "line \(index + 1): start and length must be whole numbers ≥ 1"))
                }
                let field = FixedWidthExtractor.LayoutField(name, start: start, length: length)
                let record = (cell("record") ?? "").lowercased()
                switch record {
                case "", "detail":
                    guard !layouts.detail.contains(where: { $0.name == name }) else {
                        return .failure(LayoutFileError(message: "line \(index + 1): field '\(name)' is defined twice"))
                    }
                    layouts.detail.append(field)
                case "header":
                    layouts.header.append(field)
                case "trailer":
                    layouts.trailer.append(field)
                default:
                    return .failure(LayoutFileError(message: "line \(index + 1): record must be detail, header or trailer"))
                }
            }
            if columns == nil { return .failure(LayoutFileError(message: "the file is empty")) }
            if layouts.detail.isEmpty { return .failure(LayoutFileError(message: "no detail field is defined")) }
            return .success(layouts)
        }
    }

    // MARK: - The scanner

    /// The state of extracting one piece of a fixed-width file (a struct with manually managed
    /// builders, as `PlainScan`).
    struct FixedWidthScan {
        typealias Slot = FixedWidthExtractor.Resolved.Slot

        let base: UnsafePointer<UInt8>
        let start: Int
        let end: Int
        let firstLine: Int
        let fileIndex: Int
        let text: DecodedText
        let resolved: FixedWidthExtractor.Resolved
        let classifier: TypeClassifier?
        let hasTrailers: Bool
        let pad: Bool
        let allowLong: Bool
        let fieldCount: Int

        var columns: UnsafeMutablePointer<ColumnBuilder>
        var lines: [Int] = []
        var rawRanges: [Range<Int>] = []
        var quarantined: [QuarantinedRecord] = []
        var checks: [ReconciliationCheck] = []
        var counts = RowCounts()

        // The current line.
        var lineStart = 0
        var lineEnd = 0
        var ascii = true
        /// For a line with non-ASCII text: the byte offset of each character, then the line's end.
        var charStarts: [Int] = []
        var charCount = 0

        // The current block.
        var blockOpen = false
        var blockLine = 0
        /// The lines of the block's loaded detail records, and what each adds to the total.
        var blockLines: [Int] = []
        var blockAmounts: [Int?] = []
        /// The header's values (byte ranges in `base`, trimmed; nil when blank).
        var headerValues: [Range<Int>?]

        init(extractor: FixedWidthExtractor, resolved: FixedWidthExtractor.Resolved, text: DecodedText,
             base: UnsafePointer<UInt8>, firstLine: Int, fileIndex: Int) {
            self.base = base
            start = text.start
            end = text.end
            self.firstLine = firstLine
            self.fileIndex = fileIndex
            self.text = text
            self.resolved = resolved
            classifier = extractor.recordTypes.map { TypeClassifier($0, utf8: true) }
            hasTrailers = !(extractor.recordTypes?.trailer.isEmpty ?? true)
            pad = extractor.shortLines == .pad
            allowLong = extractor.longLines == .allow
            fieldCount = extractor.fields.count
            let rows = max(16, (end - start) / 100)
            let bytesPerColumn = (end - start) / max(1, 2 * fieldCount) + 64
            columns = ColumnBuilder.allocate(count: fieldCount, rows: rows, bytes: bytesPerColumn)
            lines.reserveCapacity(rows)
            rawRanges.reserveCapacity(rows)
            headerValues = Array(repeating: nil, count: resolved.header.count)
        }

        mutating func run() {
            var pos = start
            var line = firstLine
            var cursor = 0
            while pos < end {
                let next = nextLineStart(base, pos, end)
                lineStart = pos
                lineEnd = LineCutter.contentEnd(base, pos, next)
                counts.physicalLines += 1
                defer {
                    pos = next
                    line += 1
                }
                if isBlank(base, lineStart, lineEnd) {
                    counts.blankLines += 1
                    continue
                }
                measure()
                var recordKind = TypeClassifier.Kind.detail
                if let classifier { recordKind = kind(of: classifier) }
                switch recordKind {
                case .header:
                    counts.headerLines += 1
                    if blockOpen, hasTrailers, resolved.problem == nil { missingTrailer(actual: "a header on line \(line)") }
                    resetBlock()
                    blockOpen = true
                    blockLine = line
                    for (i, slot) in resolved.header.enumerated() {
                        let value = range(slot)
                        headerValues[i] = value.isEmpty ? nil : value
                    }
                case .trailer:
                    counts.headerLines += 1
                    if resolved.problem == nil { reconcile(line) }
                    resetBlock()
                case .unknown:
                    record(line, reject: .unknownRecordType, "the record type code is not declared in record_types")
                case .tooShort:
                    record(line, reject: .badRecordLength, "the line ends before its record type code")
                case .detail:
                    if !blockOpen {
                        blockOpen = true
                        blockLine = line
                    }
                    if let problem = resolved.problem {
                        record(line, reject: .missingColumn, problem)
                    } else if let k = text.firstInvalid(in: lineStart..<next, cursor: &cursor) {
                        record(line, reject: .invalidUTF8, text.invalidDetail(k, recordStart: lineStart))
                    } else if (charCount < resolved.detailLength && !pad) || (charCount > resolved.detailLength && !allowLong) {
                        let expected = allowLong ? "at least \(resolved.detailLength)" : String(resolved.detailLength)
                        record(line, reject: .badRecordLength, "expected \(expected) characters, found \(charCount)")
                    } else {
                        load(line, next)
                    }
                }
            }
            // Pieces end just after a trailer, except the file's last: a block still open is unfinished.
            if blockOpen, hasTrailers, resolved.problem == nil { missingTrailer(actual: "the end of the file") }
        }

        /// Counts the current line's characters (and maps them to bytes unless it is ASCII).
        mutating func measure() {
            let length = lineEnd - lineStart
            ascii = isASCII(base + lineStart, length)
            if ascii {
                charCount = length
                return
            }
            charStarts.removeAll(keepingCapacity: true)
            for i in lineStart..<lineEnd where base[i] & 0xC0 != 0x80 { charStarts.append(i) }
            charCount = charStarts.count
            charStarts.append(lineEnd)
        }

        /// The byte offset of character `c` of the current line (clamped to the line's end).
        @inline(__always)
        func byteOffset(_ c: Int) -> Int {
            if c >= charCount { return lineEnd }
            return ascii ? lineStart + c : charStarts[c]
        }

        /// The bytes of a slot in the current line, trimmed of spaces; past the line's end reads blank.
        @inline(__always)
        func range(_ slot: Slot) -> Range<Int> {
            var a = byteOffset(slot.from)
            var b = byteOffset(slot.to)
            while a < b, base[a] == 0x20 { a += 1 }
            while b > a, base[b - 1] == 0x20 { b -= 1 }
            return a..<b
        }

        func kind(of classifier: TypeClassifier) -> TypeClassifier.Kind {
            guard charCount >= classifier.to else { return .tooShort }
            return classifier.kind(of: base, byteOffset(classifier.from), byteOffset(classifier.to))
        }

        mutating func load(_ line: Int, _ next: Int) {
            for f in 0..<fieldCount {
                var span = Span.null
                for candidate in resolved.candidates[f] {
                    let value: Range<Int>? = candidate.fromHeader ? headerValues[candidate.slot] : range(resolved.detail[candidate.slot])
                    if let value, !value.isEmpty {
                        span = columns[f].appendBytes(base + value.lowerBound, value.count)
                        break
                    }
                }
                columns[f].appendSpan(span)
            }
            lines.append(line)
            rawRanges.append(lineStart..<next)
            counts.records += 1
            counts.recordLines += 1
            counts.loaded += 1
            guard resolved.countSlot != nil || resolved.totalSlot != nil else { return }
            blockLines.append(line)
            if let slot = resolved.sumSlot { blockAmounts.append(WholeNumber.parse(base, range(resolved.detail[slot]))) }
        }

        mutating func record(_ line: Int, reject reason: QuarantineReason, _ detail: String) {
            counts.records += 1
            counts.recordLines += 1
            counts.quarantined += 1
            quarantined.append(QuarantinedRecord(fileIndex: fileIndex, line: line, reason: reason, detail: detail,
                                                 raw: Array(UnsafeBufferPointer(start: base + lineStart, count: lineEnd - lineStart))))
        }

        mutating func resetBlock() {
            blockOpen = false
            blockLines.removeAll()
            blockAmounts.removeAll()
            for i in headerValues.indices { headerValues[i] = nil }
        }

        /// The trailer's checks against the block's valid detail records: those loaded here, with a
        /// tally so that the records later stages quarantine can be left out.
        mutating func reconcile(_ line: Int) {
            func check(_ name: String, _ slot: Int, _ tally: ReconciliationCheck.Tally) {
                checks.append(ReconciliationCheck(fileIndex: fileIndex, line: line, check: name, expected: stated(resolved.trailer[slot]),
                                                  actual: tally.actual(excluding: []), tally: tally))
            }
            if let slot = resolved.countSlot { check("trailer record count", slot, .count(lines: blockLines)) }
            if let slot = resolved.totalSlot { check("trailer amount total", slot, .total(lines: blockLines, amounts: blockAmounts)) }
        }

        /// A value stated by the trailer: a whole number in canonical form, or the text as written.
        func stated(_ slot: Slot) -> String {
            let value = range(slot)
            if let number = WholeNumber.canonical(base, value) { return number }
            return value.isEmpty ? "blank" : String(decoding: UnsafeBufferPointer(start: base + value.lowerBound, count: value.count), as: UTF8.self)
        }

        mutating func missingTrailer(actual: String) {
            checks.append(ReconciliationCheck(fileIndex: fileIndex, line: blockLine, check: "block trailer",
                                              expected: "a trailer line", actual: actual))
        }

        mutating func output() -> ExtractionOutput {
            var batch = RecordBatch(columnCount: 0)
            batch.columns = ColumnBuilder.finishAll(columns, count: fieldCount)
            batch.lines = lines
            batch.rawRanges = rawRanges
            return ExtractionOutput(batch: batch, quarantined: quarantined, counts: counts, raw: text.raw, checks: checks)
        }
    }

    /// Whole numbers as legacy dumps write them: optional spaces, a sign before (`-12`, `+12`) or after
    /// (`12-`, COBOL style), leading zeros.
    enum WholeNumber {
        /// The sign and the digits, or nil if the text is not a whole number.
        static func split(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) -> (negative: Bool, digits: Range<Int>)? {
            var a = range.lowerBound
            var b = range.upperBound
            var negative = false
            if a < b, base[a] == UInt8(ascii: "-") || base[a] == UInt8(ascii: "+") {
                negative = base[a] == UInt8(ascii: "-")
                a += 1
            } else if a < b, base[b - 1] == UInt8(ascii: "-") {
                negative = true
                b -= 1
            }
            guard a < b else { return nil }
            for i in a..<b where base[i] < 0x30 || base[i] > 0x39 { return nil }
            return (negative, a..<b)
        }

        static func parse(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) -> Int? {
            guard let (negative, digits) = split(base, range) else { return nil }
            var value = 0
            for i in digits {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int(base[i] - 0x30))
                if o1 || o2 { return nil }
                value = plus
            }
            return negative ? -value : value
        }

        /// The number without leading zeros or a plus sign (any length), or nil.
        static func canonical(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) -> String? {
            guard let (negative, digits) = split(base, range) else { return nil }
            var a = digits.lowerBound
            while a < digits.upperBound - 1, base[a] == 0x30 { a += 1 }
            let text = String(decoding: UnsafeBufferPointer(start: base + a, count: digits.upperBound - a), as: UTF8.self)
            return negative && text != "0" ? "-" + text : text
        }
    }
}
