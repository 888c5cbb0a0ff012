import TributaryCore

/// `${VAR}` and `${VAR:-default}` in scalar values, resolved from the environment when the file is
/// loaded. `$${` writes a literal `${`. Interpolated values are marked on the node so that no
/// diagnostic ever prints them (they may be passwords or customer data).
public enum Interpolation {
    public static func apply(_ node: ConfigNode, environment: [String: String],
                             diagnostics: inout DiagnosticBag) -> ConfigNode {
        switch node.value {
        case .null:
            return node
        case .scalar(let text):
            guard text.contains("$") else { return node }
            var variables: [String] = []
            let result = substitute(text, at: node.location, environment: environment,
                                    variables: &variables, diagnostics: &diagnostics)
            var copy = node
            copy.value = .scalar(result)
            copy.interpolatedFrom = variables
            if !variables.isEmpty { copy.written = text }
            return copy
        case .sequence(let items):
            var copy = node
            copy.value = .sequence(items.map { apply($0, environment: environment, diagnostics: &diagnostics) })
            return copy
        case .mapping(let entries):
            var copy = node
            copy.value = .mapping(entries.map { entry in
                var e = entry
                e.value = apply(entry.value, environment: environment, diagnostics: &diagnostics)
                return e
            })
            return copy
        }
    }

    static func substitute(_ text: String, at location: SourceLocation, environment: [String: String],
                           variables: inout [String], diagnostics: inout DiagnosticBag) -> String {
        var out = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest[dollar...].dropFirst()
            if after.hasPrefix("${") {            // "$${" escapes a literal "${"
                out += "${"
                rest = after.dropFirst(2)
                continue
            }
            guard after.hasPrefix("{") else {
                out += "$"
                rest = after
                continue
            }
            guard let close = after.firstIndex(of: "}") else {
                diagnostics.add(.error(.badVariableSyntax, at: location, "'${' is not closed by '}'",
                                       hint: "write ${NAME} or ${NAME:-default}; write $${ for a literal ${"))
                return text
            }
            let body = after[after.index(after: after.startIndex)..<close]
            let name: Substring
            let fallback: Substring?
            if let sep = body.range(of: ":-") {
                name = body[..<sep.lowerBound]
                fallback = body[sep.upperBound...]
            } else {
                name = body
                fallback = nil
            }
            let validName = !name.isEmpty && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
                && !(name.first!.isNumber)
            if !validName {
                diagnostics.add(.error(.badVariableSyntax, at: location, "'${\(name)}' is not a valid variable name",
                                       hint: "names use letters, digits and '_', e.g. ${RUN_DATE}"))
            } else {
                variables.append(String(name))
                if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                    out += value
                } else if let fallback {
                    out += fallback
                } else {
                    diagnostics.add(.error(.unsetVariable, at: location, "environment variable '\(name)' is not set",
                                           hint: "export \(name)=... before the run, or give a default: ${\(name):-value}"))
                }
            }
            rest = after[after.index(after: close)...]
        }
        out += rest
        return out
    }
}
