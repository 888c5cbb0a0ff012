import CZlib
import Foundation
import Testing
@testable import TributaryComponents
import TributaryCore
#if canImport(Glibc)
import Glibc
#endif

/// Hostile inputs (issue 14, item 6): gzip is inflated as a stream, a line over the limit is
/// quarantined with its size, and memory does not grow with the inflated size.
@Suite("Input staging", .serialized)
struct InputStagingTests {
    typealias J = JSONLinesExtractorTests
    typealias Rejected = JSONLinesExtractorTests.Rejected

    static let extractor = JSONLinesExtractor(fields: J.eventFields)

    /// gzip of `parts` (text, or a byte repeated), deflated from a fixed buffer: the test never
    /// holds the inflated content.
    enum Part {
        case text(String)
        case repeated(UInt8, Int)
    }

    static func gzip(_ parts: [Part]) -> [UInt8] {
        var stream = z_stream()
        precondition(deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var output: [UInt8] = []
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
        defer { out.deallocate() }
        func pump(_ input: UnsafeMutableBufferPointer<UInt8>, flush: Int32) {
            stream.next_in = input.baseAddress
            stream.avail_in = UInt32(input.count)
            repeat {
                stream.next_out = out
                stream.avail_out = 1 << 16
                let status = deflate(&stream, flush)
                precondition(status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR)
                output += UnsafeBufferPointer(start: out, count: (1 << 16) - Int(stream.avail_out))
            } while stream.avail_out == 0 || (flush == Z_FINISH && stream.avail_in > 0)
        }
        for part in parts {
            switch part {
            case .text(let text):
                var bytes = Array(text.utf8)
                bytes.withUnsafeMutableBufferPointer { pump($0, flush: Z_NO_FLUSH) }
            case .repeated(let byte, var count):
                var block = [UInt8](repeating: byte, count: 1 << 20)
                while count > 0 {
                    let n = min(count, block.count)
                    block.withUnsafeMutableBufferPointer { pump(UnsafeMutableBufferPointer(rebasing: $0[0..<n]), flush: Z_NO_FLUSH) }
                    count -= n
                }
            }
        }
        var empty: [UInt8] = [0]
        empty.withUnsafeMutableBufferPointer { pump(UnsafeMutableBufferPointer(rebasing: $0[0..<0]), flush: Z_FINISH) }
        return output
    }

    /// The process's peak resident set size so far, in bytes.
    static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss) * 1024
    }

    static let event = #"{"type":"track","userId":"u1"}"#

    // MARK: - The line limit

    /// An event padded to exactly `length` bytes.
    static func event(length: Int) -> String {
        let prefix = #"{"type":"track","userId":""#
        let suffix = #""}"#
        return prefix + String(repeating: "x", count: length - prefix.utf8.count - suffix.utf8.count) + suffix
    }

    @Test(arguments: [false, true], [1, 7, 4096])
    func aLineJustUnderTheLimitLoadsAndOneJustOverIsQuarantined(compressed: Bool, feedSize: Int) {
        let limits = InputLimits(maxLineBytes: 100)
        let under = Self.event(length: 100), over = Self.event(length: 101)
        let text = "\(under)\n\(over)\n\(Self.event)\n\(over)"  // the last line has no line feed
        let bytes = compressed ? J.gzip(text) : Array(text.utf8)
        for pieceSize in J.pieceSizes {
            let result = J.run(Self.extractor, bytes, pieceSize: pieceSize, feedSize: feedSize, limits: limits)
            #expect(result.rows.map { $0[1]?.count } == [72, 2], "pieceSize \(pieceSize)")
            #expect(result.lines == [1, 3])
            #expect(result.rejected == [Rejected(2, .recordTooLong, ""), Rejected(4, .recordTooLong, "")])
            #expect(result.details == ["too long (101 bytes)", "too long (101 bytes)"])
            #expect(result.counts == J.counts(physical: 4, records: 4, loaded: 2, quarantined: 2))
        }
    }

    @Test func theLimitAppliesToPlainAndGzipAlike() {
        let limits = InputLimits(maxLineBytes: 64)
        let text = "\(Self.event)\n\n\(String(repeating: "y", count: 5000))\n\(Self.event)\n"
        let plain = J.run(Self.extractor, Array(text.utf8), pieceSize: 16, limits: limits)
        let gzip = J.run(Self.extractor, J.gzip(text), pieceSize: 16, limits: limits)
        #expect(plain == gzip)
        #expect(plain.rejected == [Rejected(3, .recordTooLong, "")])
        #expect(plain.details == ["too long (5000 bytes)"])
        #expect(plain.counts == J.counts(physical: 4, blank: 1, records: 3, loaded: 2, quarantined: 1))
    }

    // MARK: - Runs of blank lines

    @Test(arguments: [false, true], [1, 5, 4096])
    func longRunsOfBlankLinesAreCountedAtTheirLineNumbers(compressed: Bool, feedSize: Int) {
        // Runs of 2, 3, 4 and 9 empty lines (3 are staged), a CRLF blank line, a broken line after them.
        let text = "\(Self.event)\n\n\n\(Self.event)\n\n\n\n\(Self.event)\n\n\n\n\n{\"type\":\n\r\n"
            + String(repeating: "\n", count: 9) + "\(Self.event)\n\n\n\n\n"
        let bytes = compressed ? J.gzip(text) : Array(text.utf8)
        let collapsed = InputLimits(maxBlankRunLines: 3)
        let expected = J.run(Self.extractor, bytes, pieceSize: 1 << 20, limits: InputLimits(maxBlankRunLines: 1000))
        #expect(expected.lines == [1, 4, 8, 24])
        #expect(expected.rejected == [Rejected(13, .truncatedJSON, #"{"type":"#)])
        #expect(expected.counts == J.counts(physical: 28, blank: 23, records: 5, loaded: 4, quarantined: 1))
        for pieceSize in J.pieceSizes {
            let result = J.run(Self.extractor, bytes, pieceSize: pieceSize, feedSize: feedSize, limits: collapsed)
            #expect(result.content == expected.content, "pieceSize \(pieceSize)")
        }
        let staged = try? J.stage(bytes, feedSize: feedSize, limits: collapsed)
        #expect(staged?.blankRuns.map(\.dropped) == [1, 6, 1])
    }

    // MARK: - Bombs

    @Test func gzipBombIsQuarantinedAsTooLongWithBoundedMemory() throws {
        // 200 MB of zeros on one line (200 kB compressed), then one event.
        let size = 200 << 20
        let bomb = Self.gzip([.repeated(0, size), .text("\n\(Self.event)\n")])
        #expect(bomb.count < 1 << 20)
        let before = Self.peakRSS()
        let staged = try J.stage(bomb, feedSize: 1 << 16)
        let growth = Self.peakRSS() - before
        // Inflated through fixed buffers: the peak grows by far less than the inflated size.
        #expect(growth < 48 << 20, "staging 200 MB of inflated text grew the peak RSS by \(growth >> 20) MB")
        #expect(staged.inflated)
        #expect(staged.longLines == [LongLine(line: 1, offset: 0, bytes: size)])
        #expect(staged.bytes.count == 1 + Self.event.utf8.count + 1, "the long line must not be staged")

        let result = J.run(Self.extractor, bomb)
        #expect(result.rows == [["track", "u1", nil]])
        #expect(result.lines == [2])
        #expect(result.rejected == [Rejected(1, .recordTooLong, "")])
        #expect(result.details == ["too long (\(size) bytes)"])
        #expect(result.counts == J.counts(physical: 2, records: 2, loaded: 1, quarantined: 1))
    }

    @Test func manyNewlinesGzipAreBlankLinesAndStageInBoundedMemory() throws {
        let lines = 4 << 20
        let bomb = Self.gzip([.text(Self.event + "\n"), .repeated(0x0A, lines), .text(Self.event + "\n")])
        let before = Self.peakRSS()
        let staged = try J.stage(bomb, feedSize: 1 << 16)
        let growth = Self.peakRSS() - before
        #expect(growth < 8 << 20, "staging \(lines >> 20) MB of line feeds grew the peak RSS by \(growth >> 20) MB")
        #expect(staged.longLines.isEmpty)
        // The run is counted, not staged: the copy holds the two events and 1,024 line feeds.
        #expect(staged.bytes.count == 2 * (Self.event.utf8.count + 1) + InputLimits.defaultMaxBlankRunLines)
        #expect(staged.blankRuns == [BlankRun(afterLine: 1 + InputLimits.defaultMaxBlankRunLines,
                                              offset: Self.event.utf8.count + InputLimits.defaultMaxBlankRunLines,
                                              dropped: lines - InputLimits.defaultMaxBlankRunLines)])
        let result = J.run(Self.extractor, bomb, pieceSize: 4 << 20)
        #expect(result.lines == [1, lines + 2])
        #expect(result.counts == J.counts(physical: lines + 2, blank: lines, records: 2, loaded: 2))
    }

    @Test func inflatingPastTheLimitIsAnErrorNamingFileAndLimit() throws {
        let limits = InputLimits(maxInflatedBytes: 10_000)
        let bomb = Self.gzip([.repeated(0x0A, 20_000)])
        #expect(throws: StagingError.self) { try J.stage(bomb, limits: limits) }
        do {
            _ = try J.stage(bomb, limits: limits)
        } catch let error as StagingError {
            #expect(error.kind == .tooLarge)
            #expect(error.message.contains("memory.jsonl") && error.message.contains("10000 bytes"), "\(error)")
        }
        // Under the limit, and a plain input of any size, are read.
        #expect(try J.stage(Self.gzip([.repeated(0x41, 9_000)]), limits: limits).bytes.count == 9_000)
        #expect(try J.stage([UInt8](repeating: 0x41, count: 20_000), limits: limits).bytes.count == 20_000)
    }

    @Test func smallInputsStageInMemoryWithinTheRunsBudget() throws {
        let budget = StagingBudget(bytes: 100)
        func stage(_ text: String) throws -> StagedInput {
            let stager = try InputStager(directory: NSTemporaryDirectory(), name: "m", inflateGzip: true,
                                         limits: InputLimits(), budget: budget)
            try Array(text.utf8).withUnsafeBytes { try stager.feed($0) }
            return try stager.finish()
        }
        let text = String(repeating: "a\n", count: 30)
        var first: StagedInput? = try stage(text)
        #expect(first?.inMemory == true)
        #expect(first.map { Array($0.bytes.base) } == Array(text.utf8))
        let second = try stage(text)  // 60 bytes, 40 left: a file
        #expect(!second.inMemory)
        #expect(Array(second.bytes.base) == Array(text.utf8))
        first = nil  // gives its 60 bytes back
        #expect(try stage(text).inMemory)
        // Over the stager's buffer (1 MiB): a file, whatever the budget.
        #expect(try !stage(String(repeating: "b\n", count: 600_000)).inMemory)
    }

    @Test func gzipIsInflatedOnlyForFormatsThatReadIt() throws {
        let compressed = J.gzip(Self.event + "\n")
        let stager = try InputStager(directory: NSTemporaryDirectory(), name: "x.csv", inflateGzip: false, limits: InputLimits())
        try compressed.withUnsafeBytes { try stager.feed($0) }
        let staged = try stager.finish()
        #expect(!staged.inflated)
        #expect(Array(staged.bytes.base) == compressed)
    }
}
