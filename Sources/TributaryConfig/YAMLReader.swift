import TributaryCore
import Yams

/// Turns YAML text into a located `ConfigNode` tree. Every scalar stays text (the YAML "failsafe"
/// schema): `yes`, `no`, `on`, `0755` and dates are not silently converted, and each component
/// decides what its values mean. Duplicate keys are reported, with both positions.
public enum YAMLReader {
    public static func read(_ text: String, file: String, diagnostics: inout DiagnosticBag) -> ConfigNode? {
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
        return convert(root, file: file, diagnostics: &diagnostics)
    }

    private static func location(_ mark: Mark?, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func convert(_ node: Node, file: String, diagnostics: inout DiagnosticBag) -> ConfigNode {
        let here = location(node.mark, file)
        switch node {
        case .scalar(let scalar):
            let isPlain = scalar.style == .plain || scalar.style == .any
            if isPlain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                return ConfigNode(.null, at: here)
            }
            return ConfigNode(.scalar(scalar.string), at: here, quoted: !isPlain)
        case .sequence(let sequence):
            return ConfigNode(.sequence(sequence.map { convert($0, file: file, diagnostics: &diagnostics) }), at: here)
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
                                           value: convert(value, file: file, diagnostics: &diagnostics)))
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
