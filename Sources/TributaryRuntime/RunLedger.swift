import Foundation
import TributaryCore

/// What a run did, for the `runs`, `run_inputs` and `run_stages` tables and the CLI summary.
public struct RunLedger: Sendable {
    public var runID = 0
    public var pipeline: String
    public var pipelineFile: String
    public var pipelineSHA256: String
    public var version: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var status = "running"
    public var jobs: Int
    public var inputs: [InputLedger] = []
    public var stages: [StageTiming] = []
    /// Profiles found by identity resolution, when the pipeline has an `identity:` section.
    public var identity: IdentitySummary?
    /// The instant traits and segments were evaluated at (`--as-of`).
    public var asOf: AsOf?
    /// Activities, traits and segments, when the pipeline declares them.
    public var audience: AudienceSummary?
    /// Export files written beside the database.
    public var exports: [ExportFile] = []
    /// What the transforms counted (values standardized, made NULL as invalid, ...), per source.
    public var counters: [String: TransformCounters] = [:]
    /// In-file reconciliations (e.g. fixed-width trailers): how many ran and how many failed.
    public var reconciliations = 0
    public var failedReconciliations = 0

    /// Totals over every input of a source.
    public func counts(source: String) -> RowCounts {
        var total = RowCounts()
        for input in inputs where input.file.source == source { total += input.counts }
        return total
    }

    public var totals: RowCounts {
        var total = RowCounts()
        for input in inputs { total += input.counts }
        return total
    }
}

/// One input file of a run: its fingerprint and its row accounting.
public struct InputLedger: Sendable {
    public var file: InputFile
    public var sha256: String = ""
    public var modifiedAt: Date?
    public var counts = RowCounts()
    public var quarantinedByReason: [QuarantineReason: Int] = [:]
}

/// Wall and CPU time of one stage of the run.
public struct StageTiming: Sendable {
    public var stage: String
    public var startedAt: Date
    public var wallSeconds: Double
    public var cpuSeconds: Double
    public var recordsIn: Int
    public var recordsOut: Int
    /// The process's peak resident memory (high-water mark) when the stage ended, in bytes.
    public var peakRSSBytes = 0
}
