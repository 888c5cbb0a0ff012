/// The exit codes of `pipeline`, stated once. `RunError.exitCode`, the CLI, the `pipeline --help`
/// summary and the table of `Docs/exit-codes.md` (checked by a test) all come from here; they
/// follow `sysexits.h` where one fits.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    /// The new output is published (also when a signal arrives while or after it is renamed into
    /// place), or the command did what it was asked.
    case success = 0
    /// A data gate failed, or an input or the output could not be read or written; the previous
    /// output is still published. Also a path given to `inspect`, `runs`, `report` or `explain`
    /// that is not a Tributary output.
    case failure = 1
    /// A bug: an invariant of Tributary itself did not hold.
    case internalError = 2
    /// Usage error: unknown subcommand or option, missing argument (`EX_USAGE`).
    case usage = 64
    /// Another run holds the lock on the output (`EX_TEMPFAIL`).
    case locked = 75
    /// The pipeline file is invalid (`EX_CONFIG`).
    case invalidPipeline = 78

    /// The code of a run stopped by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM).
    public static func interrupted(by signal: Int32) -> Int32 { 128 + signal }

    /// A few words for `pipeline --help`.
    public var summary: String {
        switch self {
        case .success: "success"
        case .failure: "data gate failed or input/output problem"
        case .internalError: "internal error"
        case .usage: "usage error"
        case .locked: "another run holds the lock"
        case .invalidPipeline: "invalid pipeline file"
        }
    }

    /// "Exit codes: 0 success, 1 …, 130 / 143 interrupted.", wrapped to `width` columns.
    public static func helpText(width: Int = 78) -> String {
        let items = allCases.map { "\($0.rawValue) \($0.summary)" }
            + ["\(interrupted(by: 2)) / \(interrupted(by: 15)) interrupted before the publish (SIGINT / SIGTERM)"]
        var lines: [String] = []
        var line = "Exit codes:"
        for (i, item) in items.enumerated() {
            let word = " " + item + (i == items.count - 1 ? "." : ",")
            if line.count + word.count > width {
                lines.append(line)
                line = String(word.dropFirst())
            } else {
                line += word
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
