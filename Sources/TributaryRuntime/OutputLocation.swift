import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The files around one published output: the database itself, its lock, and the temporary
/// files a run writes before swapping them in.
///
///     out/retail.sqlite                  the published database (mode 0600)
///     out/retail.sqlite.lock             flock(2) lock; holds the running process's pid
///     out/.retail.sqlite.tmp-<pid>-<n>   a run's database until it is renamed into place
struct OutputLocation {
    let target: String
    let directory: String
    let fileName: String

    init(target: String) {
        self.target = target
        let url = URL(fileURLWithPath: target)
        directory = url.deletingLastPathComponent().path
        fileName = url.lastPathComponent
    }

    var lockPath: String { target + ".lock" }
    var temporaryPrefix: String { "." + fileName + ".tmp-" }

    func newTemporaryPath() -> String {
        let nonce = UInt64(Date().timeIntervalSince1970 * 1000)
        return directory + "/" + temporaryPrefix + "\(getpid())-\(nonce)"
    }

    /// Creates the output folder if needed.
    func prepareDirectory() throws(RunError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError.output("cannot create the output folder \(directory): \(error.localizedDescription)")
        }
        guard access(directory, W_OK) == 0 else {
            throw RunError.output("the output folder \(directory) is not writable")
        }
    }

    /// Removes temporary files that killed runs left behind. Call only while holding the lock. A
    /// file whose writer is still alive is kept: if the lock file was deleted during a run, the
    /// next run must not delete the first one's work (see `liveWriters`).
    func removeLeftovers() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed: [String] = []
        for name in names where name.hasPrefix(temporaryPrefix) {
            if let pid = writer(of: name), Self.isAlive(pid) { continue }
            let path = directory + "/" + name
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    /// Other live processes with a temporary file of this output: a run is writing it although
    /// this process holds the lock, so its lock file was deleted (or replaced) during that run.
    func liveWriters() -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix(temporaryPrefix) }.compactMap { writer(of: $0) }
            .filter { $0 != getpid() && Self.isAlive($0) }
    }

    /// The process id in a temporary file's name (`.<name>.tmp-<pid>-<n>`), nil when there is none.
    func writer(of name: String) -> pid_t? {
        guard name.hasPrefix(temporaryPrefix) else { return nil }
        let rest = name.dropFirst(temporaryPrefix.count)
        return rest.split(separator: "-").first.flatMap { pid_t($0) }
    }

    /// Whether process `pid` exists (signal 0 checks without sending anything).
    static func isAlive(_ pid: pid_t) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }

    /// Creates an empty file readable by its owner only (the output holds personal data).
    func createPrivateFile(_ path: String) throws(RunError) {
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw RunError.output("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    /// Makes `temporary` the published output: flush it to disk, rename it over the target
    /// (atomic on POSIX file systems), then flush the folder so the rename survives a crash.
    func publish(_ temporary: String) throws(RunError) {
        try fsyncPath(temporary, directory: false)
        guard rename(temporary, target) == 0 else {
            throw RunError.output("cannot publish \(target): \(String(cString: strerror(errno)))")
        }
        try fsyncPath(directory, directory: true)
    }

    private func fsyncPath(_ path: String, directory: Bool) throws(RunError) {
        let fd = open(path, (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC)
        guard fd >= 0 else { throw RunError.output("cannot open \(path) to flush it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if fsync(fd) != 0 {
            let reason = errno == ENOSPC ? "the disk is full" : String(cString: strerror(errno))
            throw RunError.output("cannot flush \(path): \(reason); the previous output was kept")
        }
    }
}

/// An exclusive lock on an output, held for the whole run. The kernel releases a flock when its
/// process dies, so a killed run never blocks the next one.
final class RunLock {
    private let fd: Int32

    init(path: String) throws(RunError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RunError.output("cannot create the lock file \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = pread(fd, &buffer, 255, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unknown"
            throw RunError.locked("another run holds the lock on this output (\(path): \(holder)); try again when it has finished")
        }
        let note = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName) since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
