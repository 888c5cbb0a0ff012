import ArgumentParser
import Foundation
import TributaryComponents
import TributaryConfig
import TributaryCore
import TributaryRuntime

/// `tributary-bench transforms`: records/s of each transform of one source, over batches already
/// extracted into memory, at 1 and 2 jobs.
struct Transforms: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Records/s of each transform of a pipeline source, on batches extracted into memory first.")

    @Option(help: "The pipeline file.")
    var pipeline: String

    @Option(help: "The source whose transforms to measure.")
    var source: String

    @Option(help: "Thread counts, comma-separated.")
    var jobs = "1,2"

    func run() throws {
        let (definition, diagnostics) = PipelineLoader(catalog: Registry.standard, mode: .run).load(path: pipeline)
        guard let definition, let source = definition.sources.first(where: { $0.name == self.source }) else {
            throw ValidationError("cannot load source '\(self.source)' of \(pipeline): \(diagnostics.sorted.map(\.message))")
        }
        let batches = try DryExtraction.shapedBatches(source, baseDirectory: definition.baseDirectory, jobs: 2)
        let records = batches.reduce(0) { $0 + $1.count }
        print("Transforms of source '\(source.name)': \(records) records in \(batches.count) batches")
        print("  transform                    jobs   seconds    records/s")
        for j in jobs.split(separator: ",").compactMap({ Int($0) }) {
            let (seconds, counters) = DryExtraction.timeTransforms(source.transforms, on: batches, jobs: j)
            for (transform, s) in zip(source.transforms, seconds) {
                let name = String(describing: type(of: transform)).padding(toLength: 28, withPad: " ", startingAt: 0)
                print(String(format: "  %@ %3d  %8.3f  %11.0f", name, j, s, Double(records) / max(s, 1e-9)))
            }
            if j == 1, !counters.values.isEmpty {
                print("  counters: " + counters.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            }
        }
    }
}
