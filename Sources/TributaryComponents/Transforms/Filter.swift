import TributaryCore

/// `filter`: keeps the records that satisfy a condition on one field; the others are counted as
/// `filtered` in the run ledger (deliberately left out, unlike quarantined records).
struct Filter: Transform, TransformComponent {
    static let spec = ComponentSpec(
        name: "filter", kind: .transform,
        summary: """
            Keeps records whose field satisfies one condition: `present`, `equals`, `not_equals`, `in`, \
            `not_in` or `prefix` (comparisons are exact; combine with `trim`/`lower` first). Dropped records \
            are counted as filtered.
            """,
        shape: .object([
            Property("field", .string, required: true, doc: "the field to test"),
            Property("present", .boolean, doc: "true: keep non-empty values; false: keep empty ones"),
            Property("equals", .string, doc: "keep records whose value is exactly this"),
            Property("not_equals", .string, doc: "keep records whose value is not this (empty values are kept)"),
            Property("in", .list(.string), doc: "keep records whose value is one of these"),
            Property("not_in", .list(.string), doc: "keep records whose value is none of these"),
            Property("prefix", .string, doc: "keep records whose value starts with this"),
        ]),
        example: "filter: { field: status, in: [active, lead] }")

    enum Condition: Sendable {
        case present(Bool)
        case oneOf([[UInt8]], negated: Bool)
        case prefix([UInt8])
    }

    var column: Int
    var condition: Condition

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        guard let fieldNode = node["field"], let column = scope.resolve(fieldNode, diagnostics: &diagnostics) else { return nil }
        let conditionKeys = ["present", "equals", "not_equals", "in", "not_in", "prefix"]
        let given = (node.entries ?? []).filter { conditionKeys.contains($0.key) }
        guard given.count == 1, let only = given.first else {
            diagnostics.add(.error(given.isEmpty ? .missingKey : .invalidValue, at: node.location,
                                   given.isEmpty ? "filter needs a condition" : "filter takes exactly one condition",
                                   hint: "use one of: " + conditionKeys.joined(separator: ", ") + "; chain filters for more"))
            return nil
        }
        let values = (only.value.scalarList ?? []).compactMap(\.scalar).map { Array($0.utf8) }
        let condition: Condition = switch only.key {
        case "present": .present(only.value.scalar == "true")
        case "equals", "in": .oneOf(values, negated: false)
        case "not_equals", "not_in": .oneOf(values, negated: true)
        default: .prefix(values.first ?? [])
        }
        return Filter(column: column, condition: condition)
    }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        let column = batch.columns[column]
        var keep: [Int] = []
        keep.reserveCapacity(batch.count)
        for row in 0..<batch.count {
            let pass: Bool = column.withValue(row) { value in
                switch condition {
                case .present(let wanted): return (value != nil) == wanted
                case .oneOf(let set, let negated):
                    guard let value else { return negated }
                    // Compare bytes in place: no array per value (sets in filters are small).
                    return set.contains { $0.count == value.count && $0.elementsEqual(value) } != negated
                case .prefix(let prefix):
                    guard let value, value.count >= prefix.count else { return false }
                    return value.prefix(prefix.count).elementsEqual(prefix)
                }
            }
            if pass { keep.append(row) }
        }
        let removed = batch.count - keep.count
        if removed > 0 { batch.select(keep) }
        return removed
    }
}
