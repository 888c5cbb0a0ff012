import TributaryCore

/// Config nodes built by hand, as the YAML loader would build them from one made-up file, for the
/// tests that make components straight from nodes.
///
///     private let nodes = ConfigNodes(file: "t.yml", keys: .onValueLine(column: 1))
///     nodes.mapping(("field", nodes.scalar("email", line: 3, column: 10)))
public struct ConfigNodes: Sendable {
    /// Where a mapping's keys are placed (diagnostics about a key point there).
    public enum Keys: Sendable {
        /// Each key where its value is.
        case atValue
        /// Each key on its value's line, at this column.
        case onValueLine(column: Int)
        /// Every key at the same place.
        case fixed(line: Int, column: Int)
    }

    public let file: String
    public let keys: Keys

    public init(file: String, keys: Keys = .atValue) {
        self.file = file
        self.keys = keys
    }

    public func at(_ line: Int, _ column: Int = 1) -> TributaryCore.SourceLocation {
        TributaryCore.SourceLocation(file: file, line: line, column: column)
    }

    public func scalar(_ text: String, line: Int = 1, column: Int = 1) -> ConfigNode {
        ConfigNode(.scalar(text), at: at(line, column))
    }

    public func scalar(_ text: String, at location: TributaryCore.SourceLocation) -> ConfigNode {
        ConfigNode(.scalar(text), at: location)
    }

    /// A sequence of scalars, all (and the sequence) at line 1, column 1.
    public func list(_ items: String...) -> ConfigNode {
        ConfigNode(.sequence(items.map { scalar($0) }), at: at(1))
    }

    /// A sequence where its first item is (line 1, column 1 when empty).
    public func sequence(_ items: [ConfigNode]) -> ConfigNode {
        ConfigNode(.sequence(items), at: items.first?.location ?? at(1))
    }

    /// A mapping at `line`, column 1, its keys placed as `keys` says.
    public func mapping(_ entries: (String, ConfigNode)..., line: Int = 1) -> ConfigNode {
        mapping(line: line, entries)
    }

    public func mapping(line: Int = 1, _ entries: [(String, ConfigNode)]) -> ConfigNode {
        ConfigNode(.mapping(entries.map { ConfigEntry(key: $0.0, keyLocation: keyLocation(of: $0.1), value: $0.1) }),
                   at: at(line))
    }

    func keyLocation(of value: ConfigNode) -> TributaryCore.SourceLocation {
        switch keys {
        case .atValue: value.location
        case .onValueLine(let column): at(value.location.line, column)
        case .fixed(let line, let column): at(line, column)
        }
    }
}
