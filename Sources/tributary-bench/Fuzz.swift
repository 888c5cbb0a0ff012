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
        let all = try Fuzzer.targets(root: root, workDirectory: out)
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
}
