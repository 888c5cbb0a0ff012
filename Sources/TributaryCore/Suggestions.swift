/// "Did you mean" suggestions for misspelled keys and names.
public enum Suggestions {
    /// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lowered = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates where candidate.count >= 3 && word.count >= 3 {
            let distance = levenshtein(Array(lowered.utf8), Array(candidate.lowercased().utf8))
            let limit = max(1, min(3, candidate.utf8.count / 3))
            guard distance <= limit else { continue }
            if best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        if let best { return best.0 }
        // A word that is the start of exactly one candidate (`lifetime_spend` → `lifetime_spend_cents`).
        let extensions = candidates.filter { word.count >= 4 && $0.count > word.count && $0.lowercased().hasPrefix(lowered) }
        return extensions.count == 1 ? extensions[0] : nil
    }

    /// A hint sentence, or nil when nothing is close.
    public static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String? {
        closest(to: word, in: candidates).map { "did you mean '\($0)'?" }
    }

    /// Edit distance counting an adjacent transposition as one edit (`cvs` → `csv` is 1).
    static func levenshtein(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
