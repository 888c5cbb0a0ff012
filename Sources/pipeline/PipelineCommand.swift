import ArgumentParser
import Foundation
import Logging
import TributaryComponents
import TributaryConfig
import TributaryCore
import TributaryRuntime

/// Exit codes, documented in Docs/exit-codes.md.
enum Exit {
    static let ok: Int32 = 0
    static let gateFailed: Int32 = 1
    static let internalError: Int32 = 2
    static let usage: Int32 = 64
    static let locked: Int32 = 75
    static let invalidPipeline: Int32 = 78
}

@main
struct PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Tributary: unify customer records from CSV, event logs and POS dumps into one database.",
        discussion: """
            Examples:
              pipeline run Pipelines/crm-sample.yml              run the sample pipeline
              pipeline run Pipelines/crm-sample.yml --jobs 1     the same on one core
              pipeline validate Pipelines/*.yml                  check pipeline files (for CI)
              pipeline validate --format github Pipelines/*.yml  annotations in GitHub Actions
              pipeline inspect out/retail-sample.sqlite          tables, quarantine, profiles, last run
              pipeline runs out/retail-sample.sqlite             the run history (failed runs too)
              pipeline report out/retail-sample.sqlite -o r.html the HTML report of the last run
              pipeline docs > Docs/components.md                 regenerate the component reference

            Exit codes: 0 success, 1 data gate failed or input/output problem, 2 internal error,
            64 usage error, 75 another run holds the lock, 78 invalid pipeline file.
            """,
        version: Runner.version,
        subcommands: [Run.self, Validate.self, Inspect.self, Runs.self, Report.self, Docs.self])
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline and publish its output database atomically.",
        discussion: """
            The output is written to a temporary file beside the target and renamed into place only \
            when the run succeeded; a failed, interrupted or killed run leaves the previous output as it was.
            """)

    @Argument(help: "The pipeline file.")
    var file: String

    @Option(name: .shortAndLong, help: "Worker threads (default: number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Size of the pieces input files are cut into, in MiB.", visibility: .hidden))
    var pieceMib: Int = 4

    @Option(help: "Log format on stderr: text or json.")
    var logFormat: LogFormat = .text

    @Flag(name: .shortAndLong, help: "Print only errors (no summary, no progress).")
    var quiet = false

    @Option(help: ArgumentHelp("Write an HTML report of the run (also of a failed run) to this file.", valueName: "file"))
    var report: String?

    @Option(help: ArgumentHelp("Seconds between progress lines when stderr is not a terminal.", visibility: .hidden))
    var progressInterval: Double = 5

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard pieceMib >= 1 else { throw ValidationError("--piece-mib must be at least 1") }
    }

    func run() throws {
        LogSetup.bootstrap(format: logFormat, level: quiet ? .error : .info)
        let logger = Logger(label: "tributary")
        installSignalHandlers()
        let loader = PipelineLoader(catalog: Registry.standard, mode: .run)
        let (definition, diagnostics) = loader.load(path: file)
        if !diagnostics.items.isEmpty {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            FileHandle.standardError.write(DiagnosticFormatter(format: .text, sources: [file: text])
                .render(diagnostics.sorted, files: 1))
        }
        guard let definition else { throw ExitCode(Exit.invalidPipeline) }
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        var options = RunOptions(jobs: jobs, pieceSize: pieceMib << 20)
        let progress = quiet ? nil : Progress.reporter(logger: logger, interval: progressInterval)
        if let progress {
            options.progress = { @Sendable update in progress.update(update) }
        }
        let runner = Runner(definition: definition, pipelineText: text, options: options, logger: logger)
        let started = Date()
        do {
            let ledger = try runner.run()
            progress?.clear()
            if !quiet {
                print(RunSummary.render(ledger, definition: definition, seconds: Date().timeIntervalSince(started)))
            }
            if report != nil { try writeReport(RunReport.load(database: definition.outputPath, runID: ledger.runID), logger) }
        } catch {
            progress?.clear()
            FileHandle.standardError.write("pipeline: \(error.description)\n")
            if report != nil, let failure = runner.failure {
                try? writeReport(RunReport(failed: failure, database: definition.outputPath), logger)
            }
            throw ExitCode(error.exitCode)
        }
    }

    /// Writes `built` to `--report`; a report that cannot be written is an output error (exit 1).
    private func writeReport(_ built: RunReport, _ logger: Logger) throws(RunError) {
        guard let report else { return }
        do {
            try built.write(to: report)
            logger.info("report written", metadata: ["path": "\(report)"])
        } catch {
            FileHandle.standardError.write("pipeline: \(error.description)\n")
            throw error
        }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check pipeline files without reading input data or writing output.",
        discussion: """
            Reports every problem of every file, each at file:line:column with a stable code and a hint. \
            Exits 78 when any file has an error, 0 otherwise (warnings do not fail).
            """)

    @Argument(help: "Pipeline files.")
    var files: [String]

    @Option(help: "Output format: text, json or github (GitHub Actions annotations).")
    var format: DiagnosticFormat = .text

    func run() throws {
        let loader = PipelineLoader(catalog: Registry.standard, mode: .validate)
        var all: [Diagnostic] = []
        var texts: [String: String] = [:]
        for file in files {
            texts[file] = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            all += loader.load(path: file).1.sorted
        }
        print(DiagnosticFormatter(format: format, sources: texts).render(all, files: files.count), terminator: "")
        if all.contains(where: { $0.severity == .error }) { throw ExitCode(Exit.invalidPipeline) }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize an output database: tables and row counts, quarantine by reason, profiles, the last run.")

    @Argument(help: "The output database.")
    var database: String

    func run() throws {
        do {
            print(try OutputInspector.inspect(database), terminator: "")
        } catch {
            FileHandle.standardError.write("pipeline: \(error.description)\n")
            throw ExitCode(error.exitCode)
        }
    }
}

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the recent runs recorded in an output database.")

    @Argument(help: "The output database.")
    var database: String

    @Option(help: "How many runs to list.")
    var limit = 20

    func run() throws {
        do {
            print(try OutputInspector.runs(database, limit: limit), terminator: "")
        } catch {
            FileHandle.standardError.write("pipeline: \(error.description)\n")
            throw ExitCode(error.exitCode)
        }
    }
}

struct Docs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the component reference (Markdown), generated from the component specs.")

    func run() {
        print(ReferenceDocs.markdown(Registry.standard), terminator: "")
    }
}

extension DiagnosticFormat: ExpressibleByArgument {}

enum LogFormat: String, ExpressibleByArgument {
    case text, json
}

/// SIGINT and SIGTERM: delete the run's temporary files and exit 130 / 143. The published output
/// is only ever replaced by an atomic rename, so it stays as it was.
func installSignalHandlers() {
    for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
            InterruptCleanup.removeAll()
            FileHandle.standardError.write("pipeline: interrupted by signal \(sig); the previous output was kept\n")
            exit(128 + sig)
        }
        source.resume()
        SignalSources.keep.append(source)
    }
}

enum SignalSources {
    nonisolated(unsafe) static var keep: [DispatchSourceSignal] = []
}
