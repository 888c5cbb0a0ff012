import TributaryCore

/// `derive`: a new field computed from others, either text from a template or a number from an
/// arithmetic expression (exact decimals, the same language as the `check` rule):
///
///     - derive: { into: full_name, template: "{first_name} {last_name}" }
///     - derive: { into: line_total_cents, expression: qty * unit_price * 100 }
///
/// A template leaves out empty fields' values (and is NULL when every field in it is empty); an
/// expression with an empty operand is NULL, and one over a value that is not a number is NULL and
/// counted as `derive.<field>.not_a_number`.
struct Derive: Transform, TransformComponent {
    static let spec = ComponentSpec(
        name: "derive", kind: .transform,
        summary: """
            Adds a field computed from others: `template` (text with `{field}` placeholders) or `expression` \
            (exact decimal arithmetic with `+ - * /` and parentheses, as in `check` rules).
            """,
        shape: .object([
            Property("into", .string, required: true, doc: "the new field"),
            Property("template", .string, doc: "text with `{field}` placeholders, e.g. `{first_name} {last_name}`"),
            Property("expression", .string, doc: "arithmetic over numeric fields, e.g. `qty * unit_price * 100`"),
        ]),
        example: "derive: { into: full_name, template: \"{first_name} {last_name}\" }")

    enum Part: Sendable { case text([UInt8]), field(Int) }
    enum Kind: Sendable { case template([Part]), expression(Expression) }

    var kind: Kind
    var column: Int
    var name: String

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        let before = diagnostics.errorCount
        let template = node["template"], expression = node["expression"]
        guard (template == nil) != (expression == nil) else {
            diagnostics.add(.error(template == nil ? .missingKey : .invalidValue, at: node.location,
                                   "derive takes exactly one of `template` or `expression`",
                                   hint: "e.g. `template: \"{first_name} {last_name}\"` or `expression: qty * unit_price`"))
            return nil
        }
        var kind: Kind?
        if let template, let text = template.scalar {
            var parts: [Part] = []
            var literal: [UInt8] = []
            var rest = Substring(text)
            while let open = rest.firstIndex(of: "{") {
                literal += Array(rest[..<open].utf8)
                guard let close = rest[open...].firstIndex(of: "}") else {
                    diagnostics.add(.error(.invalidValue, at: template.location, "a `{` in the template is not closed",
                                           hint: "write `{field}`"))
                    return nil
                }
                let name = String(rest[rest.index(after: open)..<close])
                var fieldNode = template
                fieldNode.value = .scalar(name)
                if let column = scope.resolve(fieldNode, diagnostics: &diagnostics) {
                    if !literal.isEmpty { parts.append(.text(literal)); literal = [] }
                    parts.append(.field(column))
                }
                rest = rest[rest.index(after: close)...]
            }
            literal += Array(rest.utf8)
            if !literal.isEmpty { parts.append(.text(literal)) }
            kind = .template(parts)
        } else if let expression, let text = expression.scalar {
            var parser = ExpressionParser(text: text, node: expression, scope: scope)
            kind = parser.parse(condition: false, diagnostics: &diagnostics).map(Kind.expression)
        }
        guard let intoNode = node["into"], let kind, diagnostics.errorCount == before,
              let column = NewField.add(intoNode, scope: &scope, diagnostics: &diagnostics) else { return nil }
        return Derive(kind: kind, column: column, name: intoNode.scalar ?? "")
    }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        batch.ensureColumn(column)
        var output = TextColumn(reservingBytes: batch.count * 16, rows: batch.count)
        var invalid = 0
        for row in 0..<batch.count {
            switch kind {
            case .template(let parts):
                var bytes: [UInt8] = []
                var any = false
                for part in parts {
                    switch part {
                    case .text(let text): bytes += text
                    case .field(let c):
                        batch.columns[c].withValue(row) { value in
                            if let value { bytes += value; any = true }
                        }
                    }
                }
                if any { bytes.withUnsafeBytes { output.append($0) } } else { output.appendNull() }
            case .expression(let expression):
                switch expression.evaluate(batch, row) {
                case .number(let d): output.append(d.description)
                case .invalid: invalid += 1; output.appendNull()
                default: output.appendNull()
                }
            }
        }
        batch.columns[column] = output
        counters.add("derive.\(name).not_a_number", invalid)
        return 0
    }
}
