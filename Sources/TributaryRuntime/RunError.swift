/// Why a run stopped. Each case maps to a documented exit code (see `Docs/exit-codes.md`).
public enum RunError: Error, CustomStringConvertible, Sendable {
    /// The pipeline file is invalid (exit 78).
    case invalidPipeline(String)
    /// Another run holds the output's lock (exit 75).
    case locked(String)
    /// A data gate failed; the previous output stays published (exit 1).
    case gateFailed([String])
    /// An input could not be read (exit 1: a data problem, not a bug).
    case input(String)
    /// The output could not be written (disk full, permissions) (exit 1).
    case output(String)
    /// The run was interrupted by a signal.
    case interrupted(signal: Int32)
    /// A bug: an invariant of Tributary itself did not hold (exit 2).
    case internalError(String)

    public var exitCode: Int32 {
        switch self {
        case .invalidPipeline: 78
        case .locked: 75
        case .gateFailed, .input, .output: 1
        case .interrupted(let signal): 128 + signal
        case .internalError: 2
        }
    }

    public var description: String {
        switch self {
        case .invalidPipeline(let m): "invalid pipeline: \(m)"
        case .locked(let m): m
        case .gateFailed(let reasons): "data gate failed; the previous output was kept:\n" + reasons.map { "  - " + $0 }.joined(separator: "\n")
        case .input(let m): m
        case .output(let m): m
        case .interrupted(let s): "interrupted by signal \(s); the previous output was kept"
        case .internalError(let m): "internal error (please report): \(m)"
        }
    }
}
