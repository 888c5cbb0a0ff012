/// A position in a text file: 1-based line and column (columns count Unicode scalars, as YAML does).
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

public enum Severity: String, Sendable, Comparable {
    case warning
    case error

    public static func < (a: Severity, b: Severity) -> Bool { a == .warning && b == .error }
}

/// Stable diagnostic codes. The raw value is printed (`error[TR103]`) and listed in
/// `Docs/diagnostics.md`; never renumber one, only add.
public enum DiagnosticCode: String, Sendable, CaseIterable {
    // TR1xx: the file and its structure
    case yamlSyntax = "TR100"
    case duplicateKey = "TR101"
    case unknownKey = "TR102"
    case missingKey = "TR103"
    case wrongType = "TR104"
    case invalidEnumValue = "TR105"
    case invalidValue = "TR106"
    case unsupportedVersion = "TR107"
    case unreadableFile = "TR108"
    // TR2xx: references between parts of the pipeline
    case unknownSource = "TR200"
    case unknownField = "TR201"
    case duplicateField = "TR202"
    case unknownComponent = "TR203"
    /// An SQL expression (activity kind, trait, segment, export column) that SQLite cannot prepare
    /// against the output schema.
    case invalidSQL = "TR204"
    // TR3xx: the environment the pipeline runs in
    case unsetVariable = "TR300"
    case globMatchesNothing = "TR301"
    case badVariableSyntax = "TR302"

    /// A short title, used as the GitHub annotation title and in the docs.
    public var title: String {
        switch self {
        case .yamlSyntax: "YAML syntax error"
        case .duplicateKey: "duplicate key"
        case .unknownKey: "unknown key"
        case .missingKey: "missing required key"
        case .wrongType: "wrong type"
        case .invalidEnumValue: "invalid choice"
        case .invalidValue: "invalid value"
        case .unsupportedVersion: "unsupported pipeline version"
        case .unreadableFile: "unreadable pipeline file"
        case .unknownSource: "unknown source"
        case .unknownField: "unknown field"
        case .duplicateField: "duplicate field"
        case .unknownComponent: "unknown component"
        case .invalidSQL: "invalid SQL expression"
        case .unsetVariable: "unset variable"
        case .globMatchesNothing: "input path matches no file"
        case .badVariableSyntax: "malformed ${...} reference"
        }
    }
}

/// One problem found in a pipeline file, with where it is and how to fix it.
public struct Diagnostic: Sendable, Hashable {
    public var severity: Severity
    public var code: DiagnosticCode
    public var location: SourceLocation
    public var message: String
    public var hint: String?
    /// False when the source line must not be quoted under the message (it holds a secret).
    public var quotesSource = true

    public init(_ severity: Severity, _ code: DiagnosticCode, at location: SourceLocation,
                _ message: String, hint: String? = nil) {
        self.severity = severity
        self.code = code
        self.location = location
        self.message = message
        self.hint = hint
    }

    public static func error(_ code: DiagnosticCode, at location: SourceLocation, _ message: String,
                             hint: String? = nil) -> Diagnostic {
        Diagnostic(.error, code, at: location, message, hint: hint)
    }

    public static func warning(_ code: DiagnosticCode, at location: SourceLocation, _ message: String,
                               hint: String? = nil) -> Diagnostic {
        Diagnostic(.warning, code, at: location, message, hint: hint)
    }
}

/// Collects diagnostics so that one pass reports every problem, as compilers and linters do.
public struct DiagnosticBag: Sendable {
    public private(set) var items: [Diagnostic] = []

    public init() {}

    public mutating func add(_ d: Diagnostic) { items.append(d) }
    public mutating func add(contentsOf ds: [Diagnostic]) { items.append(contentsOf: ds) }

    public var hasErrors: Bool { items.contains { $0.severity == .error } }
    public var errorCount: Int { items.count { $0.severity == .error } }
    public var warningCount: Int { items.count { $0.severity == .warning } }

    /// Diagnostics in file order, duplicates removed.
    public var sorted: [Diagnostic] {
        var seen = Set<Diagnostic>()
        return items.filter { seen.insert($0).inserted }
            .sorted { ($0.location, $0.code.rawValue) < ($1.location, $1.code.rawValue) }
    }
}
