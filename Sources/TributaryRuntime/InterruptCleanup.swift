import Foundation

/// Files to delete if the process is interrupted (SIGINT / SIGTERM) before it publishes, and the
/// publish itself held as one step against signals. The published output is never among the
/// files, so an interrupted run leaves it as it was; a signal that arrives while the output is
/// being renamed into place waits for the renames, so that its message says which output is in
/// place.
public enum InterruptCleanup {
    private static let lock = NSLock()
    /// Held while a run renames its database and exports into place.
    private static let publishing = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var publishedRun: Int?

    static func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    static func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Runs `body` (the renames that publish run `runID`) as one step for the signal handler:
    /// an interruption meanwhile waits for it. Once the database is in place (`published()` called
    /// by `body`), the run counts as published whatever follows.
    static func publish<T>(runID: Int, _ body: (_ published: () -> Void) throws(RunError) -> T) throws(RunError) -> T {
        publishing.lock()
        defer { publishing.unlock() }
        return try body { lock.withLock { publishedRun = runID } }
    }

    /// Deletes the registered files; called from the CLI's signal handler.
    public static func removeAll() {
        lock.withLock {
            for path in paths { unlink(path) }
            paths.removeAll()
        }
    }

    /// For the CLI's signal handler: waits for a publish in progress to end (and keeps any other
    /// from starting: the process is about to exit), deletes the registered temporary files, and
    /// returns the run whose output was published, nil when the previous output is still in place.
    public static func interrupt() -> Int? {
        publishing.lock()
        removeAll()
        return lock.withLock { publishedRun }
    }
}
