import TributaryCore

/// `trim`: removes leading and trailing white space (spaces, tabs, line breaks, no-break spaces).
/// A value that is only white space becomes NULL. Zero-copy: only the value's span moves.
struct Trim: Transform, TransformComponent {
    static let spec = ComponentSpec(
        name: "trim", kind: .transform,
        summary: "Removes leading and trailing white space (including no-break spaces); blank values become NULL.",
        shape: FieldSelection.shape,
        example: "trim: all")

    var columns: [Int]

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        FieldSelection.columns(node, scope: scope, diagnostics: &diagnostics).map { Trim(columns: $0) }
    }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        for c in columns {
            batch.columns[c].bytes.withUnsafeBufferPointer { bytes in
                batch.columns[c].spans.withUnsafeMutableBufferPointer { spans in
                    for i in spans.indices where !spans[i].isNull {
                        var start = Int(spans[i].offset)
                        var end = start + Int(spans[i].length)
                        while start < end, let width = Trim.spaceWidth(bytes, at: start, end: end) { start += width }
                        while start < end, let width = Trim.spaceWidthBefore(bytes, end: end, start: start) { end -= width }
                        spans[i] = start == end ? .null : Span(offset: UInt32(start), length: UInt32(end - start))
                    }
                }
            }
        }
        return 0
    }

    @inline(__always)
    static func spaceWidth(_ b: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> Int? {
        switch b[i] {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: return 1
        case 0xC2 where i + 1 < end && b[i + 1] == 0xA0: return 2          // U+00A0 no-break space
        default: return nil
        }
    }

    @inline(__always)
    static func spaceWidthBefore(_ b: UnsafeBufferPointer<UInt8>, end: Int, start: Int) -> Int? {
        switch b[end - 1] {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: return 1
        case 0xA0 where end - 2 >= start && b[end - 2] == 0xC2: return 2
        default: return nil
        }
    }
}
