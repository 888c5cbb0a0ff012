import TributaryCore
#if canImport(Glibc)
import Glibc
#endif

/// A growable column under construction, in manually managed memory: appending in the libcsv
/// callback costs a bounds check and a memcpy, with no reference counting or exclusivity checks.
struct ColumnBuilder {
    var bytes: UnsafeMutablePointer<UInt8>
    var byteCount = 0
    var byteCapacity: Int
    var spans: UnsafeMutablePointer<Span>
    var spanCount = 0
    var spanCapacity: Int

    init(rows: Int, bytes: Int) {
        byteCapacity = max(64, bytes)
        spanCapacity = max(16, rows)
        self.bytes = .allocate(capacity: byteCapacity)
        spans = .allocate(capacity: spanCapacity)
    }

    @inline(__always)
    mutating func appendBytes(_ source: UnsafeRawPointer, _ count: Int) -> Span {
        if byteCount + count > byteCapacity {
            var capacity = byteCapacity * 2
            while capacity < byteCount + count { capacity *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            grown.update(from: bytes, count: byteCount)
            bytes.deallocate()
            bytes = grown
            byteCapacity = capacity
        }
        (bytes + byteCount).update(from: source.assumingMemoryBound(to: UInt8.self), count: count)
        let span = Span(offset: UInt32(truncatingIfNeeded: byteCount), length: UInt32(truncatingIfNeeded: count))
        byteCount += count
        return span
    }

    @inline(__always)
    mutating func appendSpan(_ span: Span) {
        if spanCount == spanCapacity {
            let grown = UnsafeMutablePointer<Span>.allocate(capacity: spanCapacity * 2)
            grown.update(from: spans, count: spanCount)
            spans.deallocate()
            spans = grown
            spanCapacity *= 2
        }
        spans[spanCount] = span
        spanCount += 1
    }

    /// `count` builders in manually managed memory, each sized for about `rows` rows and `bytes`
    /// bytes (they grow as needed); release them with `finishAll`.
    static func allocate(count: Int, rows: Int, bytes: Int) -> UnsafeMutablePointer<ColumnBuilder> {
        let columns = UnsafeMutablePointer<ColumnBuilder>.allocate(capacity: max(1, count))
        for f in 0..<count { (columns + f).initialize(to: ColumnBuilder(rows: rows, bytes: bytes)) }
        return columns
    }

    /// The columns of `count` builders made by `allocate`; frees them.
    static func finishAll(_ columns: UnsafeMutablePointer<ColumnBuilder>, count: Int) -> [TextColumn] {
        let finished = (0..<count).map { columns[$0].finish() }
        columns.deinitialize(count: count)
        columns.deallocate()
        return finished
    }

    /// Moves the contents into an immutable column and frees the builder's memory.
    mutating func finish() -> TextColumn {
        var column = TextColumn()
        column.bytes = Array(UnsafeBufferPointer(start: bytes, count: byteCount))
        column.spans = Array(UnsafeBufferPointer(start: spans, count: spanCount))
        bytes.deallocate()
        spans.deallocate()
        return column
    }
}
