import Crypto
import Foundation
import TributaryConfig
import TributaryCore
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

/// How ad and e-mail platforms (Google Customer Match, Meta custom audiences, ...) want
/// identifiers before SHA-256: e-mail trimmed and lower-cased, phone in E.164 (`+` and digits).
public enum ActivationHash {
    /// The normalized e-mail, or nil when the value is not an address.
    public static func normalizedEmail(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard let at = trimmed.firstIndex(of: "@"), at != trimmed.startIndex, trimmed.index(after: at) != trimmed.endIndex,
              !trimmed.contains(where: \.isWhitespace) else { return nil }
        return trimmed
    }

    /// The E.164 form (`+14155550100`), or nil when the value is not a full international number.
    /// Spaces, dashes, dots and parentheses are dropped; a number without `+` is refused, since
    /// its country cannot be known here (the `phone` transform produces E.164 upstream).
    public static func normalizedPhone(_ value: String) -> String? {
        var out: [UInt8] = []
        for (i, byte) in value.trimmingCharacters(in: .whitespacesAndNewlines).utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "+") where i == 0: out.append(byte)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): out.append(byte)
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"): continue
            default: return nil
            }
        }
        guard out.first == UInt8(ascii: "+"), out.count >= 8, out.count <= 16, out[1] != UInt8(ascii: "0") else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    public static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }
}

extension SQLiteWriter {
    /// Writes every export to a temporary file beside its target and records it in `exports`.
    func writeExports(_ audience: AudienceDefinition, runID: Int) throws(RunError) -> [ExportFile] {
        var files: [ExportFile] = []
        do {
            for export in audience.exports {
                files.append(try writeExport(export, hasSegments: !audience.segments.isEmpty, runID: runID))
            }
        } catch {
            Self.discard(files)
            throw error
        }
        return files
    }

    private func writeExport(_ export: ExportDefinition, hasSegments: Bool, runID: Int) throws(RunError) -> ExportFile {
        let location = OutputLocation(target: export.path)
        try location.prepareDirectory()
        _ = location.removeLeftovers()
        var file = ExportFile(name: export.name, path: export.path, segment: export.segment)
        file.temporaryPath = location.newTemporaryPath()
        try location.createPrivateFile(file.temporaryPath)
        InterruptCleanup.register(file.temporaryPath)

        var select = export.columns.map { "p." + Self.quote($0) }
        var header = export.columns
        let emailColumn = export.hashEmail.map { _ in select.count }
        if let email = export.hashEmail { select.append("p." + Self.quote(email)); header.append("email_sha256") }
        let phoneColumn = export.hashPhone.map { _ in select.count }
        if let phone = export.hashPhone { select.append("p." + Self.quote(phone)); header.append("phone_sha256") }
        if let column = export.segmentsColumn {
            select.append(hasSegments
                ? "(SELECT group_concat(segment, ';') FROM (SELECT segment FROM segment_membership m WHERE m.profile_id = p.profile_id ORDER BY segment))"
                : "''")
            header.append(column)
        }
        let filter = export.segment.map { "WHERE p.profile_id IN (SELECT profile_id FROM segment_membership WHERE segment = '\($0)')" } ?? ""
        let rows = try db.prepare("SELECT \(select.joined(separator: ", ")) FROM profiles p \(filter) ORDER BY p.profile_id")

        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        var hasher = SHA256()
        let fd = open(file.temporaryPath, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw RunError.output("cannot write \(file.temporaryPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        func flush() throws(RunError) {
            hasher.update(data: out)
            var offset = 0
            while offset < out.count {
                let n = out.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, out.count - offset) }
                guard n > 0 else {
                    let reason = errno == ENOSPC ? "the disk is full" : String(cString: strerror(errno))
                    throw RunError.output("cannot write the export \(export.path): \(reason); the previous output was kept")
                }
                offset += n
            }
            out.removeAll(keepingCapacity: true)
        }
        CSVOutput.appendRow(header, to: &out)
        var cells = [String](repeating: "", count: select.count)
        while try rows.next() {
            for i in 0..<select.count {
                let value = rows.text(Int32(i)) ?? ""
                if i == emailColumn {
                    cells[i] = Self.hashedCell(value, ActivationHash.normalizedEmail, unhashable: &file.unhashableEmails)
                } else if i == phoneColumn {
                    cells[i] = Self.hashedCell(value, ActivationHash.normalizedPhone, unhashable: &file.unhashablePhones)
                } else {
                    cells[i] = value
                }
            }
            CSVOutput.appendRow(cells, to: &out)
            file.rows += 1
            if out.count >= 1 << 20 { try flush() }
        }
        try flush()
        file.sha256 = hasher.finalize().hexString
        // The run's own copy, flushed, under its final name before the database names it.
        guard fsync(fd) == 0 else {
            throw RunError.output("cannot flush the export \(export.path): \(String(cString: strerror(errno))); the previous output was kept")
        }
        let stamped = ExportRepair.stampedPath(of: export.path, runID: runID)
        unlink(stamped)
        InterruptCleanup.register(stamped)
        guard rename(file.temporaryPath, stamped) == 0 else {
            InterruptCleanup.unregister(stamped)
            throw RunError.output("cannot write the export \(export.path): \(String(cString: strerror(errno))); the previous output was kept")
        }
        InterruptCleanup.unregister(file.temporaryPath)
        file.temporaryPath = ""
        file.stampedPath = stamped

        let record = try db.prepare("INSERT INTO exports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        record.bind(1, runID)
        record.bind(2, file.name)
        record.bind(3, file.path)
        record.bind(4, file.segment)
        record.bind(5, file.rows)
        record.bind(6, file.sha256)
        record.bind(7, file.unhashableEmails)
        record.bind(8, file.unhashablePhones)
        record.bind(9, stamped)
        try record.run()
        return file
    }

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

/// RFC 4180 rows: a field with a comma, quote, CR or LF is quoted, quotes doubled; rows end in LF.
enum CSVOutput {
    static func appendRow(_ fields: [String], to out: inout [UInt8]) {
        for (i, field) in fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            let bytes = field.utf8
            if bytes.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) {
                out.append(UInt8(ascii: "\""))
                for b in bytes {
                    if b == UInt8(ascii: "\"") { out.append(b) }
                    out.append(b)
                }
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: bytes)
            }
        }
        out.append(10)
    }
}
