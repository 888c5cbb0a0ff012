import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One activation export of a run. Its bytes go to the run's own copy beside the target
/// (`.<file name>.run-<run id>`, named in the `exports` table) before the database is published,
/// so the published database and the copies it names are one unit; right after, the target is
/// made a second name of that copy (a hard link renamed into place). A kill in between leaves the
/// target behind, and the next run repairs it (`ExportRepair`).
public struct ExportFile: Sendable {
    public var name: String
    public var path: String
    public var segment: String?
    public var rows = 0
    /// SHA-256 of the file's bytes, recorded in the `exports` table so a consumer can check the
    /// file it picked up is the one this run wrote.
    public var sha256 = ""
    /// Values that could not be normalized for hashing (not an e-mail address, not E.164): the
    /// cell is left empty and counted here.
    public var unhashableEmails = 0
    public var unhashablePhones = 0
    var temporaryPath = ""
    /// The run's own copy, once written (see the type's notes).
    var stampedPath = ""
}

extension ExportFile {
    /// The SHA-256 of the normalized value; empty for an empty value, and for one that does not
    /// normalize (counted in `unhashable`).
    static func hashedCell(_ value: String, _ normalize: (String) -> String?, unhashable: inout Int) -> String {
        guard !value.isEmpty else { return "" }
        guard let normalized = normalize(value) else {
            unhashable += 1
            return ""
        }
        return ActivationHash.sha256Hex(normalized)
    }

    /// The run's copies belong to the published database: no interruption may delete them now.
    static func keep(_ files: [ExportFile]) {
        for file in files where !file.stampedPath.isEmpty { InterruptCleanup.unregister(file.stampedPath) }
    }

    /// Makes each target a name of the run's copy (after the database is published), then removes
    /// the copies of earlier runs.
    static func publish(_ files: [ExportFile], runID: Int) throws(RunError) {
        for file in files {
            try ExportRepair.link(file.stampedPath, to: file.path)
            ExportRepair.removeStale(of: file.path, keeping: runID)
        }
    }

    /// Removes the files of a run that does not publish.
    static func discard(_ files: [ExportFile]) {
        for file in files {
            for path in [file.temporaryPath, file.stampedPath] where !path.isEmpty {
                unlink(path)
                InterruptCleanup.unregister(path)
            }
        }
    }
}
