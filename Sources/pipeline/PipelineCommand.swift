import ArgumentParser
import Foundation
import Logging
import TributaryComponents
import TributaryConfig
import TributaryCore
import TributaryRuntime

@main
struct PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Tributary: unify customer records from CSV, event logs and POS dumps into one database.",
        discussion: """
            Examples:
              pipeline run Pipelines/crm-sample.yml           run the sample pipeline
              pipeline run Pipelines/crm-sample.yml -j 1      the same on one core
              pipeline validate Pipelines/*.yml               check pipeline files (CI)
              pipeline validate --format github Pipelines/    annotations for GitHub
              pipeline inspect out/retail-sample.sqlite       tables, quarantine, last run
              pipeline runs out/retail-sample.sqlite          the run history
              pipeline explain out/crm-matching.sqlite p_…    why records are one person
              pipeline explain out/crm-matching.sqlite --records crm:2 crm:17
                                                              score two records
              pipeline validate --estimate Pipelines/crm-matching.yml
                                                              candidate pairs per rule
              pipeline report out/retail-sample.sqlite -o r.html
                                                              the run's HTML report
              pipeline docs > Docs/components.md              the component reference
              pipeline schema > Docs/pipeline.schema.json     pipeline files' JSON Schema

            Shell completions (subcommands, options, file names; also zsh and fish):
              source <(pipeline --generate-completion-script bash)

            \(ExitStatus.helpText())
            """,
        version: Runner.version,
        subcommands: [Run.self, Validate.self, Inspect.self, Runs.self, Diff.self, Find.self, Explain.self, Report.self, Docs.self, Schema.self])

    /// A first word that is no subcommand is a usage error (exit 64) naming the closest subcommand,
    /// before ArgumentParser would call it "2 unexpected arguments".
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let message = unknownSubcommand(arguments) {
            FileHandle.standardError.write(message)
            Foundation.exit(ExitStatus.usage.rawValue)
        }
        main(arguments)
    }

    /// The error text for `arguments` whose first word is not a subcommand, or nil.
    static func unknownSubcommand(_ arguments: [String]) -> String? {
        guard let word = arguments.first, !word.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        guard !names.contains(word) else { return nil }
        let known = configuration.subcommands.map { $0._commandName }
        let hint = Suggestions.didYouMean(word, in: known).map { "; \($0)" }
            ?? " (one of: \(known.joined(separator: ", ")))"
        return "Error: unknown subcommand '\(word)'\(hint)\nUsage: pipeline <subcommand>\n  See 'pipeline --help' for more information.\n"
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline and publish its output database atomically.",
        discussion: """
            The output is written to a temporary file beside the target and renamed into place only \
            when the run succeeded; a failed, interrupted or killed run leaves the previous output as it was.
            """)

    @Argument(help: "The pipeline file.", completion: .file(extensions: ["yml", "yaml"]))
    var file: String

    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Worker threads (default: the number of cores).")
    var jobsOption: Int?

    /// `--jobs`, or the number of cores. (An optional, so the help does not add this machine's count.)
    var jobs: Int { jobsOption ?? ProcessInfo.processInfo.activeProcessorCount }

    @Option(help: ArgumentHelp("Size of the pieces input files are cut into, in MiB.", visibility: .hidden))
    var pieceMib: Int = 4

    @Option(help: "Log format on stderr: text or json.")
    var logFormat: LogFormat = .text

    @Flag(name: .shortAndLong, help: "Print only errors (no summary, no progress).")
    var quiet = false

    @Option(help: ArgumentHelp("Evaluate traits and segments at this instant instead of now (2024-06-05 or 2024-06-05T09:00:00Z), for reproducible and back-dated runs.", valueName: "instant"))
    var asOf: InstantArgument?

    @Option(help: ArgumentHelp("Write an HTML report of the run (also of a failed run) to this file.", valueName: "file"),
            completion: .file(extensions: ["html"]))
    var report: String?

    @Option(help: ArgumentHelp("Seconds between progress lines when stderr is not a terminal.", visibility: .hidden))
    var progressInterval: Double = 5

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard pieceMib >= 1 else { throw ValidationError("--piece-mib must be at least 1") }
    }

    func run() throws {
        let context = LogContext()
        LogSetup.bootstrap(format: logFormat, level: quiet ? .error : .info, context: context)
        let logger = Logger(label: "tributary")
        installSignalHandlers()
        let loader = PipelineLoader(catalog: Registry.standard, mode: .run)
        let (definition, diagnostics) = PipelineCheck.load(loader, path: file)
        if !diagnostics.items.isEmpty {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            FileHandle.standardError.write(DiagnosticFormatter(format: .text, sources: [file: text])
                .render(diagnostics.sorted, files: 1))
        }
        guard let definition else { throw ExitCode(ExitStatus.invalidPipeline.rawValue) }
        context["pipeline"] = .string(definition.name)
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        var options = RunOptions(jobs: jobs, pieceSize: pieceMib << 20, asOf: asOf?.value)
        options.runIdentified = { id in context["run_id"] = .stringConvertible(id) }
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
            if report != nil {
                // The run is published: a report that cannot be written is a warning, not a failed run.
                do {
                    try writeReport(RunReport.load(database: definition.outputPath, runID: ledger.runID), logger, published: ledger.runID)
                } catch {
                    return
                }
            }
        } catch {
            progress?.clear()
            FileHandle.standardError.write("pipeline: \(error.description)\n")
            if report != nil, let failure = runner.failure {
                try? writeReport(RunReport(failed: failure, database: definition.outputPath), logger)
            }
            throw ExitCode(error.exitCode)
        }
    }

    /// Writes `built` to `--report`. After a published run (`published`: its id) a report that
    /// cannot be written is said as such and the run still succeeds (exit 0): the output is in
    /// place; after a failed run the run's own failure decides the exit status.
    private func writeReport(_ built: RunReport, _ logger: Logger, published: Int? = nil) throws(RunError) {
        guard let report else { return }
        do {
            try built.write(to: report)
            logger.info("report written", metadata: ["path": "\(report)"])
        } catch {
            let outcome = published.map { "; run \($0) succeeded and its output is published, only the report is missing" } ?? ""
            FileHandle.standardError.write("pipeline: warning: \(error.description)\(outcome)\n")
            throw error
        }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check pipeline files without reading input data or writing output.",
        discussion: """
            Reports every problem of every file, each at file:line:column with a stable code and a hint. \
            A folder stands for every *.yml and *.yaml directly in it; '-' reads one pipeline from standard \
            input (named <stdin>; its relative paths resolve against the current folder). \
            Exits 78 when any file has an error, 0 otherwise (warnings do not fail). With --estimate, \
            also reads the inputs (still writing nothing) and counts the candidate pairs of each \
            blocking rule of identity.probabilistic; exits 1 when a file cannot be estimated.
            """)

    @Argument(help: "Pipeline files; a folder means every *.yml and *.yaml in it, '-' standard input.",
              completion: .file(extensions: ["yml", "yaml"]))
    var files: [String]

    @Option(help: "Output format: text, json or github (GitHub Actions annotations).")
    var format: DiagnosticFormat = .text

    @Flag(help: "Also read the inputs (nothing is written) and count the candidate pairs of each blocking rule of identity.probabilistic.")
    var estimate = false

    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Worker threads for --estimate (default: the number of cores).")
    var jobsOption: Int?

    /// `--jobs`, or the number of cores.
    var jobs: Int { jobsOption ?? ProcessInfo.processInfo.activeProcessorCount }

    func run() throws {
        let loader = PipelineLoader(catalog: Registry.standard, mode: .validate)
        let pipelines = PipelineFiles(arguments: files)
        var all: [Diagnostic] = pipelines.diagnostics.sorted
        var texts: [String: String] = [:]
        for entry in pipelines.entries {
            texts[entry.name] = PipelineFiles.text(entry)
            all += PipelineFiles.load(entry, loader).1.sorted
        }
        let diagnostics = DiagnosticFormatter(format: format, sources: texts).render(all, files: pipelines.entries.count)
        let failed = all.contains(where: { $0.severity == .error })
        guard estimate, !failed else {
            print(diagnostics, terminator: "")
            if failed { throw ExitCode(ExitStatus.invalidPipeline.rawValue) }
            return
        }
        // --estimate: load each file as a run would, extract its inputs, count pairs.
        var results: [PairEstimate.Result] = []
        var problems: [String] = []
        for entry in pipelines.entries {
            guard let definition = PipelineFiles.load(entry, PipelineLoader(catalog: Registry.standard, mode: .run)).0 else {
                problems.append("\(entry.name): cannot be loaded for a run (see `pipeline run`)")
                continue
            }
            do {
                results.append(try PairEstimate.estimate(definition, jobs: max(1, jobs)))
            } catch {
                problems.append("\(entry.name): \(error.description)")
            }
        }
        if format == .json {
            let body = ProfileExplainer.json(results).trimmingCharacters(in: .whitespacesAndNewlines)
            print("{\"diagnostics\": \(diagnostics.trimmingCharacters(in: .whitespacesAndNewlines)), \"estimates\": \(body)}")
        } else {
            print(diagnostics, terminator: "")
            for result in results { print(PairEstimate.text(result), terminator: "") }
        }
        for problem in problems { FileHandle.standardError.write("pipeline: \(problem)\n") }
        if !problems.isEmpty { throw ExitCode(ExitStatus.failure.rawValue) }
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain why the records of a profile are one person, or score two records.",
        discussion: """
            For each record: its source, file, line and record id, and the identifier type that joined it. \
            For each probabilistic link: a waterfall of weights (prior, each comparison's level and \
            log2(m/u), term-frequency adjustments, running total) ending at the match probability. \
            Customer values are printed only with --show-values.

              pipeline explain out/crm-matching.sqlite p_1a2b3c4d5e6f7a8b
              pipeline explain out/crm-matching.sqlite --records crm:2 crm:17 --format json
            """)

    @Argument(help: "The output database.", completion: .file(extensions: ["sqlite", "db"]))
    var database: String

    @Argument(help: "A profile id (profiles.profile_id).")
    var profile: String?

    @Option(parsing: .upToNextOption, help: "Two records, SOURCE:RECORD_ID SOURCE:RECORD_ID, to score as a pair.")
    var records: [String] = []

    @Flag(help: "Print customer values (identifiers and matching attributes).")
    var showValues = false

    @Option(help: "Output format: text or json.")
    var format: ExplainFormat = .text

    func validate() throws {
        if records.isEmpty {
            guard profile != nil else { throw ValidationError("give a PROFILE_ID, or --records SOURCE:RECORD_ID SOURCE:RECORD_ID") }
        } else {
            guard profile == nil else { throw ValidationError("give either a PROFILE_ID or --records, not both") }
            guard records.count == 2 else { throw ValidationError("--records takes exactly two records, SOURCE:RECORD_ID SOURCE:RECORD_ID") }
            for r in records where ProfileExplainer.RecordRef(r) == nil {
                throw ValidationError("'\(r)' is not SOURCE:RECORD_ID (e.g. crm:17)")
            }
        }
    }

    func run() throws {
        do {
            let explainer = try ProfileExplainer(path: database, showValues: showValues)
            if let profile {
                let e = try explainer.explain(profile: profile)
                print(format == .json ? ProfileExplainer.json(e) : ProfileExplainer.text(e), terminator: "")
            } else if let a = ProfileExplainer.RecordRef(records[0]), let b = ProfileExplainer.RecordRef(records[1]) {
                let e = try explainer.explain(a, b)
                print(format == .json ? ProfileExplainer.json(e) : ProfileExplainer.text(e), terminator: "")
            }
        } catch {
            FileHandle.standardError.write("pipeline: \(error.description)\n")
            throw ExitCode(error.exitCode)
        }
    }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What changed between two runs: input files, records, quarantine, profiles, merges and splits, segments.",
        discussion: """
            By default the last run against the succeeded run before it. Input files are compared \
            by SHA-256; segment entries and exits, merges and splits are those the runs after \
            --from recorded. Counts and file paths only, never a customer value.

              pipeline diff out/acme.sqlite
              pipeline diff out/acme.sqlite --from 3 --to 5 --format json
            """)

    @Argument(help: "The output database (or a PostgreSQL URL).", completion: .file(extensions: ["sqlite", "db"]))
    var database: String

    @Option(help: "The earlier run (default: the succeeded run before --to).")
    var from: Int?

    @Option(help: "The later run (default: the last succeeded run).")
    var to: Int?

    @Option(help: "Output format: text or json.")
    var format: ExplainFormat = .text

    func run() throws {
        do {
            let diff = try OutputDiff.between(path: database, from: from, to: to)
            print(format == .json ? ProfileExplainer.json(diff) : OutputDiff.text(diff), terminator: "")
        } catch {
            FileHandle.standardError.write("pipeline: \(error.description)\n")
            throw ExitCode(error.exitCode)
        }
    }
}

struct Find: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the profile that holds a value: an e-mail, a phone, any identifier, or a source's field.",
        discussion: """
            KEY is an identifier of the pipeline (email, phone, user_id, ...) or SOURCE.FIELD \
            (crm.contact_id). The value is looked for as typed, trimmed, lower-cased, and as the \
            email and phone standardizers write it (E.164, for --region numbers without a country \
            code). Prints each profile with its records by source; records holding the value that \
            joined no profile are listed too. Exit 1 when nothing holds it.

              pipeline find out/acme.sqlite email=Ann.Lee@Gmail.com
              pipeline find out/acme.sqlite phone="(415) 555-0100" --explain
              pipeline find out/acme.sqlite crm.contact_id=003Hs00000eoCkMIAC
            """)

    @Argument(help: "The output database (or a PostgreSQL URL).", completion: .file(extensions: ["sqlite", "db"]))
    var database: String

    @Argument(help: "KEY=VALUE, e.g. email=ann.lee@gmail.com.")
    var query: String

    @Option(help: "The region of phone numbers written without a country code (ISO 3166).")
    var region = "US"

    @Flag(help: "Also explain each profile found (as `pipeline explain`).")
    var explain = false

    @Flag(help: "With --explain: print customer values.")
    var showValues = false

    @Option(help: "Output format: text or json.")
    var format: ExplainFormat = .text

    func validate() throws {
        guard let equals = query.firstIndex(of: "="), equals != query.startIndex else {
            throw ValidationError("give KEY=VALUE, e.g. email=ann.lee@gmail.com")
        }
    }

    func run() throws {
        do {
            let equals = query.firstIndex(of: "=")!
            let finder = try ProfileFinder(path: database)
            let result = try finder.find(key: String(query[..<equals]), value: String(query[query.index(after: equals)...]), region: region)
            if format == .json {
                print(ProfileExplainer.json(result), terminator: "")
            } else {
                print(ProfileFinder.text(result), terminator: "")
                if explain {
                    let explainer = try ProfileExplainer(path: database, showValues: showValues)
                    for match in result.profiles {
                        print("")
                        print(ProfileExplainer.text(try explainer.explain(profile: match.profileID)), terminator: "")
                    }
                }
            }
            if result.profiles.isEmpty && result.unattributedRecords.isEmpty { throw ExitCode(1) }
        } catch let error as RunError {
            FileHandle.standardError.write("pipeline: \(error.description)\n")
            throw ExitCode(error.exitCode)
        }
    }
}

enum ExplainFormat: String, ExpressibleByArgument {
    case text, json
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize an output database: tables and row counts, quarantine by reason, profiles, the last run.",
        discussion: """
            With --format json: one object with sorted snake_case keys, counts as numbers, and null \
            for a section the output does not have.

              pipeline inspect out/retail-sample.sqlite --format json
            """)

    @Argument(help: "The output database.", completion: .file(extensions: ["sqlite", "db"]))
    var database: String

    @Option(help: "Output format: text or json.")
    var format: ExplainFormat = .text

    func run() throws {
        do {
            let summary = try OutputInspector.summary(database)
            print(format == .json ? ProfileExplainer.json(summary) : OutputInspector.text(summary), terminator: "")
        } catch {
            FileHandle.standardError.write("pipeline: \(error.description)\n")
            throw ExitCode(error.exitCode)
        }
    }
}

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the recent runs recorded in an output database.")

    @Argument(help: "The output database.", completion: .file(extensions: ["sqlite", "db"]))
    var database: String

    @Option(help: "How many runs to list.")
    var limit = 20

    @Option(help: "Output format: text or json.")
    var format: ExplainFormat = .text

    func run() throws {
        do {
            let runs = try OutputInspector.history(database, limit: limit)
            print(format == .json ? ProfileExplainer.json(runs) : OutputInspector.text(runs), terminator: "")
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

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema (draft 2020-12) of pipeline files, generated from the component specs.",
        discussion: """
            For editors: a YAML language server completes and checks a pipeline file as you type \
            (see Docs/pipeline-files.md). `pipeline validate` remains the full check.

              pipeline schema > Docs/pipeline.schema.json
            """)

    func run() {
        print(PipelineSchema.json(Registry.standard), terminator: "")
    }
}

extension DiagnosticFormat: ExpressibleByArgument {}

/// `--as-of`: a date (midnight UTC) or an ISO-8601 timestamp.
struct InstantArgument: ExpressibleByArgument {
    var value: AsOf
    init?(argument: String) {
        guard let value = AsOf(parsing: argument) else { return nil }
        self.value = value
    }
}

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
            // Waits for a publish in progress: the message and the exit status say which output is
            // in place. Published already: the run did its work (exit 0), what followed is skipped.
            if let run = InterruptCleanup.interrupt() {
                FileHandle.standardError.write("pipeline: signal \(sig) arrived after run \(run) was published; the new output is in place, stopping before the summary and report\n")
                exit(ExitStatus.success.rawValue)
            }
            FileHandle.standardError.write("pipeline: interrupted by signal \(sig); the previous output was kept\n")
            exit(ExitStatus.interrupted(by: sig))
        }
        source.resume()
        SignalSources.keep.append(source)
    }
}

enum SignalSources {
    nonisolated(unsafe) static var keep: [DispatchSourceSignal] = []
}
