/// Where one value lies in a column's byte arena. A `length` of `Span.nullLength` means SQL NULL.
public struct Span: Sendable, Hashable {
    public var offset: UInt32
    public var length: UInt32

    public static let nullLength = UInt32.max
    public static let null = Span(offset: 0, length: nullLength)

    @inlinable public init(offset: UInt32, length: UInt32) {
        self.offset = offset
        self.length = length
    }

    @inlinable public var isNull: Bool { length == Span.nullLength }
}

/// A column of UTF-8 text values: one byte arena and one span per row. Values are never Swift
/// `String`s on the hot path; a transform that shortens a value (trim) only moves its span.
public struct TextColumn: Sendable {
    public var bytes: [UInt8]
    public var spans: [Span]

    public init(reservingBytes: Int = 0, rows: Int = 0) {
        bytes = []
        spans = []
        bytes.reserveCapacity(reservingBytes)
        spans.reserveCapacity(rows)
    }

    public var count: Int { spans.count }

    /// Appends a value (nil appends NULL).
    @inlinable public mutating func append(_ value: UnsafeRawBufferPointer?) {
        guard let value else { spans.append(.null); return }
        let offset = UInt32(truncatingIfNeeded: bytes.count)
        bytes.append(contentsOf: value.bindMemory(to: UInt8.self))
        spans.append(Span(offset: offset, length: UInt32(truncatingIfNeeded: value.count)))
    }

    public mutating func append(_ value: String?) {
        guard var value else { spans.append(.null); return }
        value.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    public mutating func appendNull() { spans.append(.null) }

    public func isNull(_ row: Int) -> Bool { spans[row].isNull }

    /// Calls `body` with the bytes of row `row`, or nil for NULL.
    @inlinable public func withValue<R>(_ row: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> R) rethrows -> R {
        let span = spans[row]
        if span.isNull { return try body(nil) }
        return try bytes.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[Int(span.offset)..<Int(span.offset) + Int(span.length)]))
        }
    }

    /// The value as a Swift string: for tests, diagnostics and cold paths only.
    public func string(_ row: Int) -> String? {
        withValue(row) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Keeps only the rows whose index is in `keep` (ascending). Bytes stay; spans are compacted.
    public mutating func select(_ keep: [Int]) {
        spans = keep.map { spans[$0] }
    }
}

/// A batch of records from one input file, stored by column. Batches are the unit of parallel
/// work: one batch is one chunk of one file, processed by one worker from extraction to load.
public struct RecordBatch: Sendable {
    public var columns: [TextColumn]
    /// The physical line (1-based) on which each record starts in its file.
    public var lines: [Int]
    /// Where each record's raw bytes are in the extraction output's `raw` buffer, so that a later
    /// step that rejects a record (a bad typed value, a broken rule) can quarantine its raw text.
    public var rawRanges: [Range<Int>]

    public init(columnCount: Int, reservingRows rows: Int = 0, bytesPerColumn: Int = 0) {
        columns = (0..<columnCount).map { _ in TextColumn(reservingBytes: bytesPerColumn, rows: rows) }
        lines = []
        lines.reserveCapacity(rows)
        rawRanges = []
        rawRanges.reserveCapacity(rows)
    }

    public var count: Int { lines.count }

    /// Keeps only the given rows (ascending indices) in every column.
    public mutating func select(_ keep: [Int]) {
        for c in columns.indices { columns[c].select(keep) }
        lines = keep.map { lines[$0] }
        if !rawRanges.isEmpty { rawRanges = keep.map { rawRanges[$0] } }
    }

    /// Makes sure column `index` exists: a transform writing a new field (`into:`) creates its
    /// column the first time, at the index the field scope gave it.
    public mutating func ensureColumn(_ index: Int) {
        while columns.count <= index { _ = addColumn() }
    }

    /// Adds an empty column (all NULL) and returns its index.
    public mutating func addColumn() -> Int {
        var column = TextColumn(rows: count)
        column.spans = Array(repeating: .null, count: count)
        columns.append(column)
        return columns.count - 1
    }
}
