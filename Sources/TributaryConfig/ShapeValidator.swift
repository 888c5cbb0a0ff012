import TributaryCore

/// Checks a config node against a `Shape` and reports every mismatch: unknown keys (with a
/// suggestion), missing required keys, wrong YAML kinds, values outside a choice, bad integers.
public enum ShapeValidator {
    public static func validate(_ node: ConfigNode, against shape: Shape, context: String,
                                diagnostics: inout DiagnosticBag) {
        switch shape {
        case .string, .path:
            expectScalar(node, shape, context, &diagnostics)
        case .integer(let lo, let hi):
            guard expectScalar(node, shape, context, &diagnostics), let text = node.scalar else { return }
            guard let value = Int(text) else {
                diagnostics.add(.error(.wrongType, at: node.location,
                                       "\(context) must be \(shape.summary), found \(node.safeDescription)"))
                return
            }
            if let lo, value < lo {
                diagnostics.add(.error(.invalidValue, at: node.location, "\(context) must be at least \(lo), found \(node.safeDescription)"))
            }
            if let hi, value > hi {
                diagnostics.add(.error(.invalidValue, at: node.location, "\(context) must be at most \(hi), found \(node.safeDescription)"))
            }
        case .boolean:
            guard expectScalar(node, shape, context, &diagnostics), let text = node.scalar else { return }
            if !["true", "false"].contains(text) {
                diagnostics.add(.error(.wrongType, at: node.location,
                                       "\(context) must be true or false, found \(node.safeDescription)"))
            }
        case .choice(let words):
            guard expectScalar(node, shape, context, &diagnostics), let text = node.scalar else { return }
            if !words.contains(text) {
                let hint = Suggestions.didYouMean(text, in: words) ?? "choose one of: " + words.joined(separator: ", ")
                diagnostics.add(.error(.invalidEnumValue, at: node.location,
                                       "\(context) must be one of \(words.joined(separator: ", ")); found \(node.safeDescription)",
                                       hint: hint))
            }
        case .custom(_, let check):
            guard expectScalar(node, shape, context, &diagnostics) else { return }
            diagnostics.add(contentsOf: check(node))
        case .list(let item):
            guard let items = node.sequence else {
                wrongKind(node, shape, context, &diagnostics)
                return
            }
            for (i, element) in items.enumerated() {
                validate(element, against: item, context: "\(context)[\(i)]", diagnostics: &diagnostics)
            }
        case .map(let valueShape):
            guard let entries = node.entries else {
                wrongKind(node, shape, context, &diagnostics)
                return
            }
            for entry in entries {
                validate(entry.value, against: valueShape, context: "'\(entry.key)'", diagnostics: &diagnostics)
            }
        case .checkedElsewhere:
            return
        case .object(let properties):
            validateObject(node, properties, context: context, diagnostics: &diagnostics)
        case .oneOf(let alternatives):
            let kind: Shape.Kind = switch node.value {
            case .scalar: .scalar
            case .sequence: .sequence
            case .mapping: .mapping
            case .null: .any
            }
            if let match = alternatives.first(where: { $0.kind == kind || $0.kind == .any && kind != .any }) {
                validate(node, against: match, context: context, diagnostics: &diagnostics)
            } else {
                wrongKind(node, shape, context, &diagnostics)
            }
        }
    }

    /// Validates a mapping with fixed keys. `extraKeys` are allowed without being checked (they
    /// belong to another validator, e.g. a source's format-specific options).
    public static func validateObject(_ node: ConfigNode, _ properties: [Property], context: String,
                                      allowing extraKeys: Set<String> = [], diagnostics: inout DiagnosticBag) {
        guard let entries = node.entries else {
            wrongKind(node, .object(properties), context, &diagnostics)
            return
        }
        let known = Dictionary(properties.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = Set(properties.filter { property in property.required && !entries.contains { $0.key == property.name } }.map(\.name))
        // A misspelt required key is one mistake: reported at the misspelling, not again as missing.
        var misspelt = Set<String>()
        for entry in entries {
            if let property = known[entry.key] {
                validate(entry.value, against: property.shape, context: "'\(entry.key)'", diagnostics: &diagnostics)
            } else if !extraKeys.contains(entry.key) {
                let names = properties.map(\.name) + extraKeys
                let closest = Suggestions.closest(to: entry.key, in: names)
                var hint = closest.map { "did you mean '\($0)'?" } ?? "allowed keys here: " + names.sorted().joined(separator: ", ")
                if let closest, missing.contains(closest) {
                    misspelt.insert(closest)
                    hint += " (a required key)"
                }
                diagnostics.add(.error(.unknownKey, at: entry.keyLocation,
                                       "unknown key '\(entry.key)' in \(context)", hint: hint))
            }
        }
        for property in properties where missing.contains(property.name) && !misspelt.contains(property.name) {
            diagnostics.add(.error(.missingKey, at: node.location,
                                   "\(context) is missing the required key '\(property.name)'",
                                   hint: "add `\(property.name):` (\(property.doc))"))
        }
    }

    @discardableResult
    private static func expectScalar(_ node: ConfigNode, _ shape: Shape, _ context: String,
                                     _ diagnostics: inout DiagnosticBag) -> Bool {
        if node.scalar != nil { return true }
        wrongKind(node, shape, context, &diagnostics)
        return false
    }

    private static func wrongKind(_ node: ConfigNode, _ shape: Shape, _ context: String,
                                  _ diagnostics: inout DiagnosticBag) {
        diagnostics.add(.error(.wrongType, at: node.location,
                               "\(context) must be \(shape.summary), found \(node.kindName)"))
    }
}
