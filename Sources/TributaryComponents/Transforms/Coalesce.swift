import TributaryCore

/// `coalesce`: the first non-empty value of several fields (`mobile`, `phone`, `work_phone`).
struct Coalesce: Transform, TransformComponent {
    static let spec = ComponentSpec(
        name: "coalesce", kind: .transform,
        summary: """
            Writes the first non-empty value of `fields` (NULL and blank values are skipped) into `into`; \
            NULL when all are empty.
            """,
        shape: .object([
            Property("fields", .list(.string), required: true, doc: "the fields, in order of preference"),
            Property("into", .string, required: true, doc: "the new field"),
        ]),
        example: "coalesce: { fields: [mobile, phone, work_phone], into: best_phone }")

    var sources: [Int]
    var target: Int

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        let before = diagnostics.errorCount
        let sources = (node["fields"]?.sequence ?? []).compactMap { scope.resolve($0, diagnostics: &diagnostics) }
        if let fields = node["fields"], fields.sequence?.isEmpty == true {
            diagnostics.add(.error(.invalidValue, at: fields.location, "coalesce needs at least one field",
                                   hint: "e.g. `fields: [mobile, phone]`"))
        }
        let into = OutputField.check(node["into"], scope: scope, diagnostics: &diagnostics)
        guard diagnostics.errorCount == before, let into, let name = into else { return nil }
        return Coalesce(sources: sources, target: scope.add(name))
    }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        var output = TextColumn.output(rows: batch.count, bytesPerRow: 12)
        let columns = sources.map { batch.columns[$0] }
        for row in 0..<batch.count {
            var found = false
            for column in columns where !found {
                column.withValue(row) { value in
                    guard let value, Postcode.trimmed(value) != nil else { return }
                    output.append(bytes: value)
                    found = true
                }
            }
            if !found { output.appendNull() }
        }
        batch.store(output, at: target)
        return 0
    }
}
