import Crypto
import Foundation
import Logging
import TributaryComponents
import TributaryConfig
import TributaryCore

/// Options of one run, from the CLI or a test.
public struct RunOptions: Sendable {
    /// Worker threads for data-parallel stages.
    public var jobs: Int
    /// Target size of the pieces input files are cut into (bytes).
    public var pieceSize: Int
    /// The instant traits and segments are evaluated at; nil: when the run starts.
    public var asOf: AsOf?
    /// Receives progress updates from the loading thread (see `ProgressReporter`).
    public var progress: (@Sendable (RunProgress) -> Void)?
    /// Called with the run's id once it has one (the writer took it, or a failed run was given
    /// one), before any log line that follows: e.g. to put `run_id` on every log line.
    public var runIdentified: (@Sendable (Int) -> Void)?
    /// The longest line and the largest inflated size an input may have (see `InputLimits`).
    public var inputLimits = InputLimits()
    /// Whether identity reads the loaded fields it needs from the load's columns in memory
    /// (`LoadedColumns`) rather than scanning the store; off only to compare the two (tests).
    public var readsLoadedColumns = true

    public init(jobs: Int = ProcessInfo.processInfo.activeProcessorCount, pieceSize: Int = 4 << 20, asOf: AsOf? = nil) {
        self.jobs = max(1, jobs)
        self.pieceSize = max(1, pieceSize)
        self.asOf = asOf
    }
}

/// Executes a validated pipeline: the stages below form a graph in which sources are independent
/// until the load, and every file piece is extracted and transformed in parallel.
///
///     lock ─▶ resolve inputs ─▶ plan pieces ∥ fingerprint inputs
///          ─▶ extract + transform (parallel, per piece) ─▶ load (ordered, one SQLite transaction)
///          ─▶ reconcile counts ─▶ data gates ─▶ index ─▶ atomic publish
public final class Runner {
    public let definition: PipelineDefinition
    public let options: RunOptions
    let logger: Logger
    let pipelineSHA256: String
    /// Why the last `run()` failed after taking the lock, as recorded in `<output>.runs.jsonl`.
    public internal(set) var failure: FailedRunRecord?

    public init(definition: PipelineDefinition, pipelineText: String, options: RunOptions, logger: Logger) {
        self.definition = definition
        self.options = options
        self.logger = logger
        pipelineSHA256 = SHA256.hash(data: Data(pipelineText.utf8)).hexString
    }

    public static let version = "0.1.0"

    public func run() throws(RunError) -> RunLedger {
        let location = OutputLocation(target: definition.outputPath)
        // A working copy (PostgreSQL alone) is checked once it matches the server (below).
        if !definition.outputIsWorkingCopy { try checkOwnedFiles(location) }
        try location.prepareDirectory()
        let lock = try RunLock(path: location.lockPath)
        defer { withExtendedLifetime(lock) {} }
        // The lock file deleted during another run lets this one take a new lock: that run's
        // temporary files, of a live process, tell it is still writing.
        if let other = location.liveWriters().first {
            throw RunError.locked("another run (pid \(other)) is writing this output, though its lock file \(location.lockPath) was removed; try again when it has finished")
        }
        // The PostgreSQL mirror: connected, locked and cleaned before any work, so that an
        // unreachable server or a concurrent run stops this one at once.
        var mirror: PostgresOutput?
        if let url = definition.postgresURL {
            let output = try PostgresOutput(url: url, pipeline: definition.name, label: definition.postgresLabel)
            try output.lock()
            for schema in try output.removeLeftovers() {
                logger.info("dropped a leftover schema of an interrupted run", metadata: ["schema": "\(schema)"])
            }
            mirror = output
            if definition.outputIsWorkingCopy {
                if let note = try output.refreshWorkingCopy(at: location.target, url: url) { logger.notice("\(note)") }
                try checkOwnedFiles(location)
            }
        }
        // A run killed between publishing its database and its exports: point the exports back
        // at the published run's copies (and drop the copies of runs that never published).
        for line in ExportRepair.repair(output: location.target, exportPaths: definition.audience.exports.map(\.path)) {
            logger.notice("\(line)")
        }
        for leftover in location.removeLeftovers() {
            logger.info("removed a leftover of an interrupted run", metadata: ["path": "\(leftover)"])
        }

        var ledger = RunLedger(pipeline: definition.name, pipelineFile: definition.file, pipelineSHA256: pipelineSHA256,
                               version: Self.version, startedAt: Date(), jobs: options.jobs)
        ledger.asOf = options.asOf ?? AsOf(ledger.startedAt)
        do {
            return try execute(&ledger, location: location, mirror: mirror)
        } catch {
            recordFailure(error, ledger: &ledger, location: location)
            throw error
        }
    }

    private func execute(_ ledger: inout RunLedger, location: OutputLocation, mirror: PostgresOutput?) throws(RunError) -> RunLedger {
        var stopwatch = Stopwatch()
        var progress = ProgressFeed(options.progress)

        // Resolve inputs.
        let files = try resolveInputs()
        ledger.inputs = files.map { InputLedger(file: $0, modifiedAt: Self.modificationDate($0.path)) }
        logger.info("inputs resolved", metadata: ["files": .stringConvertible(files.count),
                                                  "bytes": .stringConvertible(files.reduce(0) { $0 + $1.size })])

        // Stage and fingerprint inputs (each read once, into a copy the run owns), then plan pieces,
        // in parallel over files.
        let staged = try stageInputs(files, location: location)
        for (i, file) in staged.enumerated() { ledger.inputs[i].sha256 = file.sha256 }
        let extractors = Dictionary(uniqueKeysWithValues: definition.sources.map { ($0.name, $0.extractor) })
        let pieceSize = options.pieceSize
        let planList = parallelMap(files.count, jobs: options.jobs) { i in
            defer { staged[i].input.evictPages() }
            return extractors[files[i].source]!.plan(files[i], bytes: staged[i].input.bytes, targetPieceSize: pieceSize)
        }.flatMap { $0 }
        let pieces = planList
        // The last piece of each file: once it is loaded, the file's staged copy is read no more.
        var lastPiece = [Int](repeating: -1, count: files.count)
        for (i, piece) in pieces.enumerated() { lastPiece[piece.file.index] = i }
        ledger.stages.append(stopwatch.lap("plan", recordsIn: 0, recordsOut: pieces.count))
        progress.start("extract", bytesTotal: pieces.reduce(0) { $0 + $1.endOffset - $1.startOffset }, piecesTotal: pieces.count)

        // Extract, shape, transform and load.
        let writer: OutputWriter = try SQLiteWriter(location: location)
        var published = false
        var exports: [ExportFile] = []
        defer {
            if !published {
                writer.abort()
                ExportFile.discard(exports)
            }
        }
        let stages = try Dictionary(uniqueKeysWithValues: definition.sources.map { source throws(RunError) in
            (source.name, try SourceStages(source, baseDirectory: definition.baseDirectory))
        })
        let tables = definition.sources.map {
            SourceTable(source: $0.name, fields: $0.layout.map(\.name), types: $0.columnTypes, keyFields: $0.keyFields,
                        declaredFields: $0.declaredFields)
        }
        try writer.begin(tables: tables)
        ledger.runID = writer.runID
        options.runIdentified?(ledger.runID)

        let tableBySource = Dictionary(uniqueKeysWithValues: tables.map { ($0.source, $0) })
        var continuations = definition.sources.reduce(into: [String: GroupContinuation]()) { map, source in
            if let group = source.groupLine { map[source.name] = GroupContinuation(into: group.into) }
        }
        var dedupers = Dictionary(uniqueKeysWithValues: definition.sources.map { ($0.name, Deduplicator(keyColumns: $0.keyColumns)) })
        var checks: [ReconciliationCheck] = []
        // The fields identity reads, kept from the batches as they are written (no copy).
        var loaded = options.readsLoadedColumns
            ? definition.identity.map { LoadedColumns(tables: tables, fields: IdentityStage.fieldsRead($0, tables: tables)) } : nil
        var chain = PieceChain()
        let extraction = Stopwatch()
        var loadSeconds = 0.0
        try OrderedParallelMap(jobs: options.jobs).run(count: pieces.count, produce: { index in
            let piece = pieces[index]
            return stages[piece.file.source]!.process(piece, input: staged[piece.file.index].input)
        }, consume: { index, speculative throws(RunError) in
            let piece = pieces[index]
            let started = Date()
            let source = piece.file.source
            // A record the previous piece carried over: extract this piece again from its start.
            var processed = speculative
            if let moved = chain.adjusted(piece) {
                processed = stages[source]!.process(moved, input: staged[piece.file.index].input)
            }
            chain.record(piece, processed.output)
            ledger.counters[source, default: TransformCounters()].merge(processed.counters)
            var output = processed.output
            if let runs = processed.runs { continuations[source]!.fix(&output.batch, runs: runs) }
            let duplicates = dedupers[source]!.apply(to: &output.batch)
            output.counts.loaded -= duplicates
            output.counts.duplicates += duplicates
            let table = tableBySource[source]!
            try writer.write(table, batch: output.batch, layout: stages[source]!.layout, fileID: piece.file.index + 1)
            loaded?.append(source: source, batch: output.batch, layout: stages[source]!.layout, fileID: piece.file.index + 1)
            try writer.writeQuarantine(source: source, records: output.quarantined, files: files)
            checks += output.checks
            loadSeconds += Date().timeIntervalSince(started)
            ledger.inputs[piece.file.index].counts += output.counts
            for record in output.quarantined {
                ledger.inputs[piece.file.index].quarantinedByReason[record.reason, default: 0] += 1
            }
            progress.advance(bytes: piece.endOffset - piece.startOffset, records: output.counts.records)
            if lastPiece[piece.file.index] == index { staged[piece.file.index].input.releasePages() }
        })
        // Keep rules other than `first` need every record of the source: decided now, in SQL.
        for source in definition.sources where source.keep != .first {
            let dropped = try writer.deduplicate(tableBySource[source.name]!, keys: source.keyFields, keep: source.keep)
            loaded?.drop(source: source.name)
            for (fileID, count) in dropped {
                ledger.inputs[fileID - 1].counts.loaded -= count
                ledger.inputs[fileID - 1].counts.duplicates += count
            }
        }
        let loadedTotals = ledger.totals
        ledger.stages.append(extraction.timing("extract+transform+load", recordsIn: loadedTotals.records, recordsOut: loadedTotals.loaded))
        progress.finish()
        if let identity = definition.identity {
            progress.start("identity")
            var watch = Stopwatch()
            let resolved = try IdentityStage(identity: identity, tables: tables, files: files, jobs: options.jobs,
                                             runID: ledger.runID, previous: writer.previousProfiles, loaded: loaded)
                .run(on: writer.stageStore)
            loaded = nil
            let summary = resolved.summary
            ledger.identity = summary
            ledger.stages.append(watch.lap("identity", recordsIn: summary.records, recordsOut: summary.profiles))
            progress.finish(records: summary.records)
            if let survivorship = definition.survivorship {
                progress.start("golden records")
                let values = try GoldenRecordStage(survivorship: survivorship, tables: tables, profiles: resolved.profiles, jobs: options.jobs)
                    .run(on: writer.stageStore)
                ledger.stages.append(watch.lap("golden records", recordsIn: summary.profiles, recordsOut: values))
                progress.finish(records: summary.profiles)
            }
            if !definition.audience.isEmpty {
                progress.start("activities+traits+segments")
                defer { progress.finish() }
                let history = OutputHistory(lineage: resolved.lineage, segmentMembers: writer.previousSegmentMembers)
                let stage = AudienceStage(audience: definition.audience, tables: tables, asOf: ledger.asOf!,
                                          runID: ledger.runID, history: history)
                let (audience, files) = try stage.run(on: writer.stageStore)
                exports = files
                ledger.audience = audience
                ledger.exports = files
                ledger.stages += audience.stages
            }
        }
        try writer.writeReconciliations(checks, files: files)
        ledger.reconciliations = checks.count
        ledger.failedReconciliations = checks.count { !$0.passed }
        let totals = ledger.totals
        stopwatch.reset()
        logger.info("loaded", metadata: ["records": .stringConvertible(totals.records), "loaded": .stringConvertible(totals.loaded),
                                         "quarantined": .stringConvertible(totals.quarantined), "filtered": .stringConvertible(totals.filtered),
                                         "load_seconds": .stringConvertible((loadSeconds * 100).rounded() / 100)])

        // Reconcile: every record of every file is loaded, quarantined, filtered or a duplicate.
        var broken: [String] = []
        for input in ledger.inputs {
            broken += input.counts.violations.map { "\(input.file.path): \($0)" }
        }
        guard broken.isEmpty else { throw RunError.internalError("row accounting does not reconcile: " + broken.joined(separator: "; ")) }

        // Data gates.
        let gateFailures = failedGates(ledger, checks: checks, files: files)
        if !gateFailures.isEmpty { throw RunError.gateFailed(gateFailures) }

        ledger.status = "succeeded"
        ledger.finishedAt = Date()
        progress.start("index+publish")
        try writer.writeDocs(OutputSchemaDocs.Pipeline(definition, sources: tables))
        try writer.finish(ledger)
        ledger.stages.append(stopwatch.lap("index+ledger", recordsIn: totals.loaded, recordsOut: totals.loaded))
        // The database, then the exports, renamed into place as one step for the signal handler
        // (a SIGTERM meanwhile waits, then says the new output was published).
        try InterruptCleanup.publish(runID: ledger.runID) { (markPublished) throws(RunError) in
            try writer.publish()
            published = true
            markPublished()
            ExportFile.keep(exports)
            // The exports follow the database, which names the run's copy of each with its SHA-256:
            // each target becomes a name of its copy.
            do throws(RunError) {
                try ExportFile.publish(exports, runID: ledger.runID)
            } catch {
                throw RunError.output("\(error.description) (the new database of run \(ledger.runID) is published; its `exports` table lists the files it should have)")
            }
        }
        ledger.stages.append(stopwatch.lap("publish", recordsIn: 0, recordsOut: 0))
        progress.finish(records: totals.loaded)
        if let mirror {
            progress.start("postgres")
            do throws(RunError) {
                let rows = try mirror.publish(sqlite: location.target, runID: ledger.runID)
                ledger.stages.append(stopwatch.lap("postgres", recordsIn: rows, recordsOut: rows))
                progress.finish(records: rows)
            } catch {
                throw RunError.output("\(error.description) (the SQLite output of run \(ledger.runID) is published; the PostgreSQL schema \(definition.name) keeps the previous run's)")
            }
        }
        return ledger
    }

    /// The data gates the run breaks, one message each (rejected share, failed reconciliations).
    private func failedGates(_ ledger: RunLedger, checks: [ReconciliationCheck], files: [InputFile]) -> [String] {
        var failures: [String] = []
        for source in definition.sources {
            let counts = ledger.counts(source: source.name)
            if let limit = source.maxRejected, limit.isExceeded(rejected: counts.quarantined, total: counts.records) {
                failures.append("source '\(source.name)': \(counts.quarantined) of \(counts.records) records rejected, over the limit of \(limit) (quarantine.max_rejected)")
            }
            if let minimum = source.minRecords, counts.loaded < minimum {
                failures.append("source '\(source.name)': \(counts.loaded) records loaded, under the minimum of \(minimum) (gates.min_records)")
            }
        }
        if let identity = ledger.identity {
            if let limit = definition.gates.maxClusterSize, identity.largestProfile > limit {
                failures.append("the largest profile holds \(identity.largestProfile) records, over the limit of \(limit) (gates.max_cluster_size); see `pipeline inspect` and identity_refusals")
            }
            if let limit = definition.gates.maxProfileChange, let previous = identity.previousProfiles,
               limit.isExceeded(rejected: abs(identity.profiles - previous), total: previous) {
                failures.append("\(identity.profiles) profiles against \(previous) in the published output, a change over the limit of \(limit) (gates.max_profile_change)")
            }
        }
        for source in definition.sources where source.failOnReconciliationMismatch {
            let failed = checks.filter { !$0.passed && files[$0.fileIndex].source == source.name }
            for check in failed.prefix(5) {
                failures.append("source '\(source.name)': \(check.check) at \(files[check.fileIndex].path):\(check.line) is \(check.actual), the file says \(check.expected) (reconciliation.on_mismatch: fail)")
            }
            if failed.count > 5 { failures.append("source '\(source.name)': \(failed.count - 5) more failed reconciliations") }
        }
        return failures
    }

    /// Reads every input into the run's staged copy of it, in parallel over files; the first
    /// failure (in file order) stops the run.
    private func stageInputs(_ files: [InputFile], location: OutputLocation) throws(RunError) -> [StagedFile] {
        let gzip = Dictionary(uniqueKeysWithValues: definition.sources.map { ($0.name, $0.extractor.readsGzip) })
        let limits = options.inputLimits
        let directory = location.directory
        let prefix = location.temporaryPrefix
        let budget = StagingBudget(bytes: InputReader.memoryBudget)
        let results = parallelMap(files.count, jobs: options.jobs) { i -> Result<StagedFile, RunError> in
            do throws(RunError) {
                return .success(try InputReader.stage(path: files[i].path, directory: directory, temporaryPrefix: prefix,
                                                      inflateGzip: gzip[files[i].source]!, limits: limits, budget: budget))
            } catch {
                return .failure(error)
            }
        }
        var staged: [StagedFile] = []
        for result in results {
            switch result {
            case .success(let file): staged.append(file)
            case .failure(let error): throw error
            }
        }
        return staged
    }

    /// The files a run writes: the database, its lock and log, the exports. A run reads none of
    /// them as input (a glob over the output folder skips them).
    private func ownedFiles(_ location: OutputLocation) -> Set<String> {
        let target = Self.standardized(location.target)
        return Set([target, target + ".lock", target + ".runs.jsonl"] + definition.audience.exports.map { Self.standardized($0.path) })
    }

    static func standardized(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// A run writes only files it owns: never the pipeline file, never a file that is not a
    /// Tributary output where the database goes, never an input (checked in `resolveInputs`).
    private func checkOwnedFiles(_ location: OutputLocation) throws(RunError) {
        let target = Self.standardized(location.target)
        let pipelineFile = Self.standardized(definition.file)
        for owned in ownedFiles(location) where owned == pipelineFile {
            throw RunError.input("the run would overwrite its own pipeline file \(definition.file)\n  hint: give `output.sqlite` and every export a file of its own")
        }
        var isDirectory: ObjCBool = false
        var written = Set<String>()  // the export files earlier runs wrote
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                throw RunError.input("the output \(location.target) is a folder\n  hint: `output.sqlite` names the database file, e.g. out/\(definition.name).sqlite")
            }
            let previous: (db: SQLiteDatabase, tables: Set<String>)
            do {
                previous = try OutputDatabase.open(target)
            } catch {
                throw RunError.input("the output \(location.target) exists and is not a Tributary output; a run never replaces a file it did not write\n  hint: point `output.sqlite` at a new file, or move that file away")
            }
            if previous.tables.contains("exports"), let rows = try? previous.db.prepare("SELECT DISTINCT path FROM exports") {
                while (try? rows.next()) == true { if let path = rows.text(0) { written.insert(Self.standardized(path)) } }
            }
        }
        for export in definition.audience.exports {
            let path = Self.standardized(export.path)
            guard FileManager.default.fileExists(atPath: path), !written.contains(path) else { continue }
            throw RunError.input("export '\(export.name)' would replace \(export.path), which no run of this output wrote; a run never replaces a file it did not write\n  hint: give the export a path of its own, or move that file away")
        }
    }

    private func resolveInputs() throws(RunError) -> [InputFile] {
        var files: [InputFile] = []
        let location = OutputLocation(target: definition.outputPath)
        let owned = ownedFiles(location)
        // Temporary files and the exports' run copies, by name.
        let ownedPrefixes = [location.temporaryPrefix] + definition.audience.exports.flatMap { export -> [String] in
            let name = URL(fileURLWithPath: export.path).lastPathComponent
            return ["." + name + ".tmp-", "." + name + ".run-"]
        }
        for source in definition.sources {
            var seen = Set<String>()
            for pattern in source.patterns {
                // The run's own files (database, lock, log, exports and their copies, temporary
                // files) are never input.
                let matches = Glob.expand(pattern).filter { path in
                    let full = Self.standardized(path)
                    let name = URL(fileURLWithPath: full).lastPathComponent
                    return !owned.contains(full) && !ownedPrefixes.contains { name.hasPrefix($0) }
                }
                if matches.isEmpty {
                    throw RunError.input("input path \(pattern) of source '\(source.name)' matches no file")
                }
                for path in matches where seen.insert(path).inserted {
                    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                    files.append(InputFile(index: files.count, source: source.name, path: path, size: size))
                }
            }
        }
        return files
    }

    private static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}

/// Wall and CPU time between laps.
struct Stopwatch {
    var startedAt = Date()
    var cpu = processCPUSeconds()

    mutating func reset() {
        startedAt = Date()
        cpu = processCPUSeconds()
    }

    func timing(_ stage: String, recordsIn: Int, recordsOut: Int) -> StageTiming {
        StageTiming(stage: stage, startedAt: startedAt, wallSeconds: Date().timeIntervalSince(startedAt),
                    cpuSeconds: processCPUSeconds() - cpu, recordsIn: recordsIn, recordsOut: recordsOut,
                    peakRSSBytes: peakResidentBytes())
    }

    mutating func lap(_ stage: String, recordsIn: Int, recordsOut: Int) -> StageTiming {
        let t = timing(stage, recordsIn: recordsIn, recordsOut: recordsOut)
        reset()
        return t
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in self { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Digest {
    var hexString: String { Array(self).hexString }
}
