import TributaryCore

/// The new output fields of transforms (`into:`, `match_key:`, ...), checked in one place: the
/// name must be a valid field name and not in use; a transform never silently overwrites a column.
enum NewField {
    /// The name in `node`, if it can be a new field here; otherwise reports why and returns nil.
    /// Names from `${VAR}` are not echoed.
    static func name(_ node: ConfigNode, scope: FieldScope, hint: String = "choose another name, or drop the existing field first",
                     diagnostics: inout DiagnosticBag) -> String? {
        guard let name = node.scalar else { return nil }
        let secret = !node.interpolatedFrom.isEmpty
        let problems = FieldNames.check(ConfigEntry(key: name, keyLocation: node.location, value: node), interpolated: secret)
        if !problems.isEmpty {
            diagnostics.add(contentsOf: problems)
            return nil
        }
        if scope.column(of: name) != nil || scope.unavailableReason(name) != nil {
            diagnostics.add(.error(.duplicateField, at: node.location,
                                   "a field named \(secret ? node.safeDescription : "'\(name)'") already exists", hint: hint))
            return nil
        }
        return name
    }

    /// Adds the field named in `node` to `scope`; its column index, or nil after reporting a problem.
    static func add(_ node: ConfigNode, scope: inout FieldScope, hint: String = "choose another name, or drop the existing field first",
                    diagnostics: inout DiagnosticBag) -> Int? {
        name(node, scope: scope, hint: hint, diagnostics: &diagnostics).map { scope.add($0) }
    }
}

/// What the value standardizers (`email`, `phone`) share: writing results into a column's arena
/// without a Swift `String` per value.
enum Standardizer {
    /// The bounds of `value[start..<end]` without leading and trailing white space (as `trim`).
    @inline(__always)
    static func trimmed(_ value: UnsafeBufferPointer<UInt8>) -> (start: Int, end: Int) {
        var start = 0
        var end = value.count
        while start < end, let width = Trim.spaceWidth(value, at: start, end: end) { start += width }
        while start < end, let width = Trim.spaceWidthBefore(value, end: end, start: start) { end -= width }
        return (start, end)
    }
}

/// The values a standardizer writes into one column: either a new column (`into:`), or the
/// source column rewritten in place. New bytes go to one side buffer that is appended to the
/// column's arena at the end, so reading the source arena and writing never overlap, and there
/// is one allocation per batch, not one per value.
struct ColumnOutput {
    var spans: [Span]
    /// Bytes written so far; they will start at `base` in the column's arena.
    var bytes: [UInt8]
    let base: Int
    let inPlace: Bool

    /// An output for a new column of `rows` rows (all NULL until written).
    init(newColumnRows rows: Int, reservingBytes: Int) {
        spans = Array(repeating: .null, count: rows)
        bytes = []
        bytes.reserveCapacity(reservingBytes)
        base = 0
        inPlace = false
    }

    /// An output rewriting `column` in place: unwritten rows keep their value.
    init(rewriting column: TextColumn) {
        spans = column.spans
        bytes = []
        base = column.bytes.count
        inPlace = true
    }

    @inline(__always) mutating func setNull(_ row: Int) { spans[row] = .null }

    /// Marks the start of a value about to be appended to `bytes`.
    @inline(__always) var mark: Int { bytes.count }

    /// Ends the value started at `mark`: row `row` now points at the bytes appended since.
    @inline(__always) mutating func finish(_ row: Int, from mark: Int) {
        let length = bytes.count - mark
        spans[row] = length == 0 ? .null : Span(offset: UInt32(truncatingIfNeeded: base + mark), length: UInt32(truncatingIfNeeded: length))
    }

    /// Stores `value[start..<end]` for row `row`; in place, a value the source already holds
    /// only moves its span (`sourceOffset` is where `value` starts in the source arena).
    @inline(__always)
    mutating func copy(_ row: Int, _ value: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, sourceOffset: Int) {
        if inPlace {
            spans[row] = Span(offset: UInt32(truncatingIfNeeded: sourceOffset + start), length: UInt32(truncatingIfNeeded: end - start))
        } else {
            let m = mark
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: value[start..<end]))
            finish(row, from: m)
        }
    }

    /// Writes the result into `batch` at column `column` (created if it is new).
    func store(into batch: inout RecordBatch, column: Int) {
        batch.ensureColumn(column)
        if inPlace {
            batch.columns[column].bytes.append(contentsOf: bytes)
            batch.columns[column].spans = spans
        } else {
            var result = TextColumn()
            result.bytes = bytes
            result.spans = spans
            batch.columns[column] = result
        }
    }
}

extension TextColumn {
    /// Calls `body` with the column's whole arena and its spans (no copy).
    @inline(__always)
    func withArena<R>(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<Span>) -> R) -> R {
        bytes.withUnsafeBufferPointer { arena in spans.withUnsafeBufferPointer { spans in body(arena, spans) } }
    }
}
