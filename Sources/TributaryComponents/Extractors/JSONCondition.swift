import TributaryCore

/// The condition of a conditional `require:` rule (`when: $.type == 'track'`): one JSON path
/// compared with one value or a list of values, as text (a string decoded, a number or boolean as
/// written).
///
/// - `$.p == 'x'`, `$.p in ('x', 'y')`: holds when the path has a value equal to one of them.
/// - `$.p != 'x'`, `$.p not in ('x', 'y')`: holds when it has a value equal to none of them.
///
/// As in SQL and in the `when:` of `rules:`, a condition on an absent or `null` key holds
/// neither way: the rule does not apply to that line.
public struct JSONCondition: Sendable, CustomStringConvertible {
    public var path: JSONPath
    public var values: [String]
    public var negated: Bool
    /// The condition as written, for quarantine details.
    public var text: String

    public init(path: JSONPath, values: [String], negated: Bool, text: String) {
        self.path = path
        self.values = values
        self.negated = negated
        self.text = text
    }

    public var description: String { text }

    static let hint = "write `$.type == 'track'`, `$.type != 'page'`, `$.type in ('track', 'page')` or `$.type not in ('page')`"

    // MARK: - Parsing

    /// Parses `node`'s text; a problem is reported at its column within the condition.
    static func parse(_ node: ConfigNode, diagnostics: inout DiagnosticBag) -> JSONCondition? {
        guard let raw = node.scalar else {
            diagnostics.add(.error(.invalidValue, at: node.location, "`when` must be a condition", hint: hint))
            return nil
        }
        var parser = Parser(text: Array(raw.utf8))
        func fail(_ message: String) -> JSONCondition? {
            var location = node.location
            if node.interpolatedFrom.isEmpty { location.column += parser.i }
            diagnostics.add(.error(.invalidValue, at: location, "in when condition: \(message)", hint: hint))
            return nil
        }
        parser.skipSpaces()
        let pathStart = parser.i
        let pathText = parser.pathToken()
        guard !pathText.isEmpty else { return fail("expected a JSON path such as `$.type`") }
        let path: JSONPath
        switch JSONPath.parse(pathText) {
        case .success(let parsed): path = parsed
        case .failure(let problem):
            parser.i = pathStart
            return fail("the JSON path is invalid: \(problem.message)")
        }
        parser.skipSpaces()
        var negated = false
        var values: [String] = []
        if parser.symbol("==") || parser.symbol("!=") {
            negated = parser.text[parser.i - 2] == UInt8(ascii: "!")
            guard let value = parser.value() else { return fail("expected a value after the comparison, e.g. 'track'") }
            values = [value]
        } else {
            if parser.word("not") { negated = true }
            guard parser.word("in") else { return fail("expected `==`, `!=`, `in` or `not in` after \(pathText)") }
            parser.skipSpaces()
            guard parser.symbol("(") else { return fail("expected `(` after `in`") }
            repeat {
                guard let value = parser.value() else { return fail("expected a value in the list, e.g. 'track'") }
                values.append(value)
            } while parser.symbol(",")
            guard parser.symbol(")") else { return fail("expected `,` or `)` in the list") }
        }
        parser.skipSpaces()
        guard parser.i == parser.text.count else {
            return fail("unexpected '\(String(decoding: parser.text[parser.i...], as: UTF8.self))' (one comparison per condition)")
        }
        return JSONCondition(path: path, values: values, negated: negated, text: raw)
    }

    /// A byte cursor over the condition text.
    struct Parser: TokenCursor {
        let text: [UInt8]
        var i = 0

        /// The path: from `$` to the first space or operator outside brackets and quotes.
        mutating func pathToken() -> String {
            let start = i
            var depth = 0
            var quote: UInt8? = nil
            while i < text.count {
                let b = text[i]
                if let q = quote {
                    if b == UInt8(ascii: "\\") { i += 1 } else if b == q { quote = nil }
                } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                    if depth == 0 { break }
                    quote = b
                } else if b == UInt8(ascii: "[") {
                    depth += 1
                } else if b == UInt8(ascii: "]") {
                    depth -= 1
                } else if depth == 0, b == 0x20 || b == 0x09 || b == UInt8(ascii: "=") || b == UInt8(ascii: "!") {
                    break
                }
                i += 1
            }
            return String(decoding: text[start..<min(i, text.count)], as: UTF8.self)
        }

        /// `'text'` or `"text"` (a doubled quote is one quote), or a bare number, `true` or `false`.
        mutating func value() -> String? {
            skipSpaces()
            guard i < text.count else { return nil }
            let q = text[i]
            if q == UInt8(ascii: "'") || q == UInt8(ascii: "\"") {
                let start = i
                var bytes: [UInt8] = []
                i += 1
                while i < text.count {
                    if text[i] == q {
                        if i + 1 < text.count, text[i + 1] == q { bytes.append(q); i += 2; continue }
                        i += 1
                        return String(decoding: bytes, as: UTF8.self)
                    }
                    bytes.append(text[i])
                    i += 1
                }
                i = start  // never closed: point at the opening quote
                return nil
            }
            let start = i
            while i < text.count, text[i] != 0x20, text[i] != UInt8(ascii: ","), text[i] != UInt8(ascii: ")") { i += 1 }
            let bare = String(decoding: text[start..<i], as: UTF8.self)
            guard bare == "true" || bare == "false" || (!bare.isEmpty && Double(bare) != nil) else { i = start; return nil }
            return bare
        }
    }
}
