import Foundation

extension RunReport {
    /// "What changed since the previous run": `pipeline diff` of the previous succeeded run and
    /// this one (`OutputDiff`), or why there is nothing to compare.
    public struct Changes: Sendable {
        public var diff: OutputDiff?
        /// Why `diff` is nil (the first run, a failed run).
        public var note: String?

        /// The difference between the succeeded run before `runID` and `runID`.
        static func read(database: String, runID: Int) -> Changes {
            do {
                return Changes(diff: try OutputDiff.between(path: database, from: nil, to: runID), note: nil)
            } catch where error.description.contains("is the first run") {
                return Changes(diff: nil, note: "This is the first run of this output: there is no previous run to compare it with.")
            } catch {
                return Changes(diff: nil, note: "Not compared: \(error.description)")
            }
        }
    }

    // MARK: - HTML

    /// Inputs added, removed and changed, records and profiles before and after, merges and
    /// splits, segment entries and exits, quarantine by reason.
    func changesSection() -> String {
        var out = "<section id=\"changes\">\n<h2>What changed since the previous run</h2>\n"
        guard let changes else {
            return out + "<p class=\"empty\">Not compared: this run did not publish.</p>\n</section>\n"
        }
        guard let d = changes.diff else {
            return out + "<p class=\"empty\" id=\"changes-first\">\(htmlEscape(changes.note ?? ""))</p>\n</section>\n"
        }
        func g(_ n: Int) -> String { ProgressReporter.grouped(n) }
        func delta(_ before: Int, _ after: Int) -> String {
            after == before ? "same" : (after > before ? "+" : "−") + g(abs(after - before))
        }
        out += "<p>Run \(d.from.runID) (\(htmlEscape(d.from.startedAt))) → run \(d.to.runID) (\(htmlEscape(d.to.startedAt))).</p>\n"
        var tiles: [(String, String)] = [
            ("Inputs added", g(d.added.count)), ("Inputs removed", g(d.removed.count)),
            ("Inputs changed", g(d.changed.count)), ("Inputs unchanged", g(d.unchangedFiles)),
        ]
        if let a = d.from.profiles, let b = d.to.profiles {
            tiles.append(("Profiles", "\(g(a)) → \(g(b))"))
        }
        tiles += [("Merged from several", g(d.merges)), ("Split", g(d.splits))]
        out += "<div class=\"tiles\" id=\"changes-tiles\">\n"
        for (name, value) in tiles {
            out += "<div class=\"tile\"><div class=\"value\">\(htmlEscape(value))</div><div class=\"name\">\(htmlEscape(name))</div></div>\n"
        }
        out += "</div>\n"
        let files = d.added.map { ["added", $0.source, $0.path, "—", g($0.loadedAfter ?? 0)] }
            + d.removed.map { ["removed", $0.source, $0.path, g($0.loadedBefore ?? 0), "—"] }
            + d.changed.map { ["changed", $0.source, $0.path, g($0.loadedBefore ?? 0), g($0.loadedAfter ?? 0)] }
        out += "<h3>Input files</h3>\n"
        out += Self.htmlTable(id: "changes-files", ["change", "source", "file", "loaded before", "loaded now"], numeric: [3, 4],
                              files, mono: [2], empty: "No input file was added, removed or changed.")
        out += "<h3>Records per source</h3>\n"
        out += Self.htmlTable(id: "changes-records", ["source", "loaded", "change", "quarantined", "change"], numeric: [1, 2, 3, 4],
                              zip(d.loaded, d.quarantined).map { l, q in
                                  [l.name, g(l.after), delta(l.before, l.after), g(q.after), delta(q.before, q.after)]
                              })
        out += "<h3>Segments</h3>\n"
        out += Self.htmlTable(id: "changes-segments", ["segment", "entered", "exited"], numeric: [1, 2],
                              d.segments.map { [$0.segment, "+" + g($0.entered), "−" + g($0.exited)] },
                              empty: "No profile entered or left a segment.")
        out += "<h3>Quarantine by reason</h3>\n"
        if let reasons = d.quarantineByReason {
            out += Self.htmlTable(id: "changes-quarantine", ["source and reason", "before", "now", "change"], numeric: [1, 2, 3],
                                  reasons.filter { $0.before != $0.after || $0.after > 0 }
                                      .map { [$0.name, g($0.before), g($0.after), delta($0.before, $0.after)] },
                                  empty: "No record was quarantined in either run.")
        } else {
            out += "<p class=\"empty\" id=\"changes-quarantine\">Not recorded: a run predates the per-run quarantine counts.</p>\n"
        }
        return out + "</section>\n"
    }
}
