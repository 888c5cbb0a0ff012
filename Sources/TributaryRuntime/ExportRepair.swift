import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The run's own copies of its exports and the repair of what a killed run left. A run writes each
/// export to `.<file name>.run-<run id>` beside its target before it publishes the database, which
/// names the copy in `exports.file` with its SHA-256: the database and the copies it names are one
/// unit. The target is then made a second name of the copy. A kill between the two leaves a target
/// with older bytes; the next run, under the lock, finds the published run's copies, points the
/// targets back at them, and removes copies that no published run names.
enum ExportRepair {
    /// `.<file name>.run-<run id>` beside `path`.
    static func stampedPath(of path: String, runID: Int) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".run-\(runID)"
    }

    /// Makes `target` a name of `copy`: a hard link (a copy where the file system has none) under a
    /// temporary name, renamed over the target (atomic), then the folder flushed.
    static func link(_ copy: String, to target: String) throws(RunError) {
        let location = OutputLocation(target: target)
        let temporary = location.newTemporaryPath()
        unlink(temporary)
        InterruptCleanup.register(temporary)
        if Glibc.link(copy, temporary) != 0 {
            // A file system without hard links: a copy of the bytes instead.
            let reason = String(cString: strerror(errno))
            guard (try? FileManager.default.copyItem(atPath: copy, toPath: temporary)) != nil else {
                InterruptCleanup.unregister(temporary)
                throw RunError.output("cannot publish the export \(target): \(reason)")
            }
        }
        defer { InterruptCleanup.unregister(temporary) }
        try location.publish(temporary)
    }

    /// Removes the copies of `path` of other runs than `runID`.
    static func removeStale(of path: String, keeping runID: Int) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let prefix = "." + url.lastPathComponent + ".run-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(prefix) {
            if Int(name.dropFirst(prefix.count)) != runID { unlink(folder + "/" + name) }
        }
    }

    /// Repairs the exports of the published output at `target` (call under the lock): each
    /// export of its last run whose target's bytes are not those it recorded is pointed back at
    /// the run's copy; copies of `paths` that the published run does not name are removed (a run
    /// killed before it published). Returns a line per repaired export.
    static func repair(output target: String, exportPaths paths: [String]) -> [String] {
        guard FileManager.default.fileExists(atPath: target),
              let db = try? SQLiteDatabase(path: target, readOnly: true) else { return [] }
        defer { db.close() }
        var published: Int?
        var repaired: [String] = []
        if let last = try? db.prepare("SELECT max(run_id) FROM runs"), (try? last.next()) == true, !last.isNull(0) {
            published = last.int(0)
        }
        if let run = published,
           let rows = try? db.prepare("SELECT export, path, sha256, file FROM exports WHERE run_id = \(run) AND file IS NOT NULL") {
            while (try? rows.next()) == true {
                // A target that is still a name of its copy (the usual case) is left unread.
                guard let name = rows.text(0), let path = rows.text(1), let sha = rows.text(2), let copy = rows.text(3),
                      FileManager.default.fileExists(atPath: copy), !sameFile(path, copy),
                      sha256(of: path) != sha, sha256(of: copy) == sha else { continue }
                if (try? link(copy, to: path)) != nil {
                    repaired.append("export '\(name)' pointed back at run \(run)'s copy (a run was killed before it finished publishing)")
                }
            }
        }
        for path in paths { removeStale(of: path, keeping: published ?? -1) }
        return repaired
    }

    /// Whether two paths name one file (a hard link of the other).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var x = stat(), y = stat()
        return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    /// The SHA-256 of a file's bytes, nil when it cannot be read.
    static func sha256(of path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return SHA256.hash(data: data).hexString
    }
}
