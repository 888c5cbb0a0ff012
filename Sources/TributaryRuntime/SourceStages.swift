import Foundation
import TributaryComponents
import TributaryConfig
import TributaryCore

/// The per-piece work of one source, run on worker threads: extract, number groups, type the
/// declared fields, check the rules, apply the transforms. Rejected records are quarantined
/// with their raw text; every record stays accounted for.
struct SourceStages: Sendable {
    let source: SourceDefinition
    let typing: FieldTyping?
    let numbering: GroupLineNumbering?
    /// The batch column of each output field.
    let layout: [Int]

    init(_ source: SourceDefinition, baseDirectory: String) throws(RunError) {
        self.source = source
        let definitions = source.extractor.fieldDefinitions
        do {
            let typing = try FieldTyping(
                fields: definitions, columns: Array(definitions.indices),
                scope: FieldScope(fields: definitions.map(\.name)),
                referenceTable: { table, keyColumn, valueColumn in
                    try ReferenceTable.load(path: table.hasPrefix("/") ? table : baseDirectory + "/" + table,
                                            keyColumn: keyColumn, valueColumn: valueColumn)
                })
            self.typing = typing.isEmpty ? nil : typing
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError.input("source '\(source.name)': \(error)")
        }
        numbering = source.groupLine.map { GroupLineNumbering(groupBy: $0.groupBy, into: $0.into) }
        layout = source.layout.map(\.column)
    }

    struct Processed: Sendable {
        var output: ExtractionOutput
        var runs: GroupLineNumbering.Runs?
        var counters = TransformCounters()
    }

    func process(_ piece: ExtractionPiece, input: StagedInput) -> Processed {
        var output = source.extractor.extract(piece, bytes: input.bytes)
        var quarantinedLines = Set<Int>()
        // Lines the staged copy left out in this piece (those of a record carried to the next piece
        // belong to it): lines over the limit, long runs of blank lines.
        if !input.longLines.isEmpty || !input.blankRuns.isEmpty {
            let range = piece.startOffset..<(output.carry?.offset ?? piece.endOffset)
            var rejections = output.accountLongLines(input.longLines(in: range), fileIndex: piece.file.index)
            rejections += output.accountBlankRuns(input.blankRuns(in: range), maxRun: input.maxBlankRunLines)
            if !input.blankRuns.isEmpty { output.renumberLines(input.fileLine) }
            var seen = Set<Int>()
            quarantine(rejections.filter { seen.insert($0.row).inserted }.sorted { $0.row < $1.row }, in: &output,
                       fileIndex: piece.file.index, lines: &quarantinedLines)
        }
        let runs = numbering?.apply(to: &output.batch, fileIndex: piece.file.index)
        if let typing { quarantine(typing.apply(to: &output.batch), in: &output, fileIndex: piece.file.index, lines: &quarantinedLines) }
        if let rules = source.rules { quarantine(rules.apply(to: &output.batch), in: &output, fileIndex: piece.file.index, lines: &quarantinedLines) }
        // Trailers count valid records: recompute their checks without the records just quarantined
        // (duplicates and filtered records stay counted).
        output.settleChecks(quarantinedLines: quarantinedLines)
        var counters = TransformCounters()
        for transform in source.transforms {
            let removed = transform.apply(to: &output.batch, counters: &counters)
            output.counts.loaded -= removed
            output.counts.filtered += removed
        }
        return Processed(output: output, runs: runs, counters: counters)
    }

    private func quarantine(_ rejections: [Rejection], in output: inout ExtractionOutput, fileIndex: Int, lines: inout Set<Int>) {
        guard !rejections.isEmpty else { return }
        var rejected = Set<Int>()
        for r in rejections where rejected.insert(r.row).inserted {
            lines.insert(output.batch.lines[r.row])
            output.quarantined.append(QuarantinedRecord(fileIndex: fileIndex, line: output.batch.lines[r.row], reason: r.reason,
                                                        detail: r.detail, raw: output.rawBytes(row: r.row)))
        }
        output.batch.select((0..<output.batch.count).filter { !rejected.contains($0) })
        output.counts.loaded -= rejected.count
        output.counts.quarantined += rejected.count
    }
}

/// A small CSV reference table (e.g. stores and their time zones), read whole.
enum ReferenceTable {
    static func load(path: String, keyColumn: String, valueColumn: String) throws -> [String: String] {
        // Read whole with read(2) (never mapped: a table rewritten meanwhile cannot fault the run).
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw RunError.input("cannot read reference table \(path)")
        }
        let extractor = CSVExtractor(fields: [CSVExtractor.Field(name: "key", columns: [keyColumn]),
                                              CSVExtractor.Field(name: "value", columns: [valueColumn])])
        let input = InputFile(index: 0, source: "reference", path: path, size: contents.count)
        var table: [String: String] = [:]
        let bytes = [UInt8](contents)
        try bytes.withUnsafeBytes { (raw) throws in
          let file = FileBytes(raw)
          for piece in extractor.plan(input, bytes: file, targetPieceSize: Int.max) {
            let output = extractor.extract(piece, bytes: file)
            if let bad = output.quarantined.first {
                throw RunError.input("reference table \(path), line \(bad.line): \(bad.detail)")
            }
            for row in 0..<output.batch.count {
                guard let key = output.batch.columns[0].string(row), let value = output.batch.columns[1].string(row) else { continue }
                table[key.trimmingCharacters(in: .whitespaces)] = value.trimmingCharacters(in: .whitespaces)
            }
          }
        }
        return table
    }
}
