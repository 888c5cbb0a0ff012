import Foundation
import TributaryComponents
import TributaryConfig
import TributaryCore
import TributaryMatching

/// A seeded mutation fuzzer over the real input path of a source (staging with gzip inflation and
/// the line limit, planning, extraction, typing, rules, transforms) and over the pipeline-file
/// loader. libFuzzer needs a toolchain built with it; this loop needs nothing and replays: the
/// same seed gives the same inputs.
///
/// Each input is a mutation of a corpus file (a real sample: `SampleData/`): bits flipped, bytes
/// set to values parsers treat specially (quotes, separators, line ends, NUL, 0xFF), runs
/// inserted, deleted, duplicated or spliced from another corpus file, the end cut off. What it
/// checks, besides not crashing:
/// - the row accounting of the source reconciles (`RowCounts.violations` is empty);
/// - the counts do not depend on how the file is cut into pieces (one piece, and pieces of a few
///   hundred bytes read in parallel, as a run cuts a large file).
/// The input being run is written to `workDirectory/current-<target>` first, so the one that
/// crashes the process is on disk for a regression test.
public enum Fuzzer {
    public struct Target: Sendable {
        public var name: String
        /// The source whose pipeline runs (nil: the target is the pipeline-file loader).
        public var source: SourceDefinition?
        public var baseDirectory: String
        public var corpus: [[UInt8]]
        /// The file name ending the inputs are written with (`.gz` for gzip).
        public var suffix: String

        public init(name: String, source: SourceDefinition?, baseDirectory: String, corpus: [[UInt8]], suffix: String) {
            self.name = name
            self.source = source
            self.baseDirectory = baseDirectory
            self.corpus = corpus
            self.suffix = suffix
        }
    }

    public struct Report: Sendable {
        public var target: String
        public var executions = 0
        public var seconds = 0.0
        /// Inputs that broke an invariant: a description and the path the input was saved to.
        public var failures: [(what: String, input: String)] = []
        public var executionsPerSecond: Double { seconds > 0 ? Double(executions) / seconds : 0 }
    }

    /// Fuzzes `target` for `seconds`, from `seed`; failing inputs are saved in `workDirectory`.
    /// `maxExecutions`: stop after that many inputs (a run that gives the same inputs on any
    /// machine, for CI), else after `seconds`.
    public static func run(_ target: Target, seconds: Double, seed: UInt64, workDirectory: String,
                           maxExecutions: Int? = nil, maxFailures: Int = 5) -> Report {
        var report = Report(target: target.name)
        var random = SplitMix64(seed: seed)
        let current = workDirectory + "/current-" + target.name + target.suffix
        let started = Date()
        while report.failures.count < maxFailures, !target.corpus.isEmpty {
            if let maxExecutions { if report.executions >= maxExecutions { break } } else if Date().timeIntervalSince(started) >= seconds { break }
            var input = target.corpus[random.next(below: target.corpus.count)]
            let other = target.corpus[random.next(below: target.corpus.count)]
            for _ in 0..<(1 + random.next(below: 4)) { mutate(&input, splice: other, &random) }
            FileManager.default.createFile(atPath: current, contents: Data(input))
            if let problem = check(target, path: current, text: input) {
                let saved = workDirectory + "/failure-\(target.name)-\(report.executions)" + target.suffix
                try? FileManager.default.removeItem(atPath: saved)
                try? FileManager.default.copyItem(atPath: current, toPath: saved)
                report.failures.append((problem, saved))
            }
            report.executions += 1
        }
        report.seconds = Date().timeIntervalSince(started)
        try? FileManager.default.removeItem(atPath: current)
        return report
    }

    /// The targets, from the repository at `root`: the sources of `Pipelines/acme.yml` (CSV, JSON
    /// lines plain and gzip, delimited, fixed width) with windows of `SampleData/acme` as corpora,
    /// and the pipeline loader with `Pipelines/*.yml`.
    public static func targets(root: String, workDirectory: String) throws(RunError) -> [Target] {
        let data = root + "/SampleData/acme"
        let loader = PipelineLoader(catalog: Registry.standard, environment: ["ACME_DATA": data, "TRIBUTARY_OUT": workDirectory + "/out"],
                                    mode: .validate)
        let (loaded, diagnostics) = PipelineCheck.load(loader, path: root + "/Pipelines/acme.yml")
        guard let pipeline = loaded else {
            throw RunError.input("Pipelines/acme.yml does not load: \(diagnostics.sorted.map(\.message).joined(separator: "; "))")
        }
        func source(_ name: String) -> SourceDefinition? { pipeline.sources.first { $0.name == name } }
        func files(_ folder: String, _ suffix: String, first: Int) -> [String] {
            Array(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
                .prefix(first).map { folder + "/" + $0 })
        }
        func whole(_ paths: [String]) -> [[UInt8]] { paths.compactMap { FileManager.default.contents(atPath: $0).map { Array($0) } } }
        let base = pipeline.baseDirectory
        return [
            Target(name: "csv", source: source("crm"), baseDirectory: base,
                   corpus: windows(of: [data + "/crm_contacts.csv"], keepHeader: true), suffix: ".csv"),
            Target(name: "jsonl", source: source("events"), baseDirectory: base,
                   corpus: windows(of: files(data + "/events", ".jsonl", first: 3), keepHeader: false), suffix: ".jsonl"),
            Target(name: "gzip", source: source("events"), baseDirectory: base,
                   corpus: whole(files(data + "/events", ".jsonl.gz", first: 4)), suffix: ".jsonl.gz"),
            Target(name: "delimited", source: source("pos"), baseDirectory: base,
                   corpus: windows(of: files(data + "/pos", ".txt", first: 2), keepHeader: true), suffix: ".txt"),
            Target(name: "fixed_width", source: source("pos_legacy"), baseDirectory: base,
                   corpus: windows(of: files(data + "/pos", ".dat", first: 2), keepHeader: false), suffix: ".dat"),
            Target(name: "pipeline", source: nil, baseDirectory: root + "/Pipelines",
                   corpus: whole(files(root + "/Pipelines", ".yml", first: 100)), suffix: ".yml"),
        ]
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

    /// The invariants on the input saved at `path` (a failure to reproduce); nil when they hold.
    public static func replay(_ target: Target, path: String) -> String? {
        check(target, path: path, text: FileManager.default.contents(atPath: path).map { Array($0) } ?? [])
    }

    /// The invariants on one input; nil when they hold.
    static func check(_ target: Target, path: String, text: [UInt8]) -> String? {
        guard let source = target.source else {
            // The loader: any text gives diagnostics or a definition, in bounded time.
            let loader = PipelineLoader(catalog: Registry.standard, environment: [:], mode: .validate)
            _ = PipelineCheck.load(loader, text: String(decoding: text, as: UTF8.self), file: "fuzz.yml",
                                   baseDirectory: target.baseDirectory)
            return nil
        }
        do {
            let whole = try counts(source, path: path, baseDirectory: target.baseDirectory, pieceSize: 1 << 30)
            if !whole.violations.isEmpty { return "accounting: " + whole.violations.joined(separator: "; ") }
            let cut = try counts(source, path: path, baseDirectory: target.baseDirectory, pieceSize: 256)
            if cut != whole { return "counts depend on the piece size: one piece \(whole), pieces of 256 bytes \(cut)" }
        } catch {
            // A clear error (a broken gzip stream past its limit, an unreadable input) is an answer.
            return nil
        }
        return nil
    }

    /// The row counts of `source` over the one file `path`, cut into pieces of `pieceSize`.
    static func counts(_ source: SourceDefinition, path: String, baseDirectory: String, pieceSize: Int) throws(RunError) -> RowCounts {
        let stages = try SourceStages(source, baseDirectory: baseDirectory)
        var total = RowCounts()
        _ = try DryExtraction.extract(source, stages: stages, paths: [path], jobs: 2, pieceSize: pieceSize) { _, processed in
            total += processed.output.counts
        }
        return total
    }

    // MARK: Mutations

    /// Bytes parsers treat specially.
    static let interesting: [UInt8] = [0, 9, 10, 13, 0x22, 0x27, 0x2C, 0x3A, 0x3B, 0x5B, 0x5C, 0x5D, 0x7B, 0x7C, 0x7D, 0x7F, 0x80, 0xC3, 0xEF, 0xFF]

    static func mutate(_ input: inout [UInt8], splice other: [UInt8], _ random: inout SplitMix64) {
        let maxSize = 1 << 16
        if input.isEmpty { input = [interesting[random.next(below: interesting.count)]]; return }
        let at = random.next(below: input.count)
        switch random.next(below: 8) {
        case 0:  // flip a bit
            input[at] ^= UInt8(1 << random.next(below: 8))
        case 1:  // a special byte
            input[at] = interesting[random.next(below: interesting.count)]
        case 2:  // insert special bytes
            let run = (0..<(1 + random.next(below: 8))).map { _ in interesting[random.next(below: interesting.count)] }
            input.insert(contentsOf: run, at: at)
        case 3:  // delete a run
            input.removeSubrange(at..<min(input.count, at + 1 + random.next(below: 64)))
        case 4:  // duplicate a run (a repeated line, a long line)
            let end = min(input.count, at + 1 + random.next(below: 256))
            let copies = 1 + random.next(below: random.next(below: 4) == 0 ? 64 : 3)
            let run = Array(input[at..<end])
            for _ in 0..<copies where input.count + run.count <= maxSize { input.insert(contentsOf: run, at: end) }
        case 5:  // cut the end off
            input.removeSubrange(at..<input.count)
        case 6:  // splice a run of another corpus file
            guard !other.isEmpty else { return }
            let from = random.next(below: other.count)
            input.insert(contentsOf: other[from..<min(other.count, from + 1 + random.next(below: 512))], at: at)
        default:  // a random byte
            input[at] = UInt8(truncatingIfNeeded: random.next())
        }
        if input.count > maxSize { input.removeSubrange(maxSize...) }
    }
}
