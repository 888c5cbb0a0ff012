import Foundation
import Logging
import Testing
@testable import TributaryConfig
import TributaryCore
@testable import TributaryRuntime

/// The runner refuses to publish when row counts do not reconcile. A deliberately wrong extractor
/// (a test double that loses a record from its counts) shows that the check fails the run.
@Suite("Row accounting check")
struct AccountingTests {
    /// Reads each line as one record, but reports one record fewer than it read.
    struct LosingExtractor: Extractor {
        var loseOne: Bool
        var fieldDefinitions: [FieldDefinition] { [FieldDefinition(name: "line")] }

        func plan(_ file: InputFile, bytes: FileBytes, targetPieceSize: Int) -> [ExtractionPiece] {
            [ExtractionPiece(file: file, ordinal: 0, startOffset: 0, endOffset: bytes.count, firstLine: 1, context: 0)]
        }

        func extract(_ piece: ExtractionPiece, bytes: FileBytes) -> ExtractionOutput {
            let text = String(decoding: bytes.base, as: UTF8.self)
            var batch = RecordBatch(columnCount: 1)
            var counts = RowCounts()
            for (i, line) in text.split(separator: "\n").enumerated() {
                batch.columns[0].append(String(line))
                batch.lines.append(i + 1)
                counts.physicalLines += 1
                counts.recordLines += 1
                counts.records += 1
                counts.loaded += 1
            }
            if loseOne { counts.records -= 1 }  // the bug this check exists for
            return ExtractionOutput(batch: batch, quarantined: [], counts: counts, raw: bytes)
        }
    }

    func run(loseOne: Bool) throws -> (Result<RunLedger, RunError>, output: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-acct-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "a\nb\nc\n".write(toFile: directory + "/in.txt", atomically: true, encoding: .utf8)
        let source = SourceDefinition(
            name: "lines", format: "test", extractor: LosingExtractor(loseOne: loseOne), patterns: [directory + "/in.txt"],
            groupLine: nil, rules: nil, transforms: [], keyColumns: [], layout: [("line", 0)], columnTypes: [.string],
            maxRejected: nil, failOnReconciliationMismatch: false)
        let definition = PipelineDefinition(name: "acct", file: "acct.yml", outputPath: directory + "/out.sqlite",
                                            baseDirectory: directory, sources: [source])
        let runner = Runner(definition: definition, pipelineText: "", options: RunOptions(jobs: 1),
                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            return (.success(try runner.run()), definition.outputPath)
        } catch {
            return (.failure(error), definition.outputPath)
        }
    }

    @Test func countsThatReconcilePublish() throws {
        let (result, output) = try run(loseOne: false)
        let ledger = try result.get()
        #expect(ledger.totals.records == 3 && ledger.totals.loaded == 3)
        #expect(FileManager.default.fileExists(atPath: output))
    }

    @Test func aLostRecordFailsTheRunAndPublishesNothing() throws {
        let (result, output) = try run(loseOne: true)
        guard case .failure(let error) = result else {
            Issue.record("the run succeeded although a record was not accounted for")
            return
        }
        #expect(error.exitCode == 2)
        #expect(error.description.contains("row accounting does not reconcile"), "\(error)")
        #expect(error.description.contains("records read (2) ≠ loaded (3)"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
