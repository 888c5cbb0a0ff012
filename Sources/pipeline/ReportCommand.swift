import ArgumentParser
import Foundation
import TributaryRuntime

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the HTML report of a run from an output database (default: its latest published run).",
        discussion: """
            One self-contained HTML file (inline CSS and SVG charts, no script, no network) with the run's \
            stages, row accounting, quarantine reasons, transform counters, profiles, matching and segments. \
            It holds counts and fingerprints only, never a customer value. A failed run (listed by \
            `pipeline runs`) is reported with --run.
            """)

    @Argument(help: "The output database.", completion: .file(extensions: ["sqlite", "db"]))
    var database: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The HTML file to write ('-' for stdout).", valueName: "file"),
            completion: .file(extensions: ["html"]))
    var output: String = "-"

    @Option(name: .customLong("run"), help: "The run to report (default: the latest published run).")
    var runID: Int?

    func run() throws {
        do {
            let report = try RunReport.load(database: database, runID: runID)
            if output == "-" {
                print(report.html(), terminator: "")
            } else {
                try report.write(to: output)
            }
        } catch {
            FileHandle.standardError.write("pipeline: \(error.description)\n")
            throw ExitCode(error.exitCode)
        }
    }
}
