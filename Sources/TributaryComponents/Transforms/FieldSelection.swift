import TributaryCore

/// The `all` / `field` / `[field, ...]` argument shared by column-wise transforms.
enum FieldSelection {
    static let shape = Shape.oneOf([.string, .list(.string)])

    static func columns(_ node: ConfigNode, scope: FieldScope, diagnostics: inout DiagnosticBag) -> [Int]? {
        if node.scalar == "all" { return scope.layout.map(\.column) }
        let before = diagnostics.errorCount
        let columns = (node.scalarList ?? []).compactMap { scope.resolve($0, diagnostics: &diagnostics) }
        return diagnostics.errorCount == before ? columns : nil
    }
}

/// Rewrites the values of one column through `body`, which receives each non-null value and
/// returns nil to keep it unchanged, or the new bytes to store.
extension TextColumn {
    mutating func rewrite(_ body: (UnsafeBufferPointer<UInt8>) -> [UInt8]?) {
        var appended: [(row: Int, bytes: [UInt8])] = []
        for row in 0..<spans.count where !spans[row].isNull {
            if let replacement = withValue(row, { body($0!) }) { appended.append((row, replacement)) }
        }
        for (row, replacement) in appended {
            let offset = UInt32(bytes.count)
            bytes.append(contentsOf: replacement)
            spans[row] = replacement.isEmpty ? .null : Span(offset: offset, length: UInt32(replacement.count))
        }
    }
}
