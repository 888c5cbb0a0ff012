import ArgumentParser
import Foundation
import TributaryComponents
import TributaryConfig
import TributaryCore
import TributaryRuntime

/// `tributary-bench fuzz`: the seeded mutation fuzzer (see `Fuzzer`) on the extractors of the Acme
/// pipeline (CSV, JSON lines plain and gzip, delimited, fixed width) and on the pipeline loader,
/// with corpora cut from `SampleData/acme` and `Pipelines/`.
struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fuzz the extractors, the gzip reader and the pipeline loader with mutated sample inputs.",
        discussion: "Targets: csv, jsonl, gzip, delimited, fixed_width, pipeline. A failing input is saved in --out; exit 1 if any.")

    @Option(help: "Seconds per target.")
    var seconds = 10.0

    @Option(help: "Inputs per target instead of --seconds: the same inputs on any machine (for CI).")
    var runs: Int?

    @Option(help: "Random seed: the same seed gives the same inputs.")
    var seed: UInt64 = 1

    @Option(help: "A target to fuzz (repeat for several; default all).")
    var target: [String] = []

    @Option(help: "Check one saved input (with one --target) instead of fuzzing.")
    var replay: String?

    @Option(help: "The repository's root (Pipelines/ and SampleData/).")
    var root = "."

    @Option(help: "Folder for the current and failing inputs.")
    var out = ".fuzz"

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let data = root + "/SampleData/acme"
        let loader = PipelineLoader(catalog: Registry.standard, environment: ["ACME_DATA": data, "TRIBUTARY_OUT": out + "/out"], mode: .validate)
        let (loaded, diagnostics) = PipelineCheck.load(loader, path: root + "/Pipelines/acme.yml")
        guard let pipeline = loaded else { throw ValidationError("Pipelines/acme.yml does not load: \(diagnostics.sorted)") }
        func source(_ name: String) -> SourceDefinition? { pipeline.sources.first { $0.name == name } }
        func files(_ folder: String, _ suffix: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(suffix) }.sorted().map { folder + "/" + $0 }
        }
        let all: [Fuzzer.Target] = [
            .init(name: "csv", source: source("crm"), baseDirectory: pipeline.baseDirectory,
                  corpus: Self.windows(of: [data + "/crm_contacts.csv"], keepHeader: true), suffix: ".csv"),
            .init(name: "jsonl", source: source("events"), baseDirectory: pipeline.baseDirectory,
                  corpus: Self.windows(of: files(data + "/events", ".jsonl").prefix(3).map { $0 }, keepHeader: false), suffix: ".jsonl"),
            .init(name: "gzip", source: source("events"), baseDirectory: pipeline.baseDirectory,
                  corpus: files(data + "/events", ".jsonl.gz").prefix(4).compactMap { FileManager.default.contents(atPath: $0).map { Array($0) } },
                  suffix: ".jsonl.gz"),
            .init(name: "delimited", source: source("pos"), baseDirectory: pipeline.baseDirectory,
                  corpus: Self.windows(of: files(data + "/pos", ".txt").prefix(2).map { $0 }, keepHeader: true), suffix: ".txt"),
            .init(name: "fixed_width", source: source("pos_legacy"), baseDirectory: pipeline.baseDirectory,
                  corpus: Self.windows(of: files(data + "/pos", ".dat").prefix(2).map { $0 }, keepHeader: false), suffix: ".dat"),
            .init(name: "pipeline", source: nil, baseDirectory: root + "/Pipelines",
                  corpus: files(root + "/Pipelines", ".yml").compactMap { FileManager.default.contents(atPath: $0).map { Array($0) } }, suffix: ".yml"),
        ]
        let chosen = target.isEmpty ? all : all.filter { target.contains($0.name) }
        guard chosen.count == max(1, target.count) || target.isEmpty else {
            throw ValidationError("targets: " + all.map(\.name).joined(separator: ", "))
        }
        if let replay {
            guard chosen.count == 1, let item = chosen.first else { throw ValidationError("--replay needs one --target") }
            if let problem = Fuzzer.replay(item, path: replay) {
                print(problem)
                throw ExitCode(1)
            }
            print("\(replay): the invariants hold")
            return
        }
        var failed = false
        for (i, item) in chosen.enumerated() {
            let report = Fuzzer.run(item, seconds: seconds, seed: seed &+ UInt64(i), workDirectory: out, maxExecutions: runs)
            let name = item.name.padding(toLength: 12, withPad: " ", startingAt: 0)
            print(name + String(format: "%7d executions in %5.1f s (%6.0f/s), corpus %d, failures %d",
                                report.executions, report.seconds, report.executionsPerSecond, item.corpus.count, report.failures.count))
            for failure in report.failures { print("  \(failure.what)\n    input: \(failure.input)") }
            failed = failed || !report.failures.isEmpty
        }
        if failed { throw ExitCode(1) }
    }

    /// Windows of a few kilobytes cut at line ends from each file (the header line kept in front
    /// when `keepHeader`): small inputs run fast, and many of them cover the file.
    static func windows(of paths: [String], keepHeader: Bool) -> [[UInt8]] {
        var corpus: [[UInt8]] = []
        for path in paths {
            guard let bytes = FileManager.default.contents(atPath: path).map({ Array($0) }) else { continue }
            let headerEnd = keepHeader ? (bytes.firstIndex(of: 10).map { $0 + 1 } ?? 0) : 0
            var start = headerEnd
            while start < bytes.count && corpus.count < 64 {
                var end = min(bytes.count, start + 4096)
                while end < bytes.count && bytes[end - 1] != 10 { end += 1 }
                corpus.append(Array(bytes[0..<headerEnd]) + Array(bytes[start..<end]))
                start = end + 4096 * 3
            }
        }
        return corpus
    }
}
