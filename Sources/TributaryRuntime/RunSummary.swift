import Foundation
import TributaryConfig
import TributaryCore

/// The human summary printed after a run: per source, where every record went.
public enum RunSummary {
    public static func render(_ ledger: RunLedger, definition: PipelineDefinition, seconds: Double) -> String {
        var lines: [String] = []
        let bytes = ledger.inputs.reduce(0) { $0 + $1.file.size }
        lines.append("run \(ledger.runID) of '\(ledger.pipeline)' succeeded in \(String(format: "%.2f", seconds)) s "
                     + "(\(ledger.inputs.count) files, \(formatBytes(bytes)), \(ledger.jobs) jobs)")
        let header = ["source", "files", "records", "loaded", "quarantined", "filtered", "duplicates"]
        var rows: [[String]] = [header]
        for source in definition.sources {
            let c = ledger.counts(source: source.name)
            let files = ledger.inputs.count { $0.file.source == source.name }
            rows.append([source.name, "\(files)", "\(c.records)", "\(c.loaded)", "\(c.quarantined)", "\(c.filtered)",
                         "\(c.duplicates)"])
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max()! }
        for row in rows {
            lines.append("  " + row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  "))
        }
        var reasons: [QuarantineReason: Int] = [:]
        for input in ledger.inputs { reasons.merge(input.quarantinedByReason, uniquingKeysWith: +) }
        if !reasons.isEmpty {
            lines.append("  quarantined by reason: " + reasons.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
        }
        for (source, counters) in ledger.counters.sorted(by: { $0.key < $1.key }) where !counters.values.isEmpty {
            lines.append("  \(source) transforms: " + counters.values.sorted { $0.key < $1.key }
                .map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if let identity = ledger.identity {
            var line = "  identity: \(g(identity.records)) records → \(count(identity.profiles, "profile"))"
            if identity.unidentifiedRecords > 0 {
                line += "; \(count(identity.unidentifiedRecords, "record")) with no identifier, no link and no name joined none (unattributed)"
            }
            if identity.nameOnlyProfiles > 0 {
                line += "; \(count(identity.nameOnlyProfiles, "profile")) known only by a name, not identified (attributes_identify: false; in no segment)"
            }
            if identity.matchedEntities > 0 {
                line += "; the matcher compared \(g(identity.matchedEntities) + (identity.matchedEntities == 1 ? " cluster or lone record" : " clusters and lone records"))"
            }
            if identity.probabilisticLinks > 0 {
                line += "; \(count(identity.probabilisticLinks, "probabilistic link")) (\(g(identity.refusedLinks)) refused by the guards)"
            }
            if !identity.refusals.isEmpty {
                line += "; links refused: " + identity.refusals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    + " (see identity_refusals)"
            }
            lines.append(line)
        }
        if let audience = ledger.audience {
            if !audience.activities.isEmpty {
                let kinds = audience.activities.values.reduce(into: [String: Int]()) { all, byKind in
                    for (kind, n) in byKind { all[kind, default: 0] += n }
                }
                lines.append("  activities: \(audience.activityCount) (" + kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
                             + (audience.activitiesWithoutInstant > 0 ? "; \(audience.activitiesWithoutInstant) without an instant" : ""))
            }
            for segment in audience.segments {
                lines.append("  segment \(segment.name): \(count(segment.members, "profile")) (\(g(segment.entered)) entered, \(g(segment.exited)) exited)")
            }
        }
        for export in ledger.exports {
            lines.append("  export \(export.name): \(count(export.rows, "row")) → \(export.path)")
        }
        if ledger.failedReconciliations > 0 {
            lines.append("  warning: \(ledger.failedReconciliations) of \(ledger.reconciliations) reconciliation checks failed "
                         + "(see the reconciliations table)")
        } else if ledger.reconciliations > 0 {
            lines.append("  reconciliation: all \(ledger.reconciliations) checks passed")
        }
        if definition.outputIsWorkingCopy, let url = definition.postgresURL {
            let server = definition.postgresLabel ?? PostgresURL.redacted(url)
            lines.append("output: PostgreSQL \(server), schema \(definition.name) (working copy: \(definition.outputPath))")
        } else {
            lines.append("output: \(definition.outputPath)")
        }
        return lines.joined(separator: "\n")
    }

    static func formatBytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }
}

/// `1,234` (grouped thousands, as the progress lines print them).
private func g(_ n: Int) -> String { ProgressReporter.grouped(n) }

/// `1 profile`, `2,048 profiles`.
private func count(_ n: Int, _ noun: String) -> String { "\(g(n)) \(noun)\(n == 1 ? "" : "s")" }
