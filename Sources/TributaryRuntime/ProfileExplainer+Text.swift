import Foundation

/// Terminal and JSON renderings of `ProfileExplainer`'s explanations.
extension ProfileExplainer {
    /// Sorted keys, indented: stable for scripts and diffs.
    public static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // One convention for every JSON the CLI prints: snake_case (`profileID` → `profile_id`,
        // `peakRSSBytes` → `peak_rss_bytes`). Explicit snake_case CodingKeys pass through unchanged.
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self) + "\n"
    }

    public static func text(_ e: ProfileExplanation) -> String {
        var out = "profile \(e.profileID): \(e.records.count) record\(e.records.count == 1 ? "" : "s") from \(e.sources.joined(separator: ", "))\n\n"
        out += recordTable(e.records, withProfile: false)
        let legend = "joined by: the identifier type that linked the record, `probabilistic` for a match link, - for none (the record the profile grew from)"
        out += "\n" + legend + "\n"
        if !e.links.isEmpty {
            out += "\nprobabilistic links between these records: \(e.links.count)\n"
            for w in e.links { out += "\n" + waterfall(w) }
        }
        if !e.notJoined.isEmpty {
            out += "\nlinks above the threshold to records of other profiles (refused by a guard or cut by max_cluster_size, see identity_refusals): \(e.notJoined.count)\n"
            for w in e.notJoined { out += "\n" + waterfall(w) }
        }
        for note in e.notes { out += "\nnote: \(note)\n" }
        return out
    }

    public static func text(_ e: PairExplanation) -> String {
        var out = recordTable(e.records, withProfile: true)
        if e.records.count == 2 {
            let same = e.records[0].profileID != nil && e.records[0].profileID == e.records[1].profileID
            out += "\nsame profile: \(same ? "yes" : "no")\n"
        }
        if let w = e.waterfall { out += "\n" + waterfall(w) }
        for m in e.missing { out += "\ncannot score: \(m)\n" }
        return out
    }

    static func recordTable(_ records: [Record], withProfile: Bool) -> String {
        var rows: [[String]] = [["record", "file", "line", "joined by"] + (withProfile ? ["profile"] : [])]
        for r in records {
            rows.append([r.record.description, r.file ?? "?", r.line.map(String.init) ?? "?", r.linkedBy ?? "-"]
                        + (withProfile ? [r.profileID ?? "-"] : []))
        }
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = ""
        for (i, row) in rows.enumerated() {
            var line = "  "
            for (c, cell) in row.enumerated() {
                let padded = c == 2 ? String(repeating: " ", count: widths[c] - cell.count) + cell : pad(cell, widths[c])
                line += padded + (c == row.count - 1 ? "" : "  ")
            }
            out += line.trimmingTrailing() + "\n"
            if i > 0, let values = records[i - 1].values, !values.isEmpty {
                out += "    " + values.map { "\($0.name)=\($0.value)" }.joined(separator: "  ") + "\n"
            }
        }
        return out
    }

    /// Prior, one line per comparison (and per term-frequency adjustment), with a bar of `+` or
    /// `-` (one per unit of weight, at most 12), the running total, and the match probability.
    static func waterfall(_ w: Waterfall) -> String {
        var out = "  \(w.a) ~ \(w.b)  match probability \(probability(w.probability))"
        if let t = w.threshold { out += " (threshold \(t))" }
        out += "\n"
        guard !w.steps.isEmpty else {
            for note in w.notes { out += "    note: \(note)\n" }
            return out
        }
        var rows: [(step: String, level: String, weight: Double?, total: Double, values: String?)] = []
        rows.append(("prior", String(format: "p=%.3g", w.prior), w.priorWeight, w.priorWeight, nil))
        var running = w.priorWeight
        for s in w.steps {
            running += s.weight
            // Which records' values reached the level (the matcher compares clusters), and the values.
            let from: String? = s.from.flatMap { $0.count == 2 && ($0[0] != "\(w.a)" || $0[1] != "\(w.b)") ? "from \($0[0]) ~ \($0[1])" : nil }
            let shown = s.values.map { "[" + $0.map { $0 ?? "null" }.joined(separator: " | ") + "]" }
            let values = [from, shown].compactMap { $0 }.joined(separator: "  ")
            let valuesText: String? = values.isEmpty ? nil : values
            rows.append((s.comparison, s.levelName, s.weight, running, valuesText))
            if let adjustment = s.termFrequencyAdjustment {
                running += adjustment
                rows.append(("  term frequency", "", adjustment, running, nil))
            }
        }
        let stepWidth = max(10, rows.map(\.step.count).max() ?? 0)
        let levelWidth = max(5, rows.map(\.level.count).max() ?? 0)
        out += "    " + pad("step", stepWidth) + "  " + pad("level", levelWidth) + "  " + leftPad("weight", 8) + "  "
            + pad("", 12) + "  " + leftPad("total", 8) + "\n"
        for row in rows {
            var line = "    " + pad(row.step, stepWidth) + "  " + pad(row.level, levelWidth) + "  "
            line += leftPad(row.weight.map(number) ?? "", 8) + "  " + pad(bar(row.weight ?? 0), 12) + "  " + leftPad(number(row.total), 8)
            if let values = row.values { line += "  " + values }
            out += line.trimmingTrailing() + "\n"
        }
        out += "    " + pad("= match weight", stepWidth + levelWidth + 26) + "  " + leftPad(number(w.weight), 8)
            + "  → probability \(probability(w.probability))\n"
        if let stored = w.storedWeight { out += "    stored in match_evidence: weight \(number(stored))\n" }
        for note in w.notes { out += "    note: \(note)\n" }
        return out
    }

    static func bar(_ weight: Double) -> String {
        guard weight != 0, weight.isFinite else { return "" }
        let n = min(12, max(1, Int(abs(weight).rounded())))
        return String(repeating: weight > 0 ? "+" : "-", count: n)
    }

    static func probability(_ p: Double) -> String {
        p > 0.99999 && p < 1 ? String(format: "%.8f", p) : String(format: "%.5f", p)
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    static func leftPad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}

extension String {
    fileprivate func trimmingTrailing() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
