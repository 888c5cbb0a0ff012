/// Declarative description of what a component accepts. One spec drives three things: the
/// structural validation of the pipeline file (unknown keys, types, choices), the generated
/// reference in `Docs/components.md`, and the example that the test suite validates.
public indirect enum Shape: Sendable {
    /// Any scalar text.
    case string
    /// A file path; a relative one is resolved against the pipeline file's folder before the
    /// component sees it.
    case path
    /// A whole number, optionally bounded.
    case integer(min: Int? = nil, max: Int? = nil)
    /// `true` / `false`.
    case boolean
    /// One of a fixed set of words.
    case choice([String])
    /// A list whose items have the given shape.
    case list(Shape)
    /// A mapping with fixed, documented keys.
    case object([Property])
    /// A mapping whose keys are user names (sources, fields) and values of one shape.
    case map(Shape)
    /// The first alternative whose YAML kind (scalar, list, mapping) matches the value.
    case oneOf([Shape])
    /// A scalar checked by a custom rule, described in the docs by `summary`.
    case custom(summary: String, check: @Sendable (ConfigNode) -> [Diagnostic])
    /// Any value; checked by another pass (e.g. each transform by its own spec).
    case checkedElsewhere(summary: String)

    /// The YAML kind this shape expects, for dispatching `oneOf` and for messages.
    public var kind: Kind {
        switch self {
        case .string, .path, .integer, .boolean, .choice, .custom: .scalar
        case .list: .sequence
        case .object, .map: .mapping
        case .oneOf, .checkedElsewhere: .any
        }
    }

    public enum Kind: Sendable { case scalar, sequence, mapping, any }

    /// Human wording used in docs and in "expected ..." messages.
    public var summary: String {
        switch self {
        case .string: "text"
        case .path: "a file path (relative to the pipeline file)"
        case .integer(let lo, let hi):
            switch (lo, hi) {
            case let (lo?, hi?): "an integer from \(lo) to \(hi)"
            case let (lo?, nil): "an integer ≥ \(lo)"
            default: "an integer"
            }
        case .boolean: "true or false"
        case .choice(let words): "one of " + words.map { "`\($0)`" }.joined(separator: ", ")
        case .list(let item): "a list of " + item.summary
        case .object: "a mapping"
        case .map(let value): "a mapping of names to " + value.summary
        case .oneOf(let shapes): shapes.map(\.summary).joined(separator: ", or ")
        case .custom(let summary, _): summary
        case .checkedElsewhere(let summary): summary
        }
    }
}

/// A key of an `object` shape.
public struct Property: Sendable {
    public var name: String
    public var shape: Shape
    public var required: Bool
    public var defaultValue: String?
    public var doc: String

    public init(_ name: String, _ shape: Shape, required: Bool = false, default defaultValue: String? = nil,
                doc: String) {
        self.name = name
        self.shape = shape
        self.required = required
        self.defaultValue = defaultValue
        self.doc = doc
    }
}

/// What a component is, for the registry, validation and the generated docs.
public struct ComponentSpec: Sendable {
    public enum Kind: String, Sendable { case extractor, transform }

    public var name: String
    public var kind: Kind
    public var summary: String
    /// The shape of the component's configuration.
    public var shape: Shape
    /// A YAML snippet that must validate; shown in the docs.
    public var example: String

    public init(name: String, kind: Kind, summary: String, shape: Shape, example: String) {
        self.name = name
        self.kind = kind
        self.summary = summary
        self.shape = shape
        self.example = example
    }
}
