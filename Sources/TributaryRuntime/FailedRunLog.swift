import Foundation
import TributaryCore
#if canImport(Glibc)
import Glibc
#endif

/// A run that did not publish: what it did before it stopped and why it stopped.
/// One JSON line of `<output>.runs.jsonl`.
public struct FailedRunRecord: Codable, Sendable, Equatable {
    public struct Input: Codable, Sendable, Equatable {
        public var source: String
        public var path: String
        public var sizeBytes: Int
        public var sha256: String
        public var records: Int, loaded: Int, quarantined: Int, filtered: Int, duplicates: Int
        public var quarantinedByReason: [String: Int]
    }
    public struct Stage: Codable, Sendable, Equatable {
        public var stage: String
        public var startedAt: String
        public var wallMs: Double
        public var cpuMs: Double
        public var peakRssBytes: Int
        public var recordsIn: Int
        public var recordsOut: Int
    }

    public var runId: Int
    public var pipeline: String
    public var pipelineFile: String
    public var pipelineSha256: String
    public var tributaryVersion: String
    public var startedAt: String
    public var finishedAt: String
    public var status: String
    /// `gate_failed`, `input`, `output`, `internal_error`.
    public var failure: String
    public var exitCode: Int32
    /// One line each (a data gate may fail for several sources).
    public var reasons: [String]
    public var jobs: Int
    public var recordsRead: Int, recordsLoaded: Int, recordsQuarantined: Int, recordsFiltered: Int, recordsDuplicates: Int
    public var inputs: [Input]
    public var stages: [Stage]
    /// Counts the transforms reported, per source and counter.
    public var counters: [String: [String: Int]]

    init(ledger: RunLedger, error: RunError) {
        let iso = ISO8601.formatter
        runId = ledger.runID
        pipeline = ledger.pipeline
        pipelineFile = ledger.pipelineFile
        pipelineSha256 = ledger.pipelineSHA256
        tributaryVersion = ledger.version
        startedAt = iso.string(from: ledger.startedAt)
        finishedAt = iso.string(from: ledger.finishedAt ?? Date())
        status = "failed"
        switch error {
        case .gateFailed(let list): failure = "gate_failed"; reasons = list
        case .input(let m): failure = "input"; reasons = [m]
        case .output(let m): failure = "output"; reasons = [m]
        case .internalError(let m): failure = "internal_error"; reasons = [m]
        case .locked(let m): failure = "locked"; reasons = [m]
        }
        exitCode = error.exitCode
        jobs = ledger.jobs
        let t = ledger.totals
        recordsRead = t.records; recordsLoaded = t.loaded; recordsQuarantined = t.quarantined
        recordsFiltered = t.filtered; recordsDuplicates = t.duplicates
        inputs = ledger.inputs.map { i in
            Input(source: i.file.source, path: i.file.path, sizeBytes: i.file.size, sha256: i.sha256,
                  records: i.counts.records, loaded: i.counts.loaded, quarantined: i.counts.quarantined,
                  filtered: i.counts.filtered, duplicates: i.counts.duplicates,
                  quarantinedByReason: Dictionary(uniqueKeysWithValues: i.quarantinedByReason.map { ($0.key.rawValue, $0.value) }))
        }
        stages = ledger.stages.map { s in
            Stage(stage: s.stage, startedAt: iso.string(from: s.startedAt), wallMs: s.wallSeconds * 1000,
                  cpuMs: s.cpuSeconds * 1000, peakRssBytes: s.peakRSSBytes, recordsIn: s.recordsIn, recordsOut: s.recordsOut)
        }
        counters = ledger.counters.mapValues(\.values)
    }
}

/// The failed runs of an output, kept beside it in `<output>.runs.jsonl` (one JSON object a line).
///
/// Why a file beside the output and not a row in the published database's `runs` table: the
/// published database is only ever replaced by an atomic rename, never written in place, so it
/// stays byte for byte the previous run's (readers never see it change or lock, and a crash
/// cannot leave a hot journal beside it). A failed run may also have no database to write to (the
/// first run, a corrupt or unreadable output) or be failing because the disk is full; appending
/// one short line to a small file still works in most of those cases. The line is written with
/// one `write(2)` under `O_APPEND` while the run lock is held, then flushed with `fsync`; a line
/// cut short by a crash is skipped by readers.
public struct FailedRunLog: Sendable {
    public let path: String

    public init(output: String) { path = output + ".runs.jsonl" }

    /// Appends `record`; throws when the file cannot be written.
    public func append(_ record: FailedRunRecord) throws(RunError) {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(record) else { throw RunError.internalError("cannot encode the failed run") }
        data.append(UInt8(ascii: "\n"))
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RunError.output("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else {
            if written > 0 { _ = ftruncate(fd, lseek(fd, 0, SEEK_END) - off_t(written)) }
            throw RunError.output("cannot append to \(path): \(String(cString: strerror(errno)))")
        }
        _ = fsync(fd)
    }

    /// Every complete, readable record, oldest first.
    public func records() -> [FailedRunRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(FailedRunRecord.self, from: Data($0)) }
    }

    /// The largest run id recorded, or 0.
    public var lastRunID: Int { records().map(\.runId).max() ?? 0 }
}

enum ISO8601 {
    /// ISO-8601 UTC with milliseconds, as in the ledger tables.
    static var formatter: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}

/// The process's peak resident set size so far, in bytes. On Linux, `VmHWM` from
/// `/proc/self/status`: the high-water mark of this program's own memory. `getrusage`'s
/// `ru_maxrss` also holds the resident memory the parent had when it forked (it survives
/// `exec`), so a run started by a large process (a scheduler's worker, a test runner) would
/// report that process's memory as its own.
func peakResidentBytes() -> Int {
    #if os(Linux)
    if let kib = ownHighWaterKiB() { return kib * 1024 }
    #endif
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #if os(Linux)
    return Int(usage.ru_maxrss) * 1024  // KiB on Linux
    #else
    return Int(usage.ru_maxrss)  // bytes on macOS
    #endif
}

#if os(Linux)
/// `VmHWM` of `/proc/self/status`, in KiB.
private func ownHighWaterKiB() -> Int? {
    let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 8192)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard n > 0 else { return nil }
    let text = String(decoding: buffer[0..<n], as: UTF8.self)
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
    return Int(line.dropFirst("VmHWM:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
}
#endif

extension Runner {
    /// Records a run that failed after taking the lock in `<output>.runs.jsonl` (best effort: a
    /// run that cannot record its failure still fails with its own error).
    func recordFailure(_ error: RunError, ledger: inout RunLedger, location: OutputLocation) {
        let log = FailedRunLog(output: location.target)
        ledger.status = "failed"
        ledger.finishedAt = Date()
        if ledger.runID == 0 {
            ledger.runID = max(Self.lastPublishedRunID(location.target), log.lastRunID) + 1
            options.runIdentified?(ledger.runID)
        }
        let record = FailedRunRecord(ledger: ledger, error: error)
        failure = record
        do {
            try log.append(record)
            logger.info("failed run recorded", metadata: ["run_id": .stringConvertible(record.runId), "path": "\(log.path)"])
        } catch {
            logger.warning("cannot record the failed run", metadata: ["path": "\(log.path)", "error": "\(error)"])
        }
    }

    /// The largest run id in the published output's `runs` table, or 0.
    static func lastPublishedRunID(_ path: String) -> Int {
        guard FileManager.default.fileExists(atPath: path),
              let db = try? SQLiteDatabase(path: path, readOnly: true),
              let max = try? db.prepare("SELECT coalesce(max(run_id), 0) FROM runs"),
              (try? max.next()) == true else { return 0 }
        return max.int(0)
    }
}
