import TributaryCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `format: jsonl`: JSON-lines event logs (Segment, RudderStack, Snowplow exports), one JSON object
/// per line, plain or gzip-compressed (detected by the gzip magic bytes, whatever the file name).
///
/// Fields are mapped by JSON path (`$.traits.email`, `$.products[0].sku`); a list of paths takes the
/// first non-empty value. Values are delivered as text: strings with their escapes decoded, numbers
/// as written (`19.99` stays `19.99`; typing comes later), `true` / `false`, and a nested object or
/// array as its JSON text. An absent key, `null` and `""` all become NULL; the `require:` rules tell
/// them apart (`paths`: present, `not_null`, `not_empty`).
///
/// Every line is validated as a complete JSON object by a single-pass byte scanner
/// (`JSONLineScanner`) that extracts only the mapped paths on the way. A line that is not valid
/// UTF-8, not a JSON object, cut short, or followed by garbage is quarantined with its physical
/// line number, and so is a line that breaks a `require:` rule.
///
/// Files are cut into pieces at line feeds (a line feed never occurs inside a JSON-lines record),
/// independently of the job count. A gzip file is inflated by the runtime as a stream, in fixed
/// buffers, into the run's staged copy of the input (`InputStager`), so the extractor reads the
/// inflated text like a plain file; if the gzip stream is truncated or corrupt
/// (`FileBytes.brokenOff`), the lines inflated before the damage are extracted and the rest of the
/// file is reported as one quarantined record (`truncated_json`).
public struct JSONLinesExtractor: Extractor {
    public struct Field: Sendable {
        public var definition: FieldDefinition
        /// Candidate paths; the first non-empty value wins.
        public var paths: [JSONPath]

        public var name: String { definition.name }

        public init(name: String, paths: [JSONPath], type: FieldType = .string) {
            definition = FieldDefinition(name: name, type: type)
            self.paths = paths
        }

        public init(_ definition: FieldDefinition, paths: [JSONPath]) {
            self.definition = definition
            self.paths = paths
        }
    }

    /// The validity rules of `require:`, checked on every structurally valid line, in this order.
    /// "Empty" means absent, `null` or `""`.
    public struct Requirements: Sendable {
        public struct Allowed: Sendable {
            public var path: JSONPath
            /// Compared as text with the decoded string, or with a number or boolean as written.
            public var values: [String]

            public init(path: JSONPath, values: [String]) {
                self.path = path
                self.values = values
            }
        }

        /// The key must be present (any value, `null` included).
        public var present: [JSONPath]
        /// The key must be present and not `null`.
        public var notNull: [JSONPath]
        /// The key must be present, not `null`, and not `""`.
        public var notEmpty: [JSONPath]
        /// When present and not `null`, the value must be one of the listed ones.
        public var allowed: [Allowed]
        /// In each group, at least one path must have a non-empty value.
        public var atLeastOneOf: [[JSONPath]]
        /// Rules checked only on the lines where their condition holds (`conditional:`), after
        /// the unconditional ones.
        public var conditional: [Conditional]

        /// Rules that apply where `condition` holds (`when: $.type == 'track'`).
        public struct Conditional: Sendable {
            public var condition: JSONCondition
            /// The rules; their own `conditional` is ignored.
            public var rules: Requirements

            public init(condition: JSONCondition, rules: Requirements) {
                self.condition = condition
                self.rules = rules
            }
        }

        public init(present: [JSONPath] = [], notNull: [JSONPath] = [], notEmpty: [JSONPath] = [],
                    allowed: [Allowed] = [], atLeastOneOf: [[JSONPath]] = [], conditional: [Conditional] = []) {
            self.present = present
            self.notNull = notNull
            self.notEmpty = notEmpty
            self.allowed = allowed
            self.atLeastOneOf = atLeastOneOf
            self.conditional = conditional
        }

        var paths: [JSONPath] {
            present + notNull + notEmpty + allowed.map(\.path) + atLeastOneOf.flatMap { $0 }
                + conditional.flatMap { [$0.condition.path] + $0.rules.paths }
        }
    }

    public let fields: [Field]
    public let requirements: Requirements
    let mapping: CompiledMapping

    public init(fields: [Field], requirements: Requirements = Requirements()) {
        self.fields = fields
        self.requirements = requirements
        mapping = CompiledMapping(fields: fields, requirements: requirements)
    }

    public var fieldDefinitions: [FieldDefinition] { fields.map(\.definition) }

    /// gzip files are inflated by the runtime while it stages them.
    public var readsGzip: Bool { true }

    // MARK: - Planning

    /// What the pieces of one file share.
    struct PieceSource: Sendable {
        /// Only on the last piece of a damaged gzip file.
        var damage: GzipDamage?
    }

    /// The gzip stream of a file breaks off: lines end at `tailStart` (after the last complete
    /// line feed); the bytes from there to the end of the inflated data are an incomplete line.
    struct GzipDamage: Sendable {
        var tailStart: Int
        var detail: String
    }

    public func plan(_ file: InputFile, bytes: FileBytes, targetPieceSize: Int) -> [ExtractionPiece] {
        let data = bytes
        var source = PieceSource()
        let damageDetail = bytes.brokenOff
        let count = data.count
        var pieces: [ExtractionPiece] = []
        guard count > 0, let raw = data.base.baseAddress else {
            if let damageDetail { source.damage = GzipDamage(tailStart: 0, detail: damageDetail) }
            return [ExtractionPiece(file: file, ordinal: 0, startOffset: 0, endOffset: 0, firstLine: 1, context: source)]
        }
        let base = raw.assumingMemoryBound(to: UInt8.self)

        // With a damaged stream, only complete lines are read as records.
        var linesEnd = count
        if damageDetail != nil {
            linesEnd = 0
            var i = count
            while i > 0 {
                if base[i - 1] == 0x0A { linesEnd = i; break }
                i -= 1
            }
        }

        let target = max(1, targetPieceSize)
        var pieceStart = 0
        var line = 1
        while pieceStart < linesEnd {
            var cut = pieceStart + min(target, linesEnd - pieceStart)
            if cut < linesEnd { cut = nextLineStart(base, cut - 1, linesEnd) }
            pieces.append(ExtractionPiece(file: file, ordinal: pieces.count, startOffset: pieceStart, endOffset: cut,
                                          firstLine: line, context: source))
            line += Self.lineFeeds(base, pieceStart, cut)
            pieceStart = cut
        }
        if let damageDetail {
            source.damage = GzipDamage(tailStart: linesEnd, detail: damageDetail)
            if pieces.isEmpty {
                pieces.append(ExtractionPiece(file: file, ordinal: 0, startOffset: 0, endOffset: count, firstLine: 1,
                                              context: source))
            } else {
                pieces[pieces.count - 1].endOffset = count
                pieces[pieces.count - 1].context = source
            }
        }
        return pieces
    }

    // MARK: - Extraction

    public func extract(_ piece: ExtractionPiece, bytes: FileBytes) -> ExtractionOutput {
        let source = piece.context as! PieceSource
        let data = bytes
        guard data.count > 0, let raw = data.base.baseAddress else {
            var counts = RowCounts()
            var quarantined: [QuarantinedRecord] = []
            if let damage = source.damage {
                // Nothing could be inflated: the whole file is one unreadable record.
                counts.physicalLines = 1
                counts.recordLines = 1
                counts.records = 1
                counts.quarantined = 1
                quarantined.append(QuarantinedRecord(fileIndex: piece.file.index, line: 1, reason: .truncatedJSON,
                                                     detail: damage.detail + JSONLinesPieceRun.damageSuffix, raw: []))
            }
            return ExtractionOutput(batch: RecordBatch(columnCount: fields.count), quarantined: quarantined,
                                    counts: counts, raw: data)
        }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        var run = JSONLinesPieceRun(mapping: mapping, base: base, count: data.count, fileIndex: piece.file.index,
                                    pieceBytes: piece.endOffset - piece.startOffset)
        let linesEnd = source.damage?.tailStart ?? piece.endOffset
        run.scanLines(from: piece.startOffset, to: linesEnd, firstLine: piece.firstLine)
        if let damage = source.damage {
            run.quarantineDamagedTail(from: linesEnd, to: piece.endOffset, detail: damage.detail)
        }
        return run.output(raw: data)
    }
}

extension JSONLinesExtractor {
    /// The number of line feeds in `from..<to`. JSON-lines records are hundreds of bytes long, so
    /// one `memchr` per line (vectorized by the C library) beats counting eight bytes at a time.
    static func lineFeeds(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Int {
        var count = 0
        var pos = from
        while pos < to, let found = memchr(base + pos, 0x0A, to - pos) {
            count += 1
            pos = UnsafeRawPointer(found) - UnsafeRawPointer(base) + 1
        }
        return count
    }
}

// MARK: - Compiled mapping

/// The fields' candidate paths and the rules, compiled against one `PathProgram` into flat,
/// manually managed arrays that the per-line code reads through raw pointers.
final class CompiledMapping: @unchecked Sendable {
    struct RuleCheck {
        static let present: UInt8 = 0
        static let notNull: UInt8 = 1
        static let notEmpty: UInt8 = 2
        static let allowed: UInt8 = 3
        static let atLeastOne: UInt8 = 4

        var kind: UInt8
        /// The checked slot (present, not null, not empty, allowed).
        var slot: Int32
        /// Allowed values (`allowedValues`) or group members (`groupSlots`): first and count.
        var first: Int32
        var count: Int32
        /// The condition (`conditions`) under which the rule applies, or -1 (always).
        var condition: Int32 = -1
    }

    /// A compiled `when:`: the slot's value is (or, negated, is not) one of the listed values.
    struct ConditionCheck {
        var slot: Int32
        var first: Int32
        var count: Int32
        var negated: Bool
    }

    struct ValueRef {
        var offset: Int32
        var length: Int32
    }

    let program: PathProgram
    let fieldCount: Int
    /// Field f's candidate slots are `candidates[candidateStart[f] ..< candidateStart[f + 1]]`.
    let candidateStart: UnsafeMutablePointer<Int32>
    let candidates: UnsafeMutablePointer<Int32>
    let checks: UnsafeMutablePointer<RuleCheck>
    let checkCount: Int
    let groupSlots: UnsafeMutablePointer<Int32>
    let allowedValues: UnsafeMutablePointer<ValueRef>
    let allowedBytes: UnsafeMutablePointer<UInt8>
    let conditions: UnsafeMutablePointer<ConditionCheck>
    /// For each check: the quarantine detail (rule and path, never the value).
    let checkDetails: [String]

    init(fields: [JSONLinesExtractor.Field], requirements: JSONLinesExtractor.Requirements) {
        let program = PathProgram(paths: fields.flatMap(\.paths) + requirements.paths)
        self.program = program
        fieldCount = fields.count

        var starts: [Int32] = [0]
        var slots: [Int32] = []
        for field in fields {
            slots += field.paths.map { Int32(program.slot(of: $0)) }
            starts.append(Int32(slots.count))
        }

        var list: [RuleCheck] = []
        var details: [String] = []
        var group: [Int32] = []
        var values: [ValueRef] = []
        var bytes: [UInt8] = []
        var conditionList: [ConditionCheck] = []
        func addValues(_ texts: [String]) -> Int32 {
            let first = Int32(values.count)
            for value in texts {
                values.append(ValueRef(offset: Int32(bytes.count), length: Int32(value.utf8.count)))
                bytes += Array(value.utf8)
            }
            return first
        }
        func add(_ rules: JSONLinesExtractor.Requirements, condition: Int32, when: String) {
            let suffix = when.isEmpty ? "" : " (when \(when))"
            for path in rules.present {
                list.append(RuleCheck(kind: RuleCheck.present, slot: Int32(program.slot(of: path)), first: 0, count: 0,
                                      condition: condition))
                details.append("rule require.paths\(suffix) failed: \(path) is absent")
            }
            for path in rules.notNull {
                list.append(RuleCheck(kind: RuleCheck.notNull, slot: Int32(program.slot(of: path)), first: 0, count: 0,
                                      condition: condition))
                details.append("rule require.not_null\(suffix) failed: \(path) is absent or null")
            }
            for path in rules.notEmpty {
                list.append(RuleCheck(kind: RuleCheck.notEmpty, slot: Int32(program.slot(of: path)), first: 0, count: 0,
                                      condition: condition))
                details.append("rule require.not_empty\(suffix) failed: \(path) is absent, null or empty")
            }
            for rule in rules.allowed {
                let first = addValues(rule.values)
                list.append(RuleCheck(kind: RuleCheck.allowed, slot: Int32(program.slot(of: rule.path)), first: first,
                                      count: Int32(rule.values.count), condition: condition))
                details.append("rule require.allowed\(suffix) failed: \(rule.path) is not one of the \(rule.values.count) allowed values")
            }
            for paths in rules.atLeastOneOf {
                let first = Int32(group.count)
                group += paths.map { Int32(program.slot(of: $0)) }
                list.append(RuleCheck(kind: RuleCheck.atLeastOne, slot: -1, first: first, count: Int32(paths.count),
                                      condition: condition))
                details.append("rule require.at_least_one_of\(suffix) failed: none of "
                               + paths.map(\.text).joined(separator: ", ") + " has a value")
            }
        }
        add(requirements, condition: -1, when: "")
        for conditional in requirements.conditional {
            let c = conditional.condition
            conditionList.append(ConditionCheck(slot: Int32(program.slot(of: c.path)), first: addValues(c.values),
                                                count: Int32(c.values.count), negated: c.negated))
            add(conditional.rules, condition: Int32(conditionList.count - 1), when: c.text)
        }

        candidateStart = Self.copy(starts)
        candidates = Self.copy(slots)
        checks = Self.copy(list)
        checkCount = list.count
        groupSlots = Self.copy(group)
        allowedValues = Self.copy(values)
        allowedBytes = Self.copy(bytes)
        conditions = Self.copy(conditionList)
        checkDetails = details
    }

    static func copy<T>(_ array: [T]) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, array.count))
        _ = UnsafeMutableBufferPointer(start: p, count: array.count).initialize(from: array)
        return p
    }

    deinit {
        candidateStart.deallocate()
        candidates.deallocate()
        checks.deallocate()
        groupSlots.deallocate()
        allowedValues.deallocate()
        allowedBytes.deallocate()
        conditions.deallocate()
    }
}

// MARK: - One piece

/// The whole mutable state of extracting one piece, as one local struct of raw pointers, so the
/// per-line and per-byte paths have no class access and no dynamic exclusivity checks.
struct JSONLinesPieceRun {
    let mapping: CompiledMapping
    var scanner: JSONLineScanner
    let base: UnsafePointer<UInt8>
    let count: Int
    let fileIndex: Int
    /// Where the content of the file's first line starts (after a UTF-8 byte-order mark).
    let firstContent: Int
    let fieldCount: Int
    let candidateStart: UnsafePointer<Int32>
    let candidates: UnsafePointer<Int32>
    let checks: UnsafePointer<CompiledMapping.RuleCheck>
    let checkCount: Int
    let groupSlots: UnsafePointer<Int32>
    let allowedValues: UnsafePointer<CompiledMapping.ValueRef>
    let allowedBytes: UnsafePointer<UInt8>
    let conditions: UnsafePointer<CompiledMapping.ConditionCheck>

    var columns: UnsafeMutablePointer<ColumnBuilder>
    var lines: [Int] = []
    var rawRanges: [Range<Int>] = []
    var quarantined: [QuarantinedRecord] = []
    var counts = RowCounts()
    /// The physical line number of the next line.
    var line = 1

    init(mapping: CompiledMapping, base: UnsafePointer<UInt8>, count: Int, fileIndex: Int, pieceBytes: Int) {
        self.mapping = mapping
        scanner = JSONLineScanner(base: base, program: mapping.program)
        self.base = base
        self.count = count
        self.fileIndex = fileIndex
        firstContent = count >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF ? 3 : 0
        fieldCount = mapping.fieldCount
        candidateStart = UnsafePointer(mapping.candidateStart)
        candidates = UnsafePointer(mapping.candidates)
        checks = UnsafePointer(mapping.checks)
        checkCount = mapping.checkCount
        groupSlots = UnsafePointer(mapping.groupSlots)
        allowedValues = UnsafePointer(mapping.allowedValues)
        allowedBytes = UnsafePointer(mapping.allowedBytes)
        conditions = UnsafePointer(mapping.conditions)
        let rows = max(16, pieceBytes / 256)
        let bytesPerColumn = max(64, rows * 16)
        columns = ColumnBuilder.allocate(count: fieldCount, rows: rows, bytes: bytesPerColumn)
        lines.reserveCapacity(rows)
        rawRanges.reserveCapacity(rows)
    }

    mutating func scanLines(from start: Int, to stop: Int, firstLine: Int) {
        var pos = start
        line = firstLine
        while pos < stop {
            let next = nextLineStart(base, pos, stop)
            var contentEnd = base[next - 1] == 0x0A ? next - 1 : next
            // A CR before the line feed is the line end, not content (a line cut short in a
            // string must read as truncated, not as a control character).
            while contentEnd > pos, base[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            let first = pos == 0 ? firstContent : pos
            var p = first
            while p < contentEnd {
                let b = base[p]
                guard b == 0x20 || b == 0x09 || b == 0x0D else { break }
                p += 1
            }
            counts.physicalLines += 1
            if p == contentEnd {
                counts.blankLines += 1
            } else {
                counts.records += 1
                counts.recordLines += 1
                if scanner.scanLine(from: p, to: contentEnd) {
                    let failed = checkCount == 0 ? -1 : failedCheck()
                    if failed < 0 {
                        emitFields()
                        lines.append(line)
                        rawRanges.append(first..<next)
                        counts.loaded += 1
                    } else {
                        reject(.ruleFailed, mapping.checkDetails[failed], first, contentEnd)
                    }
                } else {
                    rejectMalformed(first, contentEnd)
                }
            }
            pos = next
            line += 1
        }
    }

    /// A value of at least one byte: not absent, not null, not "".
    @inline(__always)
    func hasValue(_ slot: Int32) -> Bool {
        let s = scanner.slots[Int(slot)]
        return s.kind >= SlotValue.plainString && s.length > 0
    }

    /// The index of the first rule the line breaks, or -1.
    mutating func failedCheck() -> Int {
        var i = 0
        while i < checkCount {
            let check = checks[i]
            if check.condition >= 0, !holds(conditions[Int(check.condition)]) { i += 1; continue }
            switch check.kind {
            case CompiledMapping.RuleCheck.present:
                if scanner.slots[Int(check.slot)].kind == SlotValue.absent { return i }
            case CompiledMapping.RuleCheck.notNull:
                if scanner.slots[Int(check.slot)].kind < SlotValue.plainString { return i }
            case CompiledMapping.RuleCheck.notEmpty:
                if !hasValue(check.slot) { return i }
            case CompiledMapping.RuleCheck.allowed:
                let s = scanner.slots[Int(check.slot)]
                if s.kind >= SlotValue.plainString, !isAllowed(s, check) { return i }
            default:
                var any = false
                var g = Int(check.first)
                while g < Int(check.first + check.count) {
                    if hasValue(groupSlots[g]) { any = true; break }
                    g += 1
                }
                if !any { return i }
            }
            i += 1
        }
        return -1
    }

    /// Whether a `when:` condition holds on the current line.
    mutating func holds(_ condition: CompiledMapping.ConditionCheck) -> Bool {
        let s = scanner.slots[Int(condition.slot)]
        guard s.kind >= SlotValue.plainString else { return false }  // absent or null: unknown
        return isOneOf(s, first: condition.first, count: condition.count) != condition.negated
    }

    mutating func isAllowed(_ s: SlotValue, _ check: CompiledMapping.RuleCheck) -> Bool {
        isOneOf(s, first: check.first, count: check.count)
    }

    mutating func isOneOf(_ s: SlotValue, first: Int32, count: Int32) -> Bool {
        var value = base + s.start
        var length = Int(s.length)
        if s.kind == SlotValue.escapedString {
            scanner.ensureScratch(length)
            length = JSONText.decode(value, length, into: scanner.scratch)
            value = UnsafePointer(scanner.scratch)
        }
        var v = Int(first)
        while v < Int(first + count) {
            let ref = allowedValues[v]
            if Int(ref.length) == length, length == 0 || memcmp(allowedBytes + Int(ref.offset), value, length) == 0 {
                return true
            }
            v += 1
        }
        return false
    }

    /// Appends each field's value: its first candidate with a non-empty value, or NULL.
    @inline(__always)
    mutating func emitFields() {
        var f = 0
        while f < fieldCount {
            var chosen: Int32 = -1
            var c = Int(candidateStart[f])
            let last = Int(candidateStart[f + 1])
            while c < last {
                if hasValue(candidates[c]) { chosen = candidates[c]; break }
                c += 1
            }
            if chosen < 0 {
                columns[f].appendSpan(.null)
            } else {
                let s = scanner.slots[Int(chosen)]
                var span = columns[f].appendBytes(base + s.start, Int(s.length))
                if s.kind == SlotValue.escapedString {
                    // Decode in place: the decoded text is never longer than the escaped one.
                    let p = columns[f].bytes + Int(span.offset)
                    let decoded = JSONText.decode(p, Int(s.length), into: p)
                    columns[f].byteCount = Int(span.offset) + decoded
                    span.length = UInt32(truncatingIfNeeded: decoded)
                }
                columns[f].appendSpan(span)
            }
            f += 1
        }
    }

    /// Quarantines the current line as not a valid JSON object (cold path).
    mutating func rejectMalformed(_ first: Int, _ contentEnd: Int) {
        var failure = scanner.failure
        var column = scanner.failurePos - first + 1
        if failure != .truncated, failure != .invalidUTF8,
           let bad = UTF8Validation.firstInvalid(base + first, contentEnd - first) {
            // Bytes that are not UTF-8 anywhere in the line are reported as such.
            failure = .invalidUTF8
            column = bad + 1
        }
        reject(failure.reason, failure.detail(column: column, length: contentEnd - first), first, contentEnd)
    }

    mutating func reject(_ reason: QuarantineReason, _ detail: String, _ first: Int, _ contentEnd: Int) {
        var stop = contentEnd
        while stop > first, base[stop - 1] == 0x0D { stop -= 1 }
        quarantined.append(QuarantinedRecord(fileIndex: fileIndex, line: line, reason: reason, detail: detail,
                                             raw: Array(UnsafeBufferPointer(start: base + first, count: stop - first))))
        counts.quarantined += 1
    }

    /// The rest of a damaged gzip file (an incomplete last line, possibly empty) as one record.
    mutating func quarantineDamagedTail(from start: Int, to stop: Int, detail: String) {
        counts.physicalLines += 1
        counts.recordLines += 1
        counts.records += 1
        reject(.truncatedJSON, detail + Self.damageSuffix, start, stop)
    }

    static let damageSuffix = "; the rest of the file cannot be read"

    /// The batch, quarantine and counts of the piece; frees the builders.
    mutating func output(raw: FileBytes) -> ExtractionOutput {
        var batch = RecordBatch(columnCount: 0)
        batch.columns = ColumnBuilder.finishAll(columns, count: fieldCount)
        batch.lines = lines
        batch.rawRanges = rawRanges
        scanner.release()
        return ExtractionOutput(batch: batch, quarantined: quarantined, counts: counts, raw: raw)
    }
}
