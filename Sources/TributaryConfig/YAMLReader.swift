import TributaryCore
import Yams

/// Turns YAML text into a located `ConfigNode` tree. Every scalar stays text (the YAML "failsafe"
/// schema): `yes`, `no`, `on`, `0755` and dates are not silently converted, and each component
/// decides what its values mean. Duplicate keys are reported, with both positions.
public enum YAMLReader {
    /// Deepest nesting of mappings and sequences accepted (a pipeline needs about 8).
    public static let maxDepth = 128
    /// Most values (scalars, mappings, sequences) a file may expand to, aliases expanded: a
    /// few hundred bytes of nested aliases ("billion laughs") must not expand into gigabytes.
    public static let maxValues = 200_000

    public static func read(_ text: String, file: String, diagnostics: inout DiagnosticBag) -> ConfigNode? {
        // Bounded before the YAML library sees the text: its composer recurses once per level.
        if let line = deepNestingLine(text) {
            diagnostics.add(.error(.yamlSyntax, at: SourceLocation(file: file, line: line, column: 1),
                                   "values are nested more than \(maxDepth) levels deep",
                                   hint: "a pipeline file nests a few levels; check for runaway brackets or dashes"))
            return nil
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            diagnostics.add(syntaxDiagnostic(error, file: file))
            return nil
        } catch {
            diagnostics.add(.error(.yamlSyntax, at: SourceLocation(file: file, line: 1, column: 1),
                                   "the file is not valid YAML"))
            return nil
        }
        guard let root else {
            diagnostics.add(.error(.missingKey, at: SourceLocation(file: file, line: 1, column: 1),
                                   "the pipeline file is empty",
                                   hint: "start from a file in Pipelines/ or see Docs/pipeline-files.md"))
            return nil
        }
        var budget = Budget()
        let converted = convert(root, file: file, depth: 0, budget: &budget, diagnostics: &diagnostics)
        if let exceeded = budget.exceeded {
            diagnostics.add(.error(.yamlSyntax, at: exceeded,
                                   budget.values > maxValues
                                       ? "the file expands to more than \(maxValues) values (aliases included)"
                                       : "values are nested more than \(maxDepth) levels deep",
                                   hint: "YAML aliases (`*name`) that repeat other aliases multiply; write the values out"))
            return nil
        }
        return converted
    }

    /// What converting the tree has used so far.
    struct Budget {
        var values = 0
        /// Where a limit was first exceeded.
        var exceeded: SourceLocation?
    }

    /// The first line where flow brackets (`[`, `{`) or block indicators (`- - -`) nest deeper
    /// than `maxDepth`, outside quotes and comments; nil when none does. Block mappings nest by
    /// indentation, which a value's depth cannot exceed without as many columns.
    static func deepNestingLine(_ text: String) -> Int? {
        var line = 1
        var flow = 0
        var quote: UInt8 = 0
        var comment = false
        var atLineStart = true
        var dashes = 0
        var previous: UInt8 = 0x0A
        for byte in text.utf8 {
            if byte == 0x0A {
                line += 1
                comment = false
                atLineStart = true
                dashes = 0
                previous = byte
                continue
            }
            defer { previous = byte }
            if comment { continue }
            if quote != 0 {
                if byte == quote && previous != UInt8(ascii: "\\") { quote = 0 }
                continue
            }
            switch byte {
            case UInt8(ascii: "#") where previous == 0x20 || previous == 0x09 || previous == 0x0A:
                comment = true
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                atLineStart = false
                if previous == 0x20 || previous == 0x0A || previous == UInt8(ascii: "[") || previous == UInt8(ascii: "{")
                    || previous == UInt8(ascii: ",") || previous == UInt8(ascii: ":") || previous == 0x09 { quote = byte }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                atLineStart = false
                flow += 1
                if flow > maxDepth { return line }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                atLineStart = false
                flow = max(0, flow - 1)
            case UInt8(ascii: "-") where atLineStart:
                dashes += 1
                if dashes > maxDepth { return line }
            case 0x20, 0x09:
                break
            default:
                atLineStart = false
            }
        }
        return nil
    }

    private static func location(_ mark: Mark?, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func convert(_ node: Node, file: String, depth: Int, budget: inout Budget,
                                diagnostics: inout DiagnosticBag) -> ConfigNode {
        let here = location(node.mark, file)
        budget.values += 1
        guard budget.exceeded == nil, budget.values <= maxValues, depth <= maxDepth else {
            if budget.exceeded == nil { budget.exceeded = here }
            return ConfigNode(.null, at: here)
        }
        switch node {
        case .scalar(let scalar):
            let isPlain = scalar.style == .plain || scalar.style == .any
            if isPlain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                return ConfigNode(.null, at: here)
            }
            return ConfigNode(.scalar(scalar.string), at: here, quoted: !isPlain)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            for item in sequence {
                items.append(convert(item, file: file, depth: depth + 1, budget: &budget, diagnostics: &diagnostics))
                if budget.exceeded != nil { break }
            }
            return ConfigNode(.sequence(items), at: here)
        case .mapping(let mapping):
            var entries: [ConfigEntry] = []
            var firstSeen: [String: SourceLocation] = [:]
            for (key, value) in mapping {
                let keyLocation = location(key.mark, file)
                guard let name = key.scalar?.string else {
                    diagnostics.add(.error(.wrongType, at: keyLocation, "mapping keys must be plain names",
                                           hint: "write the key as text, e.g. `name:`"))
                    continue
                }
                if let previous = firstSeen[name] {
                    diagnostics.add(.error(.duplicateKey, at: keyLocation,
                                           "duplicate key '\(name)' (first defined at line \(previous.line), column \(previous.column))",
                                           hint: "remove one of them; YAML would silently keep only one"))
                    continue
                }
                firstSeen[name] = keyLocation
                entries.append(ConfigEntry(key: name, keyLocation: keyLocation,
                                           value: convert(value, file: file, depth: depth + 1, budget: &budget,
                                                          diagnostics: &diagnostics)))
                if budget.exceeded != nil { break }
            }
            return ConfigNode(.mapping(entries), at: here)
        }
    }

    private static func syntaxDiagnostic(_ error: YamlError, file: String) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var message = "YAML syntax: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            return .error(.yamlSyntax, at: location(mark, file), message,
                          hint: "check indentation and that values with ': ' or '#' are quoted")
        case .reader(let problem, _, _, _):
            return .error(.yamlSyntax, at: SourceLocation(file: file, line: 1, column: 1),
                          "cannot read the file as text: \(problem)", hint: "save the file as UTF-8")
        default:
            return .error(.yamlSyntax, at: SourceLocation(file: file, line: 1, column: 1), "YAML error: \(error)")
        }
    }
}
