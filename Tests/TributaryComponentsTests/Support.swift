import Testing
@testable import TributaryComponents
import TributaryCore

/// A quarantined record as the tests compare it.
struct Rejected: Equatable, CustomStringConvertible {
    var line: Int
    var reason: QuarantineReason
    /// The raw bytes as text (lossy for invalid UTF-8).
    var raw: String

    init(_ line: Int, _ reason: QuarantineReason, _ raw: String) {
        self.line = line
        self.reason = reason
        self.raw = raw
    }

    var description: String { "\(line) \(reason.rawValue) \(raw.debugDescription)" }
}

/// Everything extracting one file produced, merged over its pieces in order.
struct Extraction: Equatable {
    var rows: [[String?]] = []
    var lines: [Int] = []
    var rejected: [Rejected] = []
    var counts = RowCounts()
    var pieces = 0

    /// The same result without the piece count, to compare runs with different piece sizes.
    var content: Extraction { var c = self; c.pieces = 0; return c }
}

/// Plans the bytes into pieces of `pieceSize` and extracts every piece, as the runtime does.
func extract(_ extractor: CSVExtractor, _ bytes: [UInt8], pieceSize: Int = 1 << 20,
             sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Extraction {
    bytes.withUnsafeBytes { raw in
        extract(extractor, FileBytes(raw), pieceSize: pieceSize, sourceLocation: sourceLocation)
    }
}

func extract(_ extractor: CSVExtractor, _ bytes: FileBytes, pieceSize: Int,
             sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Extraction {
    let file = InputFile(index: 0, source: "s", path: "memory.csv", size: bytes.count)
    let pieces = extractor.plan(file, bytes: bytes, targetPieceSize: pieceSize)
    var result = Extraction()
    result.pieces = pieces.count
    var previousEnd: Int?
    var chain = PieceChain()
    for (i, piece) in pieces.enumerated() {
        #expect(piece.ordinal == i, sourceLocation: sourceLocation)
        if let previousEnd { #expect(piece.startOffset == previousEnd, "pieces must be contiguous", sourceLocation: sourceLocation) }
        previousEnd = piece.endOffset
        // As the runtime does: a record carried over by the previous piece restarts this one.
        let output = extractor.extract(chain.adjusted(piece) ?? piece, bytes: bytes)
        chain.record(piece, output)
        #expect(output.batch.columns.count == extractor.fields.count, sourceLocation: sourceLocation)
        for row in 0..<output.batch.count {
            result.rows.append(output.batch.columns.map { $0.string(row) })
        }
        result.lines += output.batch.lines
        result.rejected += output.quarantined.map {
            Rejected($0.line, $0.reason, String(decoding: $0.raw, as: UTF8.self))
        }
        #expect(output.counts.violations.isEmpty, "piece \(i): \(output.counts.violations)", sourceLocation: sourceLocation)
        #expect(output.counts.loaded == output.batch.count, sourceLocation: sourceLocation)
        #expect(output.counts.quarantined == output.quarantined.count, sourceLocation: sourceLocation)
        result.counts += output.counts
    }
    if let previousEnd { #expect(previousEnd == bytes.count, "pieces must cover the file", sourceLocation: sourceLocation) }
    #expect(result.counts.violations.isEmpty, "\(result.counts.violations)", sourceLocation: sourceLocation)
    return result
}

func field(_ name: String, _ columns: String...) -> CSVExtractor.Field {
    CSVExtractor.Field(name: name, columns: columns)
}

/// Builds expected `RowCounts` by hand.
func counts(physical: Int, header: Int = 1, blank: Int = 0, recordLines: Int, records: Int, loaded: Int,
            quarantined: Int = 0, filtered: Int = 0) -> RowCounts {
    var c = RowCounts()
    c.physicalLines = physical
    c.headerLines = header
    c.blankLines = blank
    c.recordLines = recordLines
    c.records = records
    c.loaded = loaded
    c.quarantined = quarantined
    c.filtered = filtered
    return c
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The bytes of `text` with every LF turned into CRLF.
func crlf(_ text: String) -> [UInt8] {
    Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
}

/// Expects two sequences to be equal; on failure reports the lengths and the first difference
/// only (the whole arrays of a generated file are too long to read).
func expectSameSequence<T: Equatable>(_ actual: [T], _ expected: [T], _ what: String,
                                      sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    guard actual != expected else { return }
    var i = 0
    while i < actual.count, i < expected.count, actual[i] == expected[i] { i += 1 }
    let got = i < actual.count ? String(describing: actual[i]) : "(end)"
    let want = i < expected.count ? String(describing: expected[i]) : "(end)"
    Issue.record("\(what): \(actual.count) items, expected \(expected.count); first difference at index \(i): \(got), expected \(want)",
                 sourceLocation: sourceLocation)
}
