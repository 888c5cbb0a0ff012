import TributaryCore

/// A source's `rules:`: declarative checks every record must pass, or be quarantined
/// (`rule_failed`, with the rule named — never the value).
///
///     rules:
///       - required: [contact_id, email]                 # not NULL (empty counts as NULL)
///       - allowed: { field: status, values: [active, lead] }
///       - at_least_one_of: [email, phone, user_id]
///       - check: amount_cents == qty * unit_price * 100  # exact decimal arithmetic
///         name: amount_matches                          # optional; names the rule in quarantine
///
/// `check` compares numbers with `== != < <= > >=`, combines with `and`, `or`, `not` and
/// parentheses, and computes with `+ - * /`. As in SQL CHECK constraints, a comparison involving
/// an empty field passes: use `required` to demand a value.
public struct ValidityRules: RecordStep, RecordStepComponent {
    enum Rule: Sendable {
        case required([Int])
        case allowed(Int, Set<[UInt8]>)
        case atLeastOneOf([Int])
        case check(Expression)
    }

    struct Named: Sendable {
        var rule: Rule
        var name: String
    }

    let rules: [Named]

    public static let spec = ComponentSpec(
        name: "rules", kind: .transform,
        summary: "Validity rules: a record that breaks one is quarantined with reason `rule_failed` and the rule's name.",
        shape: .list(.object([
            Property("required", .oneOf([.string, .list(.string)]), doc: "fields that must not be empty"),
            Property("allowed", .object([
                Property("field", .string, required: true, doc: "the field"),
                Property("values", .list(.string), required: true, doc: "the values it may take (exact match)"),
            ]), doc: "a field's value must be one of a list (empty passes; combine with `required`)"),
            Property("at_least_one_of", .list(.string), doc: "at least one of these fields must have a value"),
            Property("check", .string, doc: "an arithmetic comparison, e.g. `amount_cents == qty * unit_price * 100`"),
            Property("name", .string, doc: "a name for the rule in the quarantine (default: the rule itself)"),
        ])),
        example: """
            rules:
              - required: [txn_id]
              - check: amount_cents == qty * unit_price * 100
                name: amount_matches
            """)

    public var isEmpty: Bool { rules.isEmpty }

    /// Builds the rules from the `rules:` list, resolving fields through `scope`.
    public static func make(_ node: ConfigNode, scope: FieldScope, diagnostics: inout DiagnosticBag) -> (any RecordStep)? {
        let before = diagnostics.errorCount
        var rules: [Named] = []
        for (index, item) in (node.sequence ?? []).enumerated() {
            let kinds = (item.entries ?? []).filter { $0.key != "name" }
            guard kinds.count == 1, let only = kinds.first else {
                diagnostics.add(.error(.invalidValue, at: item.location,
                                       "each rule has exactly one of required, allowed, at_least_one_of, check",
                                       hint: "write one rule per list item"))
                continue
            }
            var name = item["name"]?.scalar ?? "\(only.key) #\(index + 1)"
            let rule: Rule?
            switch only.key {
            case "required":
                rule = .required((only.value.scalarList ?? []).compactMap { scope.resolve($0, diagnostics: &diagnostics) })
            case "at_least_one_of":
                rule = .atLeastOneOf((only.value.scalarList ?? []).compactMap { scope.resolve($0, diagnostics: &diagnostics) })
            case "allowed":
                if let field = only.value["field"], let column = scope.resolve(field, diagnostics: &diagnostics) {
                    let values = (only.value["values"]?.sequence ?? []).compactMap(\.scalar).map { Array($0.utf8) }
                    rule = .allowed(column, Set(values))
                } else { rule = nil }
            case "check":
                guard let text = only.value.scalar else { rule = nil; break }
                if item["name"] == nil { name = "check: \(text)" }
                var parser = ExpressionParser(text: text, node: only.value, scope: scope)
                rule = parser.parse(diagnostics: &diagnostics).map(Rule.check)
            default:
                rule = nil
            }
            if let rule { rules.append(Named(rule: rule, name: name)) }
        }
        return diagnostics.errorCount == before ? ValidityRules(rules: rules) : nil
    }

    public func apply(to batch: inout RecordBatch) -> [Rejection] {
        var rejections: [Rejection] = []
        for row in 0..<batch.count {
            for named in rules where !passes(named.rule, batch, row) {
                rejections.append(Rejection(row: row, reason: .ruleFailed, detail: "rule '\(named.name)' failed"))
                break
            }
        }
        return rejections
    }

    func passes(_ rule: Rule, _ batch: RecordBatch, _ row: Int) -> Bool {
        switch rule {
        case .required(let columns):
            return columns.allSatisfy { !batch.columns[$0].isNull(row) }
        case .atLeastOneOf(let columns):
            return columns.contains { !batch.columns[$0].isNull(row) }
        case .allowed(let column, let values):
            return batch.columns[column].withValue(row) { value in value.map { values.contains(Array($0)) } ?? true }
        case .check(let expression):
            if case .boolean(let b) = expression.evaluate(batch, row) { return b }
            return true  // an empty operand: passes, as a SQL CHECK constraint does
        }
    }
}

/// A parsed `check:` expression.
indirect enum Expression: Sendable {
    case number(ExactDecimal)
    case field(Int, String)
    case arithmetic(UInt8, Expression, Expression)
    case comparison(String, Expression, Expression)
    case and(Expression, Expression)
    case or(Expression, Expression)
    case not(Expression)

    enum Value { case number(ExactDecimal), boolean(Bool), unknown, invalid }

    func evaluate(_ batch: RecordBatch, _ row: Int) -> Value {
        switch self {
        case .number(let d): return .number(d)
        case .field(let column, _):
            return batch.columns[column].withValue(row) { value in
                guard let value else { return .unknown }
                return ExactDecimal(value).map(Value.number) ?? .invalid
            }
        case .arithmetic(let op, let a, let b):
            guard case .number(let x) = a.evaluate(batch, row) else { return a.evaluate(batch, row).propagated }
            guard case .number(let y) = b.evaluate(batch, row) else { return b.evaluate(batch, row).propagated }
            let r: ExactDecimal? = switch op {
            case UInt8(ascii: "+"): x + y
            case UInt8(ascii: "-"): x - y
            case UInt8(ascii: "*"): x * y
            default: x / y
            }
            return r.map(Value.number) ?? .invalid
        case .comparison(let op, let a, let b):
            let va = a.evaluate(batch, row), vb = b.evaluate(batch, row)
            guard case .number(let x) = va, case .number(let y) = vb else {
                if case .invalid = va { return .boolean(false) }
                if case .invalid = vb { return .boolean(false) }
                return .unknown
            }
            switch op {
            case "==": return .boolean(x == y)
            case "!=": return .boolean(x != y)
            case "<": return .boolean(x < y)
            case "<=": return .boolean(x <= y)
            case ">": return .boolean(y < x)
            default: return .boolean(y <= x)
            }
        case .and(let a, let b):
            let va = a.evaluate(batch, row), vb = b.evaluate(batch, row)
            if case .boolean(false) = va { return .boolean(false) }
            if case .boolean(false) = vb { return .boolean(false) }
            if case .boolean(true) = va, case .boolean(true) = vb { return .boolean(true) }
            return .unknown
        case .or(let a, let b):
            let va = a.evaluate(batch, row), vb = b.evaluate(batch, row)
            if case .boolean(true) = va { return .boolean(true) }
            if case .boolean(true) = vb { return .boolean(true) }
            if case .boolean(false) = va, case .boolean(false) = vb { return .boolean(false) }
            return .unknown
        case .not(let a):
            if case .boolean(let b) = a.evaluate(batch, row) { return .boolean(!b) }
            return .unknown
        }
    }
}

extension Expression.Value {
    /// A non-number operand of arithmetic: unknown stays unknown, anything else is invalid.
    var propagated: Expression.Value {
        if case .unknown = self { return .unknown }
        return .invalid
    }
}

/// Recursive-descent parser for `check:` expressions; errors point into the expression text.
struct ExpressionParser {
    let text: [UInt8]
    let node: ConfigNode
    let scope: FieldScope
    var i = 0
    var failure: Diagnostic?

    init(text: String, node: ConfigNode, scope: FieldScope) {
        self.text = Array(text.utf8)
        self.node = node
        self.scope = scope
    }

    /// Parses a condition (`check:`), or with `condition: false` an arithmetic value (`derive`).
    mutating func parse(condition: Bool = true, diagnostics: inout DiagnosticBag) -> Expression? {
        let result = parseOr()
        skipSpaces()
        if failure == nil, i < text.count { fail("unexpected '\(String(decoding: text[i...], as: UTF8.self))'") }
        if condition, failure == nil, let result, !result.isBoolean { fail("the check must be a comparison, e.g. `a == b * 100`") }
        if !condition, failure == nil, let result, result.isBoolean { fail("the expression must compute a number, e.g. `qty * unit_price`") }
        if let failure { diagnostics.add(failure); return nil }
        return result
    }

    mutating func fail(_ message: String) {
        guard failure == nil else { return }
        var location = node.location
        location.column += i  // plain scalars start at the node; quoted ones are off by the quote
        failure = .error(.invalidValue, at: location, "in check expression: \(message)",
                         hint: "use field names, numbers, + - * / ( ), == != < <= > >=, and, or, not")
    }

    mutating func skipSpaces() { while i < text.count, text[i] == 0x20 || text[i] == 0x09 { i += 1 } }

    mutating func word(_ w: String) -> Bool {
        skipSpaces()
        let bytes = Array(w.utf8)
        guard i + bytes.count <= text.count, Array(text[i..<i + bytes.count]) == bytes else { return false }
        let after = i + bytes.count
        if after < text.count, isIdentifierByte(text[after]) { return false }
        i = after
        return true
    }

    mutating func symbol(_ s: String) -> Bool {
        skipSpaces()
        let bytes = Array(s.utf8)
        guard i + bytes.count <= text.count, Array(text[i..<i + bytes.count]) == bytes else { return false }
        i += bytes.count
        return true
    }

    /// `and`, `or` and `not` combine conditions, never bare numbers or fields.
    mutating func condition(_ e: Expression?, after keyword: String) -> Expression? {
        guard let e else { return nil }
        if !e.isBoolean { fail("`\(keyword)` needs a comparison on each side, e.g. `qty > 0`") ; return nil }
        return e
    }

    mutating func parseOr() -> Expression? {
        guard var left = parseAnd() else { return nil }
        while word("or") {
            guard let l = condition(left, after: "or"), let right = condition(parseAnd(), after: "or") else { return nil }
            left = .or(l, right)
        }
        return left
    }

    mutating func parseAnd() -> Expression? {
        guard var left = parseNot() else { return nil }
        while word("and") {
            guard let l = condition(left, after: "and"), let right = condition(parseNot(), after: "and") else { return nil }
            left = .and(l, right)
        }
        return left
    }

    mutating func parseNot() -> Expression? {
        if word("not") { return condition(parseNot(), after: "not").map(Expression.not) }
        return parseComparison()
    }

    mutating func parseComparison() -> Expression? {
        guard let left = parseSum() else { return nil }
        for op in ["==", "!=", "<=", ">=", "<", ">", "="] where symbol(op) {
            guard let right = parseSum() else { return nil }
            return .comparison(op == "=" ? "==" : op, left, right)
        }
        return left
    }

    mutating func parseSum() -> Expression? {
        guard var left = parseProduct() else { return nil }
        while true {
            if symbol("+") { guard let r = parseProduct() else { return nil }; left = .arithmetic(UInt8(ascii: "+"), left, r) }
            else if symbol("-") { guard let r = parseProduct() else { return nil }; left = .arithmetic(UInt8(ascii: "-"), left, r) }
            else { return left }
        }
    }

    mutating func parseProduct() -> Expression? {
        guard var left = parseAtom() else { return nil }
        while true {
            if symbol("*") { guard let r = parseAtom() else { return nil }; left = .arithmetic(UInt8(ascii: "*"), left, r) }
            else if symbol("/") { guard let r = parseAtom() else { return nil }; left = .arithmetic(UInt8(ascii: "/"), left, r) }
            else { return left }
        }
    }

    mutating func parseAtom() -> Expression? {
        skipSpaces()
        guard i < text.count else { fail("the expression ends too early"); return nil }
        if symbol("(") {
            let inner = parseOr()
            guard symbol(")") else { fail("missing ')'"); return nil }
            return inner
        }
        let start = i
        if text[i] >= 0x30 && text[i] <= 0x39 || text[i] == UInt8(ascii: ".") {
            while i < text.count, text[i] >= 0x30 && text[i] <= 0x39 || text[i] == UInt8(ascii: ".") { i += 1 }
            guard let d = ExactDecimal(String(decoding: text[start..<i], as: UTF8.self)) else { fail("bad number"); return nil }
            return .number(d)
        }
        if symbol("-") { return parseAtom().map { .arithmetic(UInt8(ascii: "-"), .number(ExactDecimal(significand: 0, scale: 0)), $0) } }
        while i < text.count, isIdentifierByte(text[i]) { i += 1 }
        guard i > start else { fail("expected a field name or a number"); return nil }
        let name = String(decoding: text[start..<i], as: UTF8.self)
        guard let column = scope.column(of: name) else {
            i = start
            let hint = scope.unavailableReason(name) ?? Suggestions.didYouMean(name, in: scope.names)
                ?? "fields: " + scope.names.joined(separator: ", ")
            var location = node.location
            location.column += start
            failure = failure ?? .error(.unknownField, at: location, "unknown field '\(name)' in check expression", hint: hint)
            return nil
        }
        return .field(column, name)
    }

    func isIdentifierByte(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "_") || (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
    }
}

extension Expression {
    var isBoolean: Bool {
        switch self {
        case .comparison, .and, .or, .not: true
        default: false
        }
    }
}
