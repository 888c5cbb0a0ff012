import TributaryCore

/// `null_if`: makes placeholder values NULL (`unknown`, `n/a`, `0000000000`, ...), counted
/// `null_if.<field>`. Values are compared on their bytes; `ignore_case` folds ASCII letters only.
struct NullIf: Transform, TransformComponent {
    static let spec = ComponentSpec(
        name: "null_if", kind: .transform,
        summary: """
            Makes values NULL when they equal one of `values` (placeholders such as `unknown`, `n/a`, \
            `0000000000`); `ignore_case` compares ASCII letters without case. Counted `null_if.<field>`.
            """,
        shape: .object([
            Property("fields", FieldSelection.shape, required: true, doc: "the fields to check: a name, a list, or `all`"),
            Property("values", .list(.string), required: true, doc: "the values that mean \"no value\""),
            Property("ignore_case", .boolean, default: "false", doc: "compare ASCII letters without case"),
        ]),
        example: "null_if: { fields: [email, phone], values: [unknown, n/a, \"0000000000\"], ignore_case: true }")

    var columns: [(column: Int, counter: String)]
    var values: ByteKeyTable<Bool>
    var ignoreCase: Bool
    var longest: Int

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        guard let fieldsNode = node["fields"],
              let columns = FieldSelection.columns(fieldsNode, scope: scope, diagnostics: &diagnostics) else { return nil }
        let ignoreCase = node["ignore_case"]?.scalar == "true"
        var table = ByteKeyTable<Bool>()
        var longest = 0
        for value in (node["values"]?.sequence ?? []).compactMap(\.scalar) {
            let bytes = Array(value.utf8).map { ignoreCase ? NullIf.lower($0) : $0 }
            table.insert(bytes, true)
            longest = max(longest, bytes.count)
        }
        let names = Dictionary(scope.layout.map { ($0.column, $0.name) }, uniquingKeysWith: { a, _ in a })
        return NullIf(columns: columns.map { ($0, "null_if." + (names[$0] ?? "\($0)")) }, values: table,
                      ignoreCase: ignoreCase, longest: longest)
    }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(longest, 1)) { scratch in
            for (c, counter) in columns {
                var count = 0
                batch.columns[c].bytes.withUnsafeBufferPointer { bytes in
                    batch.columns[c].spans.withUnsafeMutableBufferPointer { spans in
                        for i in spans.indices where !spans[i].isNull && Int(spans[i].length) <= longest {
                            let value = UnsafeBufferPointer(rebasing: bytes[Int(spans[i].offset)..<Int(spans[i].offset) + Int(spans[i].length)])
                            let key: UnsafeBufferPointer<UInt8>
                            if ignoreCase {
                                for k in value.indices { scratch[k] = NullIf.lower(value[k]) }
                                key = UnsafeBufferPointer(rebasing: scratch[0..<value.count])
                            } else {
                                key = value
                            }
                            if values[key] != nil { spans[i] = .null; count += 1 }
                        }
                    }
                }
                counters.add(counter, count)
            }
        }
        return 0
    }
}
