import Foundation
import TributaryComponents
import TributaryConfig
import TributaryCore

/// Extracts files into batches in parallel and only counts the result: the extraction stage of a
/// run on its own, for benchmarks and for measuring a new export before writing a pipeline.
public enum DryExtraction {
    struct Summary: Sendable {
        var counts: RowCounts
        var carry: (offset: Int, line: Int)?
    }

    public struct Result: Sendable {
        public var bytes = 0
        public var pieces = 0
        public var counts = RowCounts()
        public var seconds = 0.0
        public var cpuSeconds = 0.0

        public init() {}
    }

    public static func run(_ extractor: any Extractor, paths: [String], jobs: Int, pieceSize: Int = 4 << 20) throws(RunError) -> Result {
        var result = Result()
        let started = Date()
        let cpu = processCPUSeconds()
        let mapped = try stage(paths, inflateGzip: extractor.readsGzip)
        let files = paths.enumerated().map { InputFile(index: $0, source: "bench", path: $1, size: mapped[$0].bytes.count) }
        let planned = parallelMap(files.count, jobs: jobs) { i in
            extractor.plan(files[i], bytes: mapped[i].bytes, targetPieceSize: pieceSize)
        }
        let pieces = planned.flatMap { $0 }
        var counts = RowCounts()
        var chain = PieceChain()
        try OrderedParallelMap(jobs: jobs).run(count: pieces.count, produce: { i in
            let output = extractor.extract(pieces[i], bytes: mapped[pieces[i].file.index].bytes)
            return Summary(counts: output.counts, carry: output.carry)
        }, consume: { i, summary in
            var summary = summary
            if let moved = chain.adjusted(pieces[i]) {
                let output = extractor.extract(moved, bytes: mapped[pieces[i].file.index].bytes)
                summary = Summary(counts: output.counts, carry: output.carry)
            }
            var carried = ExtractionOutput(batch: RecordBatch(columnCount: 0), quarantined: [], counts: RowCounts())
            carried.carry = summary.carry
            chain.record(pieces[i], carried)
            counts += summary.counts
        })
        result.bytes = files.reduce(0) { $0 + $1.size }
        result.pieces = pieces.count
        result.counts = counts
        result.seconds = Date().timeIntervalSince(started)
        result.cpuSeconds = processCPUSeconds() - cpu
        return result
    }
}

extension DryExtraction {
    /// Stages `paths` as a run does (see `InputReader`), in the temporary folder.
    static func stage(_ paths: [String], inflateGzip: Bool) throws(RunError) -> [StagedInput] {
        let budget = StagingBudget(bytes: InputReader.memoryBudget)
        return try paths.map { path throws(RunError) in
            try InputReader.stage(path: path, directory: NSTemporaryDirectory(), temporaryPrefix: ".tributary-",
                                  inflateGzip: inflateGzip, limits: InputLimits(), budget: budget).input
        }
    }

    /// The batches of a source after extraction, typing and rules, before its transforms, held in
    /// memory: for measuring transforms on their own (`tributary-bench transforms`).
    public static func shapedBatches(_ source: SourceDefinition, baseDirectory: String, jobs: Int,
                                     pieceSize: Int = 4 << 20) throws(RunError) -> [RecordBatch] {
        var bare = source
        bare.transforms = []
        let stages = try SourceStages(bare, baseDirectory: baseDirectory)
        var paths: [String] = []
        for pattern in source.patterns { paths += Glob.expand(pattern) }
        return try extract(source, stages: stages, paths: paths, jobs: jobs, pieceSize: pieceSize) { _, _ in }
    }

    /// Every piece of `paths` through `stages`, in file order (a record carried across a cut is
    /// extracted again, as the run does); `finish` may change each piece's batch, given the
    /// piece's processing (group runs) before it is kept.
    static func extract(_ source: SourceDefinition, stages: SourceStages, paths: [String], jobs: Int, pieceSize: Int,
                        finish: (inout RecordBatch, SourceStages.Processed) -> Void) throws(RunError) -> [RecordBatch] {
        let mapped = try stage(paths, inflateGzip: source.extractor.readsGzip)
        let files = paths.enumerated().map { InputFile(index: $0, source: source.name, path: $1, size: mapped[$0].bytes.count) }
        let pieces = parallelMap(files.count, jobs: jobs) { i in
            source.extractor.plan(files[i], bytes: mapped[i].bytes, targetPieceSize: pieceSize)
        }.flatMap { $0 }
        var batches: [RecordBatch] = []
        var chain = PieceChain()
        try OrderedParallelMap(jobs: jobs).run(count: pieces.count, produce: { i in
            stages.process(pieces[i], input: mapped[pieces[i].file.index])
        }, consume: { i, processed in
            var processed = processed
            if let moved = chain.adjusted(pieces[i]) {
                processed = stages.process(moved, input: mapped[pieces[i].file.index])
            }
            chain.record(pieces[i], processed.output)
            var batch = processed.output.batch
            finish(&batch, processed)
            batches.append(batch)
        })
        return batches
    }

    /// Applies `transforms` in order to copies of `batches` on `jobs` threads; returns the seconds
    /// each transform took (wall clock, all batches) and the counters they reported.
    public static func timeTransforms(_ transforms: [any Transform], on batches: [RecordBatch],
                                      jobs: Int) -> (seconds: [Double], counters: TransformCounters) {
        final class Slots: @unchecked Sendable { var batches: [RecordBatch]; init(_ b: [RecordBatch]) { batches = b } }
        let slots = Slots(batches)
        var seconds: [Double] = []
        var counters = TransformCounters()
        for transform in transforms {
            let started = Date()
            let results = parallelMap(slots.batches.count, jobs: jobs) { i -> (RecordBatch, TransformCounters) in
                var batch = slots.batches[i]
                var local = TransformCounters()
                _ = transform.apply(to: &batch, counters: &local)
                return (batch, local)
            }
            seconds.append(Date().timeIntervalSince(started))
            slots.batches = results.map(\.0)
            for (_, local) in results { counters.merge(local) }
        }
        return (seconds, counters)
    }
}
