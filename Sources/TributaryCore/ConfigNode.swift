/// The pipeline file as a located tree: every value knows the file, line and column it came from,
/// so that any later pass can point a diagnostic at it. Produced by `TributaryConfig` from YAML;
/// consumed by component specs and factories, which therefore never see YAML.
public struct ConfigNode: Sendable {
    public enum Value: Sendable {
        case null
        case scalar(String)
        case sequence([ConfigNode])
        case mapping([ConfigEntry])
    }

    public var value: Value
    public var location: SourceLocation
    /// Whether a scalar's text came from `${VAR}` interpolation. Such values may be secrets or
    /// customer data, so diagnostics describe them (`the value of ${PG_URL}`) instead of echoing.
    public var interpolatedFrom: [String]
    /// Whether a scalar was written quoted (or as a block), so its text does not start at `location`.
    public var quoted = false
    /// The scalar as written in the file, before `${VAR}` interpolation: what the output may store
    /// and print (the interpolated text may hold a secret). nil when nothing was interpolated.
    public var written: String?

    /// The text to store or show: the scalar as written when it was interpolated.
    public var writtenScalar: String? { written ?? scalar }

    public init(_ value: Value, at location: SourceLocation, interpolatedFrom: [String] = [], quoted: Bool = false) {
        self.value = value
        self.location = location
        self.interpolatedFrom = interpolatedFrom
        self.quoted = quoted
    }

    public var isNull: Bool { if case .null = value { true } else { false } }

    public var scalar: String? { if case .scalar(let s) = value { s } else { nil } }

    public var sequence: [ConfigNode]? { if case .sequence(let s) = value { s } else { nil } }

    public var entries: [ConfigEntry]? { if case .mapping(let m) = value { m } else { nil } }

    /// The value of `key` in a mapping (the first one, should the file repeat the key).
    public subscript(key: String) -> ConfigNode? {
        entries?.first { $0.key == key }?.value
    }

    public func entry(_ key: String) -> ConfigEntry? { entries?.first { $0.key == key } }

    /// A scalar or a sequence of scalars, as a list.
    public var scalarList: [ConfigNode]? {
        switch value {
        case .scalar: [self]
        case .sequence(let items): items.allSatisfy { $0.scalar != nil } ? items : nil
        default: nil
        }
    }

    /// What a diagnostic may print for this value: the text itself, or where it came from.
    public var safeDescription: String {
        if !interpolatedFrom.isEmpty {
            return "the value of " + interpolatedFrom.map { "${\($0)}" }.joined(separator: ", ")
        }
        switch value {
        case .null: return "null"
        case .scalar(let s): return "'\(s)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// The YAML kind, for "expected X, found Y" messages.
    public var kindName: String {
        switch value {
        case .null: "null"
        case .scalar: "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

public struct ConfigEntry: Sendable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: ConfigNode

    public init(key: String, keyLocation: SourceLocation, value: ConfigNode) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}
