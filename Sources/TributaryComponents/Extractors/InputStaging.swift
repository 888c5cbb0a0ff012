import CZlib
import Foundation
import TributaryCore
#if canImport(Glibc)
import Glibc
#endif

/// Bounds on one input, applied while it is staged (see `InputStager`), the same way for every
/// format and for plain and gzip files alike.
public struct InputLimits: Sendable, Equatable {
    /// The longest physical line, in bytes without its line feed. A longer line is left out of the
    /// staged bytes (an empty line stands in its place, so line numbers stay those of the file)
    /// and quarantined as `record_too_long` with "too long (N bytes)".
    public var maxLineBytes: Int
    /// The most bytes a compressed input may inflate to; past it the run fails with an input error.
    public var maxInflatedBytes: Int
    /// The most empty lines in a row that are staged; the rest of a longer run is only counted
    /// (as blank lines, at their own line numbers), so a file of line feeds stages to almost nothing.
    public var maxBlankRunLines: Int

    /// 16 MiB: the longest line a real export holds is a few hundred kilobytes (an event with a
    /// large `properties` object); a longer one is almost certainly damage or an attack.
    public static let defaultMaxLineBytes = 16 << 20
    /// 16 GiB of inflated text per compressed input (staged on disk, never in memory).
    public static let defaultMaxInflatedBytes = 16 << 30
    public static let defaultMaxBlankRunLines = 1024

    public init(maxLineBytes: Int = InputLimits.defaultMaxLineBytes,
                maxInflatedBytes: Int = InputLimits.defaultMaxInflatedBytes,
                maxBlankRunLines: Int = InputLimits.defaultMaxBlankRunLines) {
        self.maxLineBytes = max(1, maxLineBytes)
        self.maxInflatedBytes = max(0, maxInflatedBytes)
        self.maxBlankRunLines = max(1, maxBlankRunLines)
    }
}

/// A line of an input longer than `InputLimits.maxLineBytes`, left out of the staged bytes.
public struct LongLine: Sendable, Equatable {
    /// The physical line (1-based) in the file.
    public var line: Int
    /// Its line in the staged copy (differs from `line` after a run of blank lines left out).
    public var stagedLine: Int
    /// Where the empty line that stands in for it starts in the staged bytes.
    public var offset: Int
    /// Its length in bytes, without the line feed.
    public var bytes: Int

    public init(line: Int, stagedLine: Int? = nil, offset: Int, bytes: Int) {
        self.line = line
        self.stagedLine = stagedLine ?? line
        self.offset = offset
        self.bytes = bytes
    }

    /// The quarantine detail (a size, never the content).
    public var detail: String { "too long (\(bytes) bytes)" }
}

/// Empty lines left out of the staged copy: the end of a run longer than
/// `InputLimits.maxBlankRunLines`. They come after staged line `afterLine`, whose line feed is at
/// `offset`.
public struct BlankRun: Sendable, Equatable {
    public var afterLine: Int
    public var offset: Int
    public var dropped: Int

    public init(afterLine: Int, offset: Int, dropped: Int) {
        self.afterLine = afterLine
        self.offset = offset
        self.dropped = dropped
    }
}

/// How many bytes of staged copies a run may keep in memory instead of in files: a small input
/// (its staged copy fits in the stager's 1 MiB buffer) costs no file while the budget lasts.
public final class StagingBudget: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var left: Int

    public init(bytes: Int) { left = bytes }

    func reserve(_ bytes: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard bytes <= left else { return false }
        left -= bytes
        return true
    }

    func release(_ bytes: Int) {
        lock.lock()
        left += bytes
        lock.unlock()
    }
}

/// Why staging an input failed. The message names the file and the limit, never its content.
public struct StagingError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case tooLarge, write }
    public var kind: Kind
    public var message: String
    public var description: String { message }
}

/// An input as the extractors read it: a copy that the run owns, written by `InputStager`,
/// mapped read-only. Nobody else can truncate or change it while the run reads it, so reading it
/// never faults; the original input is only ever read with `read(2)`.
public final class StagedInput: @unchecked Sendable {
    /// The staged bytes (not after `releasePages()`).
    public var bytes: FileBytes {
        precondition(!released, "a staged input was read after its pages were released")
        return staged
    }
    private let staged: FileBytes
    private var released = false
    /// The lines over the limit, in line order.
    public let longLines: [LongLine]
    /// The runs of blank lines left out, in line order.
    public let blankRuns: [BlankRun]
    /// For each blank run, the lines dropped up to and including it.
    private let droppedBefore: [Int]
    /// The input was a gzip file, inflated while it was staged.
    public let inflated: Bool
    /// `InputLimits.maxBlankRunLines` when it was staged.
    public let maxBlankRunLines: Int
    /// Whether the copy is in memory (a small input, within the run's `StagingBudget`).
    public var inMemory: Bool { budget != nil }
    private let address: UnsafeMutableRawPointer?
    private let length: Int
    private let budget: StagingBudget?

    /// `fd` < 0: `memory` holds the copy (allocated, `length` bytes; freed here, and its bytes
    /// given back to `budget`).
    init(fd: Int32, memory: UnsafeMutableRawPointer? = nil, budget: StagingBudget? = nil, length: Int,
         longLines: [LongLine], blankRuns: [BlankRun], inflated: Bool,
         maxBlankRunLines: Int, brokenOff: String?) throws(StagingError) {
        self.budget = fd < 0 ? budget : nil
        self.maxBlankRunLines = maxBlankRunLines
        self.longLines = longLines
        self.blankRuns = blankRuns
        var total = 0
        droppedBefore = blankRuns.map { total += $0.dropped; return total }
        self.inflated = inflated
        self.length = length
        if fd < 0 || length == 0 {
            address = fd < 0 ? memory : nil
            var empty = FileBytes(UnsafeRawBufferPointer(start: address, count: address == nil ? 0 : length))
            empty.brokenOff = brokenOff
            staged = empty
            return
        }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw StagingError(kind: .write, message: "cannot map the staged copy: \(String(cString: strerror(errno)))")
        }
        _ = madvise(mapped, length, MADV_SEQUENTIAL)
        address = mapped
        var mappedBytes = FileBytes(UnsafeRawBufferPointer(start: mapped, count: length))
        mappedBytes.brokenOff = brokenOff
        staged = mappedBytes
    }

    /// Drops a mapped copy's pages from this process; they stay readable (read again from the
    /// file, most often still in the page cache). Planning pieces reads every input once: without
    /// this, a run of 10M records held all 4.4 GB of its staged inputs before loading any. An
    /// in-memory copy is left as it is.
    public func evictPages() {
        guard budget == nil, let address, length > 0 else { return }
        _ = madvise(address, length, MADV_DONTNEED)
    }

    /// Gives the copy's memory back once the run has read the input to its end (its last piece
    /// is loaded), so that a run holds the inputs it is reading, not all it has read (10M records
    /// in 150 files: several GB of staged copies): a mapped copy's pages leave this process (the
    /// file keeps them, as `evictPages`), an in-memory copy's whole pages go back to the system
    /// and its `bytes` may not be read afterwards.
    public func releasePages() {
        guard !released, let address, length > 0 else { return }
        if budget == nil {
            evictPages()
            return
        }
        released = true
        // Only whole pages inside the allocation (the allocator's bookkeeping lies outside it).
        let page = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))
        let start = (Int(bitPattern: address) + page - 1) / page * page
        let end = (Int(bitPattern: address) + length) / page * page
        if end > start, let first = UnsafeMutableRawPointer(bitPattern: start) {
            _ = madvise(first, end - start, MADV_DONTNEED)
        }
    }

    deinit {
        if let budget {
            address?.deallocate()
            budget.release(length)
        } else if let address {
            munmap(address, length)
        }
    }

    /// The blank runs whose last staged line feed lies in `range` of the staged bytes.
    public func blankRuns(in range: Range<Int>) -> ArraySlice<BlankRun> {
        guard !blankRuns.isEmpty else { return [] }
        let lower = blankRuns.partitioningIndex { $0.offset >= range.lowerBound }
        let upper = blankRuns.partitioningIndex { $0.offset >= range.upperBound }
        return blankRuns[lower..<max(lower, upper)]
    }

    /// The file's line number of staged line `line`.
    public func fileLine(_ line: Int) -> Int {
        let runs = blankRuns.partitioningIndex { $0.afterLine >= line }
        return runs == 0 ? line : line + droppedBefore[runs - 1]
    }

    /// The long lines whose stand-in lies in `range` of the staged bytes.
    public func longLines(in range: Range<Int>) -> ArraySlice<LongLine> {
        guard !longLines.isEmpty else { return [] }
        let lower = longLines.partitioningIndex { $0.offset >= range.lowerBound }
        let upper = longLines.partitioningIndex { $0.offset >= range.upperBound }
        return longLines[lower..<max(lower, upper)]
    }
}

extension Array {
    /// The first index whose element satisfies `belongs` (elements are partitioned: false, then true).
    func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}

/// Writes one input, fed in chunks of any size, into a file the run owns: inflating it as a
/// stream when it is gzip (recognized by its magic bytes; concatenated members are read in turn),
/// and leaving out the lines longer than the limit. Memory stays bounded by a few fixed buffers
/// and one line (at most the limit), whatever the input's size or inflated size.
///
/// The staged file is created unlinked (`O_TMPFILE`) in `directory` (the output folder), so it
/// disappears with the process, even on `kill -9`; where the file system lacks `O_TMPFILE`, it
/// gets the run's temporary prefix and is unlinked at once.
public final class InputStager {
    public let name: String
    let limits: InputLimits
    let inflateGzip: Bool
    /// The input's size, for messages (compressed byte N of M).
    let expectedSize: Int
    private let directory: String
    private let temporaryPrefix: String
    private let budget: StagingBudget?
    /// The staged file, created at the first flush (a small input never needs one, see `budget`).
    private var fd: Int32 = -1

    // The line filter.
    private let out: UnsafeMutablePointer<UInt8>
    private let outCapacity = 1 << 20
    private var outCount = 0
    /// Bytes of the staged file written with `pwrite` (the staged position is this + `outCount`).
    private var flushed = 0
    private var lineStart = 0
    private var lineLength = 0
    private var line = 1
    private var stagedLine = 1
    private var skipping = false
    private var blankRun = 0
    private(set) public var longLines: [LongLine] = []
    private(set) public var blankRuns: [BlankRun] = []

    // gzip.
    private enum Mode { case undecided, plain, gzip }
    private var mode = Mode.undecided
    private var magic: [UInt8] = []
    private var stream = z_stream()
    private var streamOpen = false
    private var memberEnded = false
    private var problem: String?
    private var consumed = 0
    private var inflatedBytes = 0
    private let inflateBuffer: UnsafeMutablePointer<UInt8>
    private let inflateCapacity = 1 << 18

    /// `directory`: where the staged copy is created; `name`: the input, for messages.
    public init(directory: String, name: String, inflateGzip: Bool, limits: InputLimits, expectedSize: Int = 0,
                temporaryPrefix: String = ".tributary-stage-", budget: StagingBudget? = nil) throws(StagingError) {
        self.name = name
        self.limits = limits
        self.inflateGzip = inflateGzip
        self.expectedSize = expectedSize
        self.directory = directory
        self.temporaryPrefix = temporaryPrefix
        self.budget = budget
        out = .allocate(capacity: outCapacity)
        inflateBuffer = .allocate(capacity: inflateCapacity)
        if budget == nil { try createFile() }
    }

    private func createFile() throws(StagingError) {
        #if os(Linux)
        let tmpfile: Int32 = 0o20000000 | O_DIRECTORY  // O_TMPFILE (a macro Swift does not import)
        var descriptor = open(directory, tmpfile | O_RDWR | O_CLOEXEC, 0o600)
        #else
        var descriptor: Int32 = -1
        #endif
        if descriptor < 0 {
            var template = Array((directory + "/" + temporaryPrefix + "stage-XXXXXX").utf8CString)
            descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if descriptor >= 0 {
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
                template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            }
        }
        guard descriptor >= 0 else {
            throw StagingError(kind: .write, message: "cannot create a staging file for input \(name) in \(directory): \(String(cString: strerror(errno)))")
        }
        fd = descriptor
    }

    deinit {
        if streamOpen { inflateEnd(&stream) }
        out.deallocate()
        inflateBuffer.deallocate()
        if fd >= 0 { close(fd) }
    }

    /// Feeds the next bytes of the input.
    public func feed(_ chunk: UnsafeRawBufferPointer) throws(StagingError) {
        guard chunk.count > 0, let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        switch mode {
        case .plain: try filter(base, chunk.count)
        case .gzip: try inflate(base, chunk.count)
        case .undecided:
            if magic.isEmpty, chunk.count >= 2 {
                try decide(first: base[0], second: base[1])
                try feed(chunk)
                return
            }
            magic += UnsafeBufferPointer(start: base, count: chunk.count)
            if magic.count >= 2 { try flushMagic() }
        }
    }

    private func decide(first: UInt8, second: UInt8) throws(StagingError) {
        if inflateGzip, first == 0x1F, second == 0x8B {
            mode = .gzip
            guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw StagingError(kind: .write, message: "zlib cannot be initialized to read input \(name)")
            }
            streamOpen = true
        } else {
            mode = .plain
        }
    }

    private func flushMagic() throws(StagingError) {
        let pending = magic
        magic = []
        try decide(first: pending[0], second: pending[1])
        try feed(bytes: pending)
    }

    private func feed(bytes: [UInt8]) throws(StagingError) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        try feed(UnsafeRawBufferPointer(copy))
    }

    /// Finishes the staged copy and maps it.
    public func finish() throws(StagingError) -> StagedInput {
        if mode == .undecided {
            if magic.isEmpty {
                mode = .plain
            } else {  // a one-byte file
                mode = .plain
                let pending = magic
                magic = []
                try feed(bytes: pending)
            }
        }
        if mode == .gzip, problem == nil, !memberEnded {
            problem = "gzip stream ends early: the file is truncated after compressed byte \(consumed) of \(max(expectedSize, consumed)) (\(inflatedBytes) bytes inflated)"
        }
        if skipping {  // the last line, without a line feed, is over the limit
            longLines.append(LongLine(line: line, stagedLine: stagedLine, offset: lineStart, bytes: lineLength))
            skipping = false
            try append(0x0A)
        }
        if fd < 0, let budget, budget.reserve(outCount) {  // never flushed: the whole copy is in `out`
            let memory = UnsafeMutableRawPointer.allocate(byteCount: max(1, outCount), alignment: 16)
            memory.copyMemory(from: out, byteCount: outCount)
            return try StagedInput(fd: -1, memory: memory, budget: budget, length: outCount, longLines: longLines,
                                   blankRuns: blankRuns, inflated: mode == .gzip,
                                   maxBlankRunLines: limits.maxBlankRunLines, brokenOff: problem)
        }
        try flush()
        if fd < 0 { try createFile() }  // an empty input, over the budget
        let size = flushed
        guard ftruncate(fd, off_t(size)) == 0 else {
            throw StagingError(kind: .write, message: "cannot write the staged copy of input \(name): \(String(cString: strerror(errno)))")
        }
        return try StagedInput(fd: fd, length: size, longLines: longLines, blankRuns: blankRuns, inflated: mode == .gzip,
                               maxBlankRunLines: limits.maxBlankRunLines, brokenOff: problem)
    }

    // MARK: - gzip

    private func inflate(_ base: UnsafePointer<UInt8>, _ count: Int) throws(StagingError) {
        guard problem == nil else { return }  // after damage the rest is not read
        if memberEnded {  // more bytes after a member: another member follows (concatenated files)
            inflateReset(&stream)
            memberEnded = false
        }
        stream.next_in = UnsafeMutablePointer(mutating: base)
        stream.avail_in = UInt32(count)  // chunks are far below 4 GiB
        let fedBefore = consumed
        while true {
            stream.next_out = inflateBuffer
            stream.avail_out = UInt32(inflateCapacity)
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            let produced = inflateCapacity - Int(stream.avail_out)
            consumed = fedBefore + count - Int(stream.avail_in)
            if produced > 0 {
                inflatedBytes += produced
                if inflatedBytes > limits.maxInflatedBytes {
                    throw StagingError(kind: .tooLarge, message: "input \(name) inflates to more than \(limits.maxInflatedBytes) bytes, the limit for a compressed input (\(inflatedBytes) bytes inflated from \(consumed) compressed bytes)")
                }
                try filter(inflateBuffer, produced)
            }
            switch status {
            case Z_OK:
                if stream.avail_in == 0 && stream.avail_out > 0 { return }
            case Z_STREAM_END:
                if stream.avail_in == 0 { memberEnded = true; return }
                inflateReset(&stream)
            case Z_BUF_ERROR:
                if stream.avail_in == 0 { return }  // needs the next chunk
            default:
                problem = "gzip stream is corrupt: zlib stops at compressed byte \(consumed) of \(max(expectedSize, consumed)) (\(inflatedBytes) bytes inflated)"
                return
            }
        }
    }

    // MARK: - Lines

    /// Copies bytes to the staged file, leaving out every line longer than the limit.
    private func filter(_ base: UnsafePointer<UInt8>, _ count: Int) throws(StagingError) {
        var i = 0
        while i < count {
            if !skipping, lineLength == 0, base[i] == 0x0A {
                // Empty lines, in bulk: the first of a run are staged, the rest only counted.
                var j = i + 1
                while j < count, base[j] == 0x0A { j += 1 }
                let n = j - i
                let kept = min(n, max(0, limits.maxBlankRunLines - blankRun))
                for _ in 0..<kept { try append(0x0A) }
                stagedLine += kept
                if n > kept {
                    if let last = blankRuns.indices.last, blankRuns[last].afterLine == stagedLine - 1 {
                        blankRuns[last].dropped += n - kept
                    } else {
                        blankRuns.append(BlankRun(afterLine: stagedLine - 1, offset: flushed + outCount - 1, dropped: n - kept))
                    }
                }
                blankRun += n
                line += n
                lineStart = flushed + outCount
                i = j
                continue
            }
            let rest = count - i
            let found = memchr(base + i, 0x0A, rest)
            let end = found.map { base.distance(to: UnsafePointer($0.assumingMemoryBound(to: UInt8.self))) } ?? count
            let segment = end - i
            if !skipping, lineLength + segment > limits.maxLineBytes {
                // Drop what was written of this line; the rest of it is only counted.
                let position = flushed + outCount
                let written = position - lineStart
                if written <= outCount {
                    outCount -= written
                } else {
                    outCount = 0
                    flushed = lineStart
                }
                skipping = true
            }
            if !skipping { try append(base + i, segment) }
            lineLength += segment
            i = end
            if found != nil {
                i += 1
                line += 1
                if skipping {
                    longLines.append(LongLine(line: line - 1, stagedLine: stagedLine, offset: lineStart, bytes: lineLength))
                    skipping = false
                    blankRun = 0
                } else if lineLength == 0 {
                    blankRun += 1
                    if blankRun > limits.maxBlankRunLines {  // counted, not staged
                        if let last = blankRuns.indices.last, blankRuns[last].afterLine == stagedLine - 1 {
                            blankRuns[last].dropped += 1
                        } else {
                            blankRuns.append(BlankRun(afterLine: stagedLine - 1, offset: lineStart - 1, dropped: 1))
                        }
                        continue
                    }
                } else {
                    blankRun = 0
                }
                try append(0x0A)
                stagedLine += 1
                lineLength = 0
                lineStart = flushed + outCount
            }
        }
    }

    private func append(_ byte: UInt8) throws(StagingError) {
        if outCount == outCapacity { try flush() }
        out[outCount] = byte
        outCount += 1
    }

    private func append(_ base: UnsafePointer<UInt8>, _ count: Int) throws(StagingError) {
        var from = 0
        while from < count {
            if outCount == outCapacity { try flush() }
            let n = min(count - from, outCapacity - outCount)
            (out + outCount).update(from: base + from, count: n)
            outCount += n
            from += n
        }
    }

    private func flush() throws(StagingError) {
        if fd < 0, outCount > 0 { try createFile() }
        var done = 0
        while done < outCount {
            let n = pwrite(fd, out + done, outCount - done, off_t(flushed + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw StagingError(kind: .write, message: "cannot write the staged copy of input \(name): \(String(cString: strerror(errno)))")
            }
            done += n
        }
        flushed += outCount
        outCount = 0
    }
}

extension ExtractionOutput {
    /// Accounts the lines over the limit whose stand-ins (empty lines) lie in this output's part of
    /// the file. A stand-in between records was counted as a blank line by the extractor: it
    /// becomes one quarantined record (`record_too_long`, "too long (N bytes)", no raw bytes).
    /// A stand-in inside a record the extractor quarantined leaves that record as it is (its
    /// reason is replaced when the record is the stand-in alone). A stand-in inside a loaded record
    /// (a quoted field spanning lines) is returned as a rejection of that row, for the caller to
    /// quarantine: the record lost a line and must not load.
    public mutating func accountLongLines(_ longLines: ArraySlice<LongLine>, fileIndex: Int) -> [Rejection] {
        var rejections: [Rejection] = []
        for long in longLines {
            if let row = recordRow(spanning: long.stagedLine) {
                if !rejections.contains(where: { $0.row == row }) {
                    rejections.append(Rejection(row: row, reason: .recordTooLong, detail: "line \(long.line) is \(long.detail)"))
                }
                continue
            }
            if let index = quarantined.lastIndex(where: { $0.fileIndex == fileIndex && $0.line <= long.stagedLine }),
               long.stagedLine < quarantined[index].line + Self.lineSpan(quarantined[index].raw[...]) {
                if quarantined[index].line == long.stagedLine, quarantined[index].raw.allSatisfy({ $0 == 0x0A || $0 == 0x0D }) {
                    quarantined[index].reason = .recordTooLong
                    quarantined[index].detail = long.detail
                }
                continue
            }
            counts.blankLines -= 1
            counts.recordLines += 1
            counts.records += 1
            counts.quarantined += 1
            quarantined.append(QuarantinedRecord(fileIndex: fileIndex, line: long.stagedLine, reason: .recordTooLong,
                                                 detail: long.detail, raw: []))
        }
        return rejections.sorted { $0.row < $1.row }
    }

    /// Accounts the empty lines left out of the staged copy after `runs` (in this output's part of
    /// the file) as blank lines. A loaded record that spans such a run (a quoted field) lost those
    /// lines: it is returned as a rejection, for the caller to quarantine.
    public mutating func accountBlankRuns(_ runs: ArraySlice<BlankRun>, maxRun: Int) -> [Rejection] {
        var rejections: [Rejection] = []
        for run in runs {
            counts.physicalLines += run.dropped
            counts.blankLines += run.dropped
            // The dropped lines sat between staged lines afterLine and afterLine + 1.
            if let row = recordRow(spanning: run.afterLine), recordRow(spanning: run.afterLine + 1) == row {
                counts.blankLines -= run.dropped
                counts.recordLines += run.dropped
                rejections.append(Rejection(row: row, reason: .recordTooLong,
                                            detail: "holds more than \(maxRun) empty lines in a row"))
            }
        }
        return rejections
    }

    /// Renumbers every line of the output from the staged copy's lines to the file's.
    public mutating func renumberLines(_ fileLine: (Int) -> Int) {
        batch.lines = batch.lines.map(fileLine)
        for i in quarantined.indices { quarantined[i].line = fileLine(quarantined[i].line) }
        for i in checks.indices {
            checks[i].line = fileLine(checks[i].line)
            switch checks[i].tally {
            case .count(let lines): checks[i].tally = .count(lines: lines.map(fileLine))
            case .total(let lines, let amounts): checks[i].tally = .total(lines: lines.map(fileLine), amounts: amounts)
            case nil: break
            }
        }
    }

    /// The loaded row whose record spans staged line `line`, if any.
    private func recordRow(spanning line: Int) -> Int? {
        guard let row = batch.lines.lastIndex(where: { $0 <= line }),
              line < batch.lines[row] + lineSpan(rawRange: batch.rawRanges.indices.contains(row) ? batch.rawRanges[row] : nil)
        else { return nil }
        return row
    }

    /// The physical lines a record's raw bytes span.
    private func lineSpan(rawRange: Range<Int>?) -> Int {
        guard let rawRange, let base = raw.base.baseAddress, rawRange.upperBound <= raw.count else { return 1 }
        let bytes = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: raw.count)
        return Self.lineSpan(bytes[rawRange])
    }

    static func lineSpan<C: BidirectionalCollection>(_ bytes: C) -> Int where C.Element == UInt8 {
        var content = bytes[...]
        while let last = content.last, last == 0x0A || last == 0x0D { content = content.dropLast() }
        return 1 + content.count { $0 == 0x0A }
    }
}
