/// One input file of a source, as resolved from the source's `path` globs.
public struct InputFile: Sendable, Hashable {
    /// Position of the file in the run's file list; quarantine and ledger rows refer to it.
    public var index: Int
    public var source: String
    public var path: String
    public var size: Int

    public init(index: Int, source: String, path: String, size: Int) {
        self.index = index
        self.source = source
        self.path = path
        self.size = size
    }
}

/// A contiguous piece of one input file that can be extracted on its own, in parallel with the
/// others. Pieces are cut by the extractor at record boundaries, independently of the job count,
/// so a run produces the same output on 1 job and on 16.
public struct ExtractionPiece: Sendable {
    public var file: InputFile
    public var ordinal: Int
    public var startOffset: Int
    public var endOffset: Int
    /// The physical line number of the piece's first byte.
    public var firstLine: Int
    /// Extractor-specific state shared by the file's pieces (e.g. the CSV header mapping).
    public var context: any Sendable
    /// The piece was cut at a line feed that may lie inside a quoted field. If the piece ends
    /// inside a record, the extractor hands that record on (`ExtractionOutput.carry`) instead of
    /// rejecting it, and `PieceChain` extracts the next piece again from the record's start.
    public var speculativeEnd = false

    public init(file: InputFile, ordinal: Int, startOffset: Int, endOffset: Int, firstLine: Int,
                context: any Sendable) {
        self.file = file
        self.ordinal = ordinal
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.firstLine = firstLine
        self.context = context
    }
}

/// What extracting one piece produced.
public struct ExtractionOutput: Sendable {
    public var batch: RecordBatch
    public var quarantined: [QuarantinedRecord]
    public var counts: RowCounts
    /// The bytes `batch.rawRanges` point into (the mapped file, or a decoded buffer).
    public var raw: FileBytes
    /// Keeps `raw` alive when it is not the mapped input file (e.g. inflated gzip, transcoded text).
    public var rawOwner: (any AnyObject & Sendable)?
    /// Reconciliations found in the piece (fixed-width trailers, ...).
    public var checks: [ReconciliationCheck]
    /// Set when a speculative piece ended inside a record: where that record starts. Its lines
    /// are not counted here; they belong to the next piece, extracted again from this point.
    public var carry: (offset: Int, line: Int)?

    public init(batch: RecordBatch, quarantined: [QuarantinedRecord], counts: RowCounts,
                raw: FileBytes = FileBytes(UnsafeRawBufferPointer(start: nil, count: 0)),
                rawOwner: (any AnyObject & Sendable)? = nil, checks: [ReconciliationCheck] = []) {
        self.batch = batch
        self.quarantined = quarantined
        self.counts = counts
        self.raw = raw
        self.rawOwner = rawOwner
        self.checks = checks
    }

    /// Recomputes the checks that carry a tally over the records still valid: those whose line is
    /// not in `quarantinedLines` (records that later stages quarantined), then drops the tallies.
    public mutating func settleChecks(quarantinedLines: Set<Int>) {
        for i in checks.indices {
            guard let tally = checks[i].tally else { continue }
            if !quarantinedLines.isEmpty { checks[i].actual = tally.actual(excluding: quarantinedLines) }
            checks[i].tally = nil
        }
    }

    /// The raw bytes of one record of the batch (for quarantine).
    public func rawBytes(row: Int) -> [UInt8] {
        guard row < batch.rawRanges.count, let base = raw.base.baseAddress else { return [] }
        let range = batch.rawRanges[row]
        var end = range.upperBound
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        while end > range.lowerBound, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        return Array(UnsafeBufferPointer(start: bytes + range.lowerBound, count: end - range.lowerBound))
    }
}

/// Applies carries in piece order, so that pieces cut at guessed record boundaries give exactly
/// the result of one sequential parse: when a piece ends inside a record, the next piece of the
/// same file is extracted again, starting at that record.
public struct PieceChain: Sendable {
    private var carry: (file: Int, offset: Int, line: Int)?

    public init() {}

    /// `piece` moved back to the start of the record the previous piece carried, if any.
    public func adjusted(_ piece: ExtractionPiece) -> ExtractionPiece? {
        guard let carry, carry.file == piece.file.index else { return nil }
        var moved = piece
        moved.startOffset = carry.offset
        moved.firstLine = carry.line
        return moved
    }

    /// Remembers what `output` (of `piece`, as finally extracted) carries into the next piece.
    public mutating func record(_ piece: ExtractionPiece, _ output: ExtractionOutput) {
        carry = output.carry.map { (piece.file.index, $0.offset, $0.line) }
    }
}

/// Read-only bytes of an input file (the run's staged copy of it, memory-mapped by the runtime).
public struct FileBytes: @unchecked Sendable {
    public let base: UnsafeRawBufferPointer
    /// Set when the input breaks off before its end (a truncated or corrupt compressed stream):
    /// where and how; the bytes are those read before the damage, the last line possibly cut.
    public var brokenOff: String?

    public init(_ base: UnsafeRawBufferPointer) { self.base = base }

    public var count: Int { base.count }

    /// The bytes as a buffer that always has a base address (an empty file maps to nothing).
    public var nonEmptyBase: UnsafeBufferPointer<UInt8> {
        guard let address = base.baseAddress else { return UnsafeBufferPointer(start: FileBytes.emptyByte, count: 0) }
        return UnsafeBufferPointer(start: address.assumingMemoryBound(to: UInt8.self), count: base.count)
    }

    nonisolated(unsafe) private static let emptyByte: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()
}

/// Reads one format of input into columnar batches of raw text. Typing and validity rules are
/// applied afterwards by shared steps, from `fieldDefinitions`, the same way for every format.
public protocol Extractor: Sendable {
    /// The fields this extractor produces, in column order, with their declared types.
    var fieldDefinitions: [FieldDefinition] { get }
    /// Splits a file into pieces. Header and file-level problems are recorded in the pieces'
    /// context and reported per record by `extract`, so nothing is lost.
    func plan(_ file: InputFile, bytes: FileBytes, targetPieceSize: Int) -> [ExtractionPiece]
    /// Extracts one piece. Never throws: bad records go to `quarantined` with their reason.
    func extract(_ piece: ExtractionPiece, bytes: FileBytes) -> ExtractionOutput
    /// Whether the format accepts gzip files: the runtime inflates them (as a stream, into the
    /// staged copy) before planning, so the extractor only ever sees the inflated text.
    var readsGzip: Bool { get }
}

extension Extractor {
    public var fieldNames: [String] { fieldDefinitions.map(\.name) }
    public var readsGzip: Bool { false }
}

/// A registered extractor: its spec and a factory from a validated source node.
public protocol ExtractorComponent {
    static var spec: ComponentSpec { get }
    /// Builds the extractor. `source` is the whole source mapping; its `fields` are declared in
    /// the spec's shape. Problems are added to `diagnostics` and make the result nil.
    static func make(source: ConfigNode, diagnostics: inout DiagnosticBag) -> (any Extractor)?
}

/// The fields visible at one point of a source's transform chain, mapped to batch columns.
/// Transforms resolve names through the scope when they are built, so a typo is a `validate`
/// error with a position, and the hot path only uses column indices.
public struct FieldScope: Sendable {
    public private(set) var names: [String]
    private var columns: [String: Int]
    public private(set) var columnCount: Int
    /// Names that exist but may not be used here, with the reason (shown as the hint).
    private var unavailable: [String: String] = [:]

    public init(fields: [String]) {
        names = fields
        columns = Dictionary(uniqueKeysWithValues: fields.enumerated().map { ($1, $0) })
        columnCount = fields.count
    }

    public func column(of name: String) -> Int? { columns[name] }

    /// Why a known name may not be used here, if it is one of those.
    public func unavailableReason(_ name: String) -> String? { unavailable[name] }

    /// Resolves a field reference, reporting an unknown name with a suggestion.
    public func resolve(_ node: ConfigNode, diagnostics: inout DiagnosticBag) -> Int? {
        guard let name = node.scalar else { return nil }
        if let index = columns[name] { return index }
        let secret = !node.interpolatedFrom.isEmpty
        let hint = unavailable[name] ?? (secret ? nil : Suggestions.didYouMean(name, in: names))
            ?? "fields available here: " + names.joined(separator: ", ")
        diagnostics.add(.error(.unknownField, at: node.location, "unknown field \(secret ? node.safeDescription : "'\(name)'")",
                               hint: hint))
        return nil
    }

    public mutating func rename(_ old: String, to new: String) {
        guard let index = columns.removeValue(forKey: old), let position = names.firstIndex(of: old) else { return }
        columns[new] = index
        names[position] = new
    }

    public mutating func drop(_ name: String) {
        columns.removeValue(forKey: name)
        names.removeAll { $0 == name }
    }

    /// Reserves a column for a field that is not visible by name in this scope; `reason` explains
    /// why, should a step refer to it.
    public mutating func reserve(_ name: String, reason: String) -> Int {
        unavailable[name] = reason
        columnCount += 1
        return columnCount - 1
    }

    /// Makes a field visible under `name` in an existing column.
    public mutating func expose(_ name: String, column: Int) {
        columns[name] = column
        names.append(name)
        unavailable[name] = nil
    }

    /// Adds a new field, backed by a new column, and returns its column index.
    public mutating func add(_ name: String) -> Int {
        let index = columnCount
        columnCount += 1
        columns[name] = index
        names.append(name)
        return index
    }

    /// The visible fields and their columns, in order: what the loader writes.
    public var layout: [(name: String, column: Int)] { names.map { ($0, columns[$0]!) } }
}

/// Named counts a transform reports, e.g. `email.invalid.missing_at` for e-mails made NULL;
/// summed per source into the run ledger (`run_counters`) and the run summary.
public struct TransformCounters: Sendable, Equatable {
    public private(set) var values: [String: Int] = [:]

    public init() {}

    public mutating func add(_ name: String, _ count: Int = 1) {
        guard count != 0 else { return }
        values[name, default: 0] += count
    }

    public mutating func merge(_ other: TransformCounters) {
        for (name, count) in other.values { add(name, count) }
    }
}

/// A step of a source's transform chain, applied to each batch in place.
public protocol Transform: Sendable {
    /// Applies the transform; returns how many records it filtered out. Values it changed or
    /// rejected (made NULL) are reported in `counters`.
    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int
}

extension Transform {
    /// Applies the transform, discarding its counters.
    public func apply(to batch: inout RecordBatch) -> Int {
        var counters = TransformCounters()
        return apply(to: &batch, counters: &counters)
    }
}

/// A registered transform: its spec and a factory from its validated configuration.
public protocol TransformComponent {
    static var spec: ComponentSpec { get }
    /// Builds the transform from the value under its key (`- trim: all` passes `all`), resolving
    /// field references through `scope` and updating it (rename, drop, new fields).
    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)?
}

/// The components a pipeline file may name: the explicit registry, passed to the config layer
/// so that it can validate `format:` values and transform names without depending on them.
public struct ComponentCatalog: @unchecked Sendable {  // immutable metatypes
    public var extractors: [(format: String, component: any ExtractorComponent.Type)]
    public var transforms: [(name: String, component: any TransformComponent.Type)]
    /// The component behind a source's `rules:`.
    public var rules: any RecordStepComponent.Type

    public init(extractors: [any ExtractorComponent.Type], transforms: [any TransformComponent.Type],
                rules: any RecordStepComponent.Type) {
        self.extractors = extractors.map { ($0.spec.name, $0) }
        self.transforms = transforms.map { ($0.spec.name, $0) }
        self.rules = rules
    }

    public func extractor(_ format: String) -> (any ExtractorComponent.Type)? {
        extractors.first { $0.format == format }?.component
    }

    public func transform(_ name: String) -> (any TransformComponent.Type)? {
        transforms.first { $0.name == name }?.component
    }
}

/// A record the shaping steps reject, by row of the batch they were given.
public struct Rejection: Sendable {
    public var row: Int
    public var reason: QuarantineReason
    /// Names the field or rule; never contains the value.
    public var detail: String

    public init(row: Int, reason: QuarantineReason, detail: String) {
        self.row = row
        self.reason = reason
        self.detail = detail
    }
}

/// A step that reads every record and may reject some: typing of declared fields, validity
/// rules. Steps rewrite columns in place and return the rejected rows (ascending, unique);
/// the runtime quarantines them with their raw text and removes them from the batch.
public protocol RecordStep: Sendable {
    func apply(to batch: inout RecordBatch) -> [Rejection]
}

/// A registered record step built from a source key (e.g. `rules:`).
public protocol RecordStepComponent {
    static var spec: ComponentSpec { get }
    static func make(_ node: ConfigNode, scope: FieldScope, diagnostics: inout DiagnosticBag) -> (any RecordStep)?
}
