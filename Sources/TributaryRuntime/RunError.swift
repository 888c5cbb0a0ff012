/// Why a run stopped. Each case maps to an `ExitStatus` (see `Docs/exit-codes.md`).
public enum RunError: Error, CustomStringConvertible, Sendable {
    /// Another run holds the output's lock (exit 75).
    case locked(String)
    /// A data gate failed; the previous output stays published (exit 1).
    case gateFailed([String])
    /// An input could not be read (exit 1: a data problem, not a bug).
    case input(String)
    /// The output could not be written (disk full, permissions) (exit 1).
    case output(String)
    /// A bug: an invariant of Tributary itself did not hold (exit 2).
    case internalError(String)

    /// The process exit code for this error.
    public var exitCode: Int32 { status.rawValue }

    /// The exit status for this error.
    public var status: ExitStatus {
        switch self {
        case .locked: .locked
        case .gateFailed, .input, .output: .failure
        case .internalError: .internalError
        }
    }

    public var description: String {
        switch self {
        case .locked(let m): m
        case .gateFailed(let reasons): "data gate failed; the previous output was kept:\n" + reasons.map { "  - " + $0 }.joined(separator: "\n")
        case .input(let m): m
        case .output(let m): m
        case .internalError(let m): "internal error (please report): \(m)"
        }
    }
}
