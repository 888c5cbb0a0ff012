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
///       - required: [event]                             # a conditional rule: checked only
///         when: type == 'track'                         #   on records where `when` holds
///
/// `check` compares numbers with `== != < <= > >=`, combines with `and`, `or`, `not` and
/// parentheses, and computes with `+ - * /`; a field compares with a quoted text with `==` or
/// `!=` (`type == 'track'`, exact bytes), or with a list with `in` (`type in ('track', 'page')`).
/// As in SQL CHECK constraints, a comparison involving an empty field passes: use `required` to
/// demand a value. `when:` takes the same language; a rule applies only where its `when` is true
/// (an empty field makes it unknown, so the rule does not apply).
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
        /// `when:`: the rule applies only to records where this holds.
        var when: Expression? = nil
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
            Property("when", .string, doc: "a condition, in the language of `check` (e.g. `type == 'track'`): the rule applies only to records where it holds"),
        ])),
        example: """
            rules:
              - required: [txn_id]
              - check: amount_cents == qty * unit_price * 100
                name: amount_matches
              - required: [event]
                when: type == 'track'
            """)

    public var isEmpty: Bool { rules.isEmpty }

    /// Builds the rules from the `rules:` list, resolving fields through `scope`.
    public static func make(_ node: ConfigNode, scope: FieldScope, diagnostics: inout DiagnosticBag) -> (any RecordStep)? {
        let before = diagnostics.errorCount
        var rules: [Named] = []
        for (index, item) in (node.sequence ?? []).enumerated() {
            let kinds = (item.entries ?? []).filter { $0.key != "name" && $0.key != "when" }
            guard kinds.count == 1, let only = kinds.first else {
                diagnostics.add(.error(.invalidValue, at: item.location,
                                       "each rule has exactly one of required, allowed, at_least_one_of, check",
                                       hint: "write one rule per list item (`name:` and `when:` may accompany it)"))
                continue
            }
            var when: Expression?
            var whenFailed = false
            if let condition = item["when"] {
                if let text = condition.scalar {
                    var parser = ExpressionParser(text: text, node: condition, scope: scope, role: "when")
                    when = parser.parse(diagnostics: &diagnostics)
                    whenFailed = when == nil
                } else {
                    diagnostics.add(.error(.invalidValue, at: condition.location, "`when` is a condition written as text",
                                           hint: "e.g. when: type == 'track'"))
                    whenFailed = true
                }
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
            if let rule, !whenFailed {
                if item["name"] == nil, let text = item["when"]?.scalar { name += " when \(text)" }
                rules.append(Named(rule: rule, name: name, when: when))
            }
        }
        return diagnostics.errorCount == before ? ValidityRules(rules: rules) : nil
    }

    public func apply(to batch: inout RecordBatch) -> [Rejection] {
        var rejections: [Rejection] = []
        for row in 0..<batch.count {
            for named in rules where applies(named, batch, row) && !passes(named.rule, batch, row) {
                rejections.append(Rejection(row: row, reason: .ruleFailed, detail: "rule '\(named.name)' failed"))
                break
            }
        }
        return rejections
    }

    /// Whether a rule is checked on this record: always, or where its `when` is true.
    func applies(_ named: Named, _ batch: RecordBatch, _ row: Int) -> Bool {
        guard let when = named.when else { return true }
        if case .boolean(true) = when.evaluate(batch, row) { return true }
        return false
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
    /// A quoted text literal; only compared with a field (`==`, `!=`, `in`).
    case text([UInt8])
    /// A field compared with texts: equal to one of them, or (negated) to none.
    case textIn(Int, [[UInt8]], negated: Bool)
    case arithmetic(UInt8, Expression, Expression)
    case comparison(String, Expression, Expression)
    case and(Expression, Expression)
    case or(Expression, Expression)
    case not(Expression)

    enum Value { case number(ExactDecimal), boolean(Bool), unknown, invalid }

    func evaluate(_ batch: RecordBatch, _ row: Int) -> Value {
        switch self {
        case .number(let d): return .number(d)
        case .text: return .invalid
        case .textIn(let column, let texts, let negated):
            return batch.columns[column].withValue(row) { value in
                guard let value else { return .unknown }
                let found = texts.contains { $0.count == value.count && $0.elementsEqual(value) }
                return .boolean(found != negated)
            }
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
struct ExpressionParser: TokenCursor {
    let text: [UInt8]
    let node: ConfigNode
    let scope: FieldScope
    /// What the expression is, for messages: `check` or `when`.
    let role: String
    var i = 0
    var failure: Diagnostic?

    init(text: String, node: ConfigNode, scope: FieldScope, role: String = "check") {
        self.text = Array(text.utf8)
        self.node = node
        self.scope = scope
        self.role = role
    }

    /// Parses a condition (`check:`), or with `condition: false` an arithmetic value (`derive`).
    mutating func parse(condition: Bool = true, diagnostics: inout DiagnosticBag) -> Expression? {
        let result = parseOr()
        skipSpaces()
        if failure == nil, i < text.count { fail("unexpected '\(String(decoding: text[i...], as: UTF8.self))'") }
        if condition, failure == nil, let result, !result.isBoolean {
            fail(role == "when" ? "the condition must be a comparison, e.g. `type == 'track'`" : "the check must be a comparison, e.g. `a == b * 100`")
        }
        if !condition, failure == nil, let result, result.isBoolean || result.isText {
            fail("the expression must compute a number, e.g. `qty * unit_price`")
        }
        if let failure { diagnostics.add(failure); return nil }
        return result
    }

    mutating func fail(_ message: String) {
        guard failure == nil else { return }
        var location = node.location
        location.column += i  // plain scalars start at the node; quoted ones are off by the quote
        failure = .error(.invalidValue, at: location, "in \(role) expression: \(message)",
                         hint: "use field names, numbers, 'quoted text', + - * / ( ), == != < <= > >=, in ('a', 'b'), and, or, not")
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
        let start = i
        guard let left = parseSum() else { return nil }
        // `field in ('a', 'b')` and `field not in (...)`
        let beforeIn = i
        let negated = word("not")
        if word("in") {
            guard case .field(let column, _) = left else { i = start; fail("`in` needs a field on its left, e.g. `type in ('track', 'page')`"); return nil }
            guard symbol("(") else { fail("expected '(' after `in`"); return nil }
            var texts: [[UInt8]] = []
            repeat {
                skipSpaces()
                guard i < text.count, text[i] == UInt8(ascii: "'"), let literal = quoted() else { fail("expected a 'quoted text' in the list"); return nil }
                texts.append(literal)
            } while symbol(",")
            guard symbol(")") else { fail("missing ')'"); return nil }
            return .textIn(column, texts, negated: negated)
        }
        if negated { i = beforeIn }
        for op in ["==", "!=", "<=", ">=", "<", ">", "="] where symbol(op) {
            let opStart = i
            guard let right = parseSum() else { return nil }
            let op = op == "=" ? "==" : op
            if left.isText || right.isText {
                // A field against a text: exact bytes, with == or != only.
                guard op == "==" || op == "!=" else { i = opStart; fail("a text compares only with == or !="); return nil }
                switch (left, right) {
                case (.field(let column, _), .text(let t)), (.text(let t), .field(let column, _)):
                    return .textIn(column, [t], negated: op == "!=")
                default:
                    i = start
                    fail("a 'quoted text' compares with a field, e.g. `type == 'track'`")
                    return nil
                }
            }
            return .comparison(op, left, right)
        }
        return left
    }

    /// A single-quoted text at `i` (`''` is a quote inside it); nil when never closed.
    mutating func quoted() -> [UInt8]? {
        var bytes: [UInt8] = []
        var j = i + 1
        while j < text.count {
            if text[j] == UInt8(ascii: "'") {
                if j + 1 < text.count, text[j + 1] == UInt8(ascii: "'") { bytes.append(text[j]); j += 2; continue }
                i = j + 1
                return bytes
            }
            bytes.append(text[j])
            j += 1
        }
        return nil
    }

    /// `a op b`, refused for a quoted text: texts are only compared.
    mutating func arithmetic(_ op: Unicode.Scalar, _ a: Expression, _ b: Expression) -> Expression? {
        if a.isText || b.isText { fail("a 'quoted text' cannot be computed with; compare it with == or !="); return nil }
        return .arithmetic(UInt8(ascii: op), a, b)
    }

    mutating func parseSum() -> Expression? {
        guard var left = parseProduct() else { return nil }
        while true {
            if symbol("+") { guard let r = parseProduct(), let e = arithmetic("+", left, r) else { return nil }; left = e }
            else if symbol("-") { guard let r = parseProduct(), let e = arithmetic("-", left, r) else { return nil }; left = e }
            else { return left }
        }
    }

    mutating func parseProduct() -> Expression? {
        guard var left = parseAtom() else { return nil }
        while true {
            if symbol("*") { guard let r = parseAtom(), let e = arithmetic("*", left, r) else { return nil }; left = e }
            else if symbol("/") { guard let r = parseAtom(), let e = arithmetic("/", left, r) else { return nil }; left = e }
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
        if text[i] == UInt8(ascii: "'") {
            guard let literal = quoted() else { fail("a quoted text is never closed"); return nil }
            return .text(literal)
        }
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
            failure = failure ?? .error(.unknownField, at: location, "unknown field '\(name)' in \(role) expression", hint: hint)
            return nil
        }
        return .field(column, name)
    }

}

extension Expression {
    var isBoolean: Bool {
        switch self {
        case .comparison, .and, .or, .not, .textIn: true
        default: false
        }
    }

    var isText: Bool {
        if case .text = self { return true }
        return false
    }
}
