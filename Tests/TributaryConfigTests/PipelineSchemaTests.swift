import Foundation
import Testing
@testable import TributaryComponents
@testable import TributaryConfig
import TributaryCore
import TributaryTestSupport

/// Docs/pipeline.schema.json is generated from the specs (`pipeline schema`), every pipeline of
/// Pipelines/ conforms to it, and it rejects the mistakes it can express.
@Suite("JSON Schema of pipeline files")
struct PipelineSchemaTests {
    static let committedPath = packageRoot.appendingPathComponent("Docs/pipeline.schema.json")

    static func committed() throws -> [String: Any] {
        let data = try Data(contentsOf: committedPath)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// A YAML text as the values a YAML language server sees (YAML 1.2 core schema: plain
    /// `true`, `12`, `1.5` are a boolean and numbers; quoted scalars are text).
    static func value(_ yaml: String, file: String = "test.yml") throws -> Any {
        var diagnostics = DiagnosticBag()
        let node = try #require(YAMLReader.read(yaml, file: file, diagnostics: &diagnostics), "\(diagnostics.sorted)")
        return value(node)
    }

    static func value(_ node: ConfigNode) -> Any {
        switch node.value {
        case .null: return NSNull()
        case .sequence(let items): return items.map(value)
        case .mapping(let entries):
            return Dictionary(entries.map { ($0.key, value($0.value)) }, uniquingKeysWith: { a, _ in a })
        case .scalar(let text):
            guard !node.quoted else { return text }
            if ["true", "True", "TRUE"].contains(text) { return true }
            if ["false", "False", "FALSE"].contains(text) { return false }
            if ["null", "Null", "NULL", "~"].contains(text) { return NSNull() }
            if text.wholeMatch(of: /[-+]?[0-9]+/) != nil, let n = Int(text) { return n }
            if text.wholeMatch(of: /[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?/) != nil, let d = Double(text) { return d }
            return text
        }
    }

    @Test func committedSchemaIsUpToDate() throws {
        let committed = try String(contentsOf: Self.committedPath, encoding: .utf8)
        #expect(committed == PipelineSchema.json(Registry.standard),
                "Docs/pipeline.schema.json is stale: run `pipeline schema > Docs/pipeline.schema.json`")
    }

    @Test func everySamplePipelineConforms() throws {
        let folder = packageRoot.appendingPathComponent("Pipelines")
        let files = try FileManager.default.subpathsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yml") }.sorted()
        #expect(files.count >= 5, "\(files)")
        let validator = SchemaValidator(root: try Self.committed())
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let errors = validator.errors(try Self.value(text, file: file))
            #expect(errors.isEmpty, "\(file): \(errors)")
        }
    }

    @Test func everyComponentExampleConforms() throws {
        let schema = try Self.committed()
        let validator = SchemaValidator(root: schema)
        let defs = try #require(schema["$defs"] as? [String: Any])
        for (name, component) in Registry.standard.transforms {
            let errors = validator.errors(try Self.value(component.spec.example), against: try #require(defs["transform"] as? [String: Any]))
            #expect(errors.isEmpty, "transform \(name): \(errors)")
        }
    }

    /// A valid pipeline, then one mistake at a time: each must be reported, at its path.
    @Test(arguments: [
        ("    delimter: \";\"\n", "sources.crm.delimter"),
        ("    transforms:\n      - trimm: all\n", "sources.crm.transforms[0]"),
        ("    transforms:\n      - trim: all\n        lower: email\n", "sources.crm.transforms[0]"),
        ("    max_record_lines: 0\n", "sources.crm.max_record_lines"),
        ("    reconciliation: { on_mismatch: stop }\n", "sources.crm.reconciliation.on_mismatch"),
        ("    key: { a: b }\n", "sources.crm.key"),
    ])
    func mistakesAreRejected(mistake: String, path: String) throws {
        let valid = """
            # yaml-language-server: $schema=../Docs/pipeline.schema.json
            version: 1
            name: schema-test
            output:
              sqlite: out/x.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email

            """
        let validator = SchemaValidator(root: try Self.committed())
        let clean = validator.errors(try Self.value(valid))
        #expect(clean.isEmpty, "\(clean)")
        let errors = validator.errors(try Self.value(valid + mistake))
        // A source is one of the formats (`anyOf`): its mistake is named in the closest alternative's errors.
        #expect(errors.joined(separator: " ").contains(path + ":"), "\(errors)")
        // Top-level mistakes.
        for (written, wrong) in [("version: 1", "version: 2"), ("output:", "outptu:"), ("format: csv", "format: xml")] {
            let errors = validator.errors(try Self.value(valid.replacingOccurrences(of: written, with: wrong)))
            #expect(!errors.isEmpty, "\(wrong)")
        }
    }
}

/// A validator for the part of JSON Schema that `PipelineSchema` emits: `$ref` (to `#/$defs/…`),
/// `type`, `enum`, `properties`, `required`, `additionalProperties`, `items`, `anyOf`, `oneOf`,
/// `minimum`, `maximum`. Any other keyword is reported, so the schema cannot grow past what
/// this checks without the test saying so.
struct SchemaValidator {
    var root: [String: Any]

    static let annotations: Set<String> = ["$schema", "$id", "$defs", "title", "description", "default"]
    static let keywords: Set<String> = ["$ref", "type", "enum", "properties", "required", "additionalProperties",
                                        "items", "anyOf", "oneOf", "minimum", "maximum"]

    func errors(_ value: Any) -> [String] { errors(value, against: root) }

    /// Every mismatch as `path: what`, the path in dots and `[i]`.
    func errors(_ value: Any, against schema: [String: Any], at path: String = "") -> [String] {
        var out: [String] = []
        let here = path.isEmpty ? "(root)" : path
        for key in schema.keys where !Self.annotations.contains(key) && !Self.keywords.contains(key) {
            out.append("\(here): unsupported keyword \(key)")
        }
        if let ref = schema["$ref"] as? String {
            guard ref.hasPrefix("#/$defs/"), let defs = root["$defs"] as? [String: Any],
                  let target = defs[String(ref.dropFirst("#/$defs/".count))] as? [String: Any] else {
                return out + ["\(here): unresolved $ref \(ref)"]
            }
            out += errors(value, against: target, at: path)
        }
        if let type = schema["type"] {
            let types = (type as? [String]) ?? [(type as? String) ?? "?"]
            if !types.contains(where: { Self.matches(value, $0) }) {
                return out + ["\(here): expected \(types.joined(separator: " or ")), got \(Self.kind(value))"]
            }
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { Self.equal($0, value) }) {
            out.append("\(here): \(value) is not one of \(allowed)")
        }
        if let minimum = (schema["minimum"] as? NSNumber)?.doubleValue, let n = Self.number(value), n < minimum {
            out.append("\(here): \(n) < \(minimum)")
        }
        if let maximum = (schema["maximum"] as? NSNumber)?.doubleValue, let n = Self.number(value), n > maximum {
            out.append("\(here): \(n) > \(maximum)")
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in (schema["required"] as? [String] ?? []) where object[name] == nil {
                out.append("\(here): missing \(name)")
            }
            for (key, child) in object.sorted(by: { $0.key < $1.key }) {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if let sub = properties[key] as? [String: Any] {
                    out += errors(child, against: sub, at: childPath)
                } else if let extra = schema["additionalProperties"] {
                    if let allowed = extra as? Bool, !(extra is [String: Any]) {
                        if !allowed { out.append("\(childPath): unknown key") }
                    } else if let sub = extra as? [String: Any] {
                        out += errors(child, against: sub, at: childPath)
                    }
                }
            }
        }
        if let items = schema["items"] as? [String: Any], let array = value as? [Any] {
            for (i, item) in array.enumerated() { out += errors(item, against: items, at: "\(path)[\(i)]") }
        }
        for keyword in ["anyOf", "oneOf"] {
            guard let alternatives = schema[keyword] as? [[String: Any]] else { continue }
            let results = alternatives.map { errors(value, against: $0, at: path) }
            let passing = results.count { $0.isEmpty }
            if keyword == "anyOf" ? passing == 0 : passing != 1 {
                // The closest alternative's errors: the one with the fewest.
                let closest = results.min { $0.count < $1.count } ?? []
                out.append("\(here): matches \(passing) of the \(keyword) alternatives; closest: \(closest.prefix(3))")
            }
        }
        return out
    }

    static func matches(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "string": value is String
        case "boolean": value is Bool
        case "integer": value is Int
        case "number": value is Int || value is Double
        case "object": value is [String: Any]
        case "array": value is [Any]
        case "null": value is NSNull
        default: false
        }
    }

    static func kind(_ value: Any) -> String {
        ["string", "boolean", "integer", "number", "object", "array", "null"].first { matches(value, $0) } ?? "?"
    }

    static func number(_ value: Any) -> Double? {
        if let i = value as? Int, !(value is Bool) { return Double(i) }
        return value as? Double
    }

    /// Schema enum members come from JSONSerialization (strings and NSNumbers), values from YAML.
    static func equal(_ member: Any, _ value: Any) -> Bool {
        if let s = member as? String { return (value as? String) == s }
        if let n = member as? NSNumber, let v = number(value) { return !(value is String) && n.doubleValue == v }
        return false
    }
}
