import TributaryCore

extension CSVExtractor {
    // MARK: - File layout

    /// What the pieces of one file share: how header positions map to fields.
    struct FileLayout: Sendable {
        var headerFieldCount: Int
        /// For each header position: the field it feeds, or -1.
        var target: [Int32]
        /// For each header position: its rank among the field's candidate columns (0 = preferred).
        var rank: [UInt8]
        /// Mapped columns the header lacks; non-empty makes every record of the file quarantined.
        var missing: [String]
    }

    func makeLayout(header: [String]) -> FileLayout {
        var target = [Int32](repeating: -1, count: header.count)
        var rank = [UInt8](repeating: 0, count: header.count)
        var missing: [String] = []
        let normalized = header.map { $0.trimmingCharacters(in: " \t") }
        for (f, field) in fields.enumerated() {
            var foundAny = false
            for (r, column) in field.columns.enumerated() {
                let position = normalized.firstIndex(of: column)
                    ?? normalized.firstIndex { $0.lowercased() == column.lowercased() }
                if let position, target[position] == -1 {
                    target[position] = Int32(f)
                    rank[position] = UInt8(min(r, 255))
                    foundAny = true
                }
            }
            if !foundAny { missing.append(field.writtenColumns.joined(separator: " or ")) }
        }
        return FileLayout(headerFieldCount: header.count, target: target, rank: rank, missing: missing)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
