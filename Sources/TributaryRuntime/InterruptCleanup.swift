import Foundation

/// Files to delete if the process is interrupted (SIGINT / SIGTERM) before it publishes.
/// The published output is never among them, so an interrupted run leaves it as it was.
public enum InterruptCleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []

    static func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    static func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Deletes the registered files; called from the CLI's signal handler.
    public static func removeAll() {
        lock.withLock {
            for path in paths { unlink(path) }
            paths.removeAll()
        }
    }
}
