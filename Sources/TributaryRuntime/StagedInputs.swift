import Crypto
import Foundation
import TributaryComponents
import TributaryCore
#if canImport(Glibc)
import Glibc
#endif

/// An input as the run reads it: its staged copy and the SHA-256 of the file's bytes as read.
struct StagedFile: Sendable {
    let input: StagedInput
    let sha256: String
}

/// Reads each input once, from start to end with `read(2)` in fixed chunks, into a copy the run
/// owns (see `InputStager`: gzip inflated as a stream, lines over the limit left out), hashing the
/// bytes on the way. Extraction maps only that copy, never the input itself: an input truncated
/// or rewritten while the run reads it cannot fault the process (SIGBUS), and a change is found
/// by comparing the bytes read and the file's size and modification time with those it had when
/// it was opened.
enum InputReader {
    /// Bytes read per `read(2)`.
    static let chunkBytes = 1 << 20

    /// Called after each chunk of each input is read, with the input's path and the bytes read so
    /// far (tests truncate or rewrite the input here).
    nonisolated(unsafe) static var afterChunk: (@Sendable (String, Int) -> Void)?

    /// Bytes of small inputs' staged copies a run keeps in memory rather than in files.
    static let memoryBudget = 256 << 20

    static func stage(path: String, directory: String, temporaryPrefix: String, inflateGzip: Bool,
                      limits: InputLimits, budget: StagingBudget? = nil) throws(RunError) -> StagedFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RunError.input("cannot open input file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var before = stat()
        guard fstat(fd, &before) == 0 else { throw RunError.input("cannot stat input file \(path)") }
        guard (before.st_mode & S_IFMT) == S_IFREG else { throw RunError.input("input \(path) is not a regular file") }

        let stager: InputStager
        do {
            stager = try InputStager(directory: directory, name: path, inflateGzip: inflateGzip, limits: limits,
                                     expectedSize: Int(before.st_size), temporaryPrefix: temporaryPrefix,
                                     budget: budget)
        } catch {
            throw RunError.output(error.message)
        }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let n = read(fd, buffer.baseAddress, chunkBytes)
            if n < 0 {
                if errno == EINTR { continue }
                throw RunError.input("cannot read input file \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hasher.update(bufferPointer: chunk)
            do {
                try stager.feed(chunk)
            } catch {
                throw error.kind == .tooLarge ? RunError.input(error.message) : RunError.output(error.message)
            }
            total += n
            afterChunk?(path, total)
        }
        var after = stat()
        let statted = fstat(fd, &after) == 0
        if !statted || total != Int(before.st_size) || after.st_size != before.st_size
            || after.st_mtim.tv_sec != before.st_mtim.tv_sec || after.st_mtim.tv_nsec != before.st_mtim.tv_nsec {
            throw RunError.input("input file \(path) changed while it was read (\(before.st_size) bytes when opened, \(total) read, \(statted ? "\(after.st_size)" : "unknown") now); nothing was published\n  hint: run again once the file is complete (write inputs elsewhere and move them into place when done)")
        }
        do {
            return StagedFile(input: try stager.finish(), sha256: hasher.finalize().hexString)
        } catch {
            throw RunError.output(error.message)
        }
    }
}
