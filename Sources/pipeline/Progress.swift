import Foundation
import Logging
import TributaryRuntime

/// The live progress display of `pipeline run`: redrawn in place when stderr is a terminal,
/// otherwise an info log line (text or JSON, as the logs) every few seconds and at each stage's end.
enum Progress {
    static func reporter(logger: Logger, interval: Double) -> ProgressReporter {
        if ProgressReporter.stderrIsTerminal {
            let reporter = ProgressReporter(mode: .terminal, interval: 0.1) { FileHandle.standardError.write($0) }
            TerminalLine.reporter = reporter
            return reporter
        }
        return ProgressReporter(mode: .lines, interval: max(0, interval)) { line in
            let text = line.hasPrefix("progress: ") ? String(line.dropFirst("progress: ".count)) : line
            logger.info("progress \(text.trimmingCharacters(in: .newlines))")
        }
    }
}

/// The progress line a log line must erase first, on a terminal.
enum TerminalLine {
    nonisolated(unsafe) static var reporter: ProgressReporter?
}
