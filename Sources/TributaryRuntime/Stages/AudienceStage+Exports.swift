import Crypto
import Foundation
import TributaryConfig
import TributaryCore
#if canImport(Glibc)
import Glibc
#endif

extension AudienceStage {
    /// Writes every export to a temporary file beside its target and records it in `exports`.
    func writeExports(on store: StageStore) throws(RunError) -> [ExportFile] {
        var files: [ExportFile] = []
        do {
            for export in audience.exports {
                files.append(try writeExport(export, hasSegments: !audience.segments.isEmpty, store: store))
            }
        } catch {
            ExportFile.discard(files)
            throw error
        }
        return files
    }

    private func writeExport(_ export: ExportDefinition, hasSegments: Bool, store: StageStore) throws(RunError) -> ExportFile {
        let location = OutputLocation(target: export.path)
        try location.prepareDirectory()
        _ = location.removeLeftovers()
        var file = ExportFile(name: export.name, path: export.path, segment: export.segment)
        file.temporaryPath = location.newTemporaryPath()
        try location.createPrivateFile(file.temporaryPath)
        InterruptCleanup.register(file.temporaryPath)

        var select = export.columns.map { "p." + quoteIdentifier($0) }
        var header = export.columns
        let emailColumn = export.hashEmail.map { _ in select.count }
        if let email = export.hashEmail { select.append("p." + quoteIdentifier(email)); header.append("email_sha256") }
        let phoneColumn = export.hashPhone.map { _ in select.count }
        if let phone = export.hashPhone { select.append("p." + quoteIdentifier(phone)); header.append("phone_sha256") }
        if let column = export.segmentsColumn {
            select.append(hasSegments
                ? "(SELECT group_concat(segment, ';') FROM (SELECT segment FROM segment_membership m WHERE m.profile_id = p.profile_id ORDER BY segment))"
                : "''")
            header.append(column)
        }
        let filter = export.segment.map { "WHERE p.profile_id IN (SELECT profile_id FROM segment_membership WHERE segment = '\($0)')" } ?? ""
        let rows = try store.scan("SELECT \(select.joined(separator: ", ")) FROM profiles p \(filter) ORDER BY p.profile_id")

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
                    cells[i] = ExportFile.hashedCell(value, ActivationHash.normalizedEmail, unhashable: &file.unhashableEmails)
                } else if i == phoneColumn {
                    cells[i] = ExportFile.hashedCell(value, ActivationHash.normalizedPhone, unhashable: &file.unhashablePhones)
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

        let record = try store.statement("INSERT INTO exports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
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
}
