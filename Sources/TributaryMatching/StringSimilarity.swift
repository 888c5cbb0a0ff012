/// String similarity over UTF-8 bytes, for the comparison levels of the probabilistic matcher
/// (`FellegiSunter`). Byte-wise, so a multi-byte character counts as several bytes; names and
/// codes, the usual inputs, are mostly ASCII after normalisation.
///
/// No allocation per call for short inputs: the working rows live in
/// `withUnsafeTemporaryAllocation`, which is on the stack for small sizes (a few hundred bytes)
/// and falls back to the heap only for long inputs.
public enum StringSimilarity {
    /// Jaro similarity in [0, 1]: matching bytes within a window of max(|a|, |b|) / 2 - 1,
    /// and half the number of matched bytes out of order as transpositions. Two empty strings: 1.
    public static func jaro(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
        let la = a.count, lb = b.count
        if la == 0 && lb == 0 { return 1 }
        if la == 0 || lb == 0 { return 0 }
        let window = max(0, max(la, lb) / 2 - 1)
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: la + lb) { flags -> Double in
            flags.initialize(repeating: false)
            var matches = 0
            for i in 0..<la {
                let lo = max(0, i - window), hi = min(lb - 1, i + window)
                if lo > hi { continue }
                let c = a[i]
                for j in lo...hi where !flags[la + j] && b[j] == c {
                    flags[i] = true
                    flags[la + j] = true
                    matches += 1
                    break
                }
            }
            if matches == 0 { return 0 }
            var halfTranspositions = 0
            var k = 0
            for i in 0..<la where flags[i] {
                while !flags[la + k] { k += 1 }
                if a[i] != b[k] { halfTranspositions += 1 }
                k += 1
            }
            let m = Double(matches)
            let t = Double(halfTranspositions / 2)
            return (m / Double(la) + m / Double(lb) + (m - t) / m) / 3
        }
    }

    /// Jaro-Winkler: Jaro plus `prefixScale` × (common prefix, at most 4 bytes) × (1 - Jaro),
    /// the boost applied only when Jaro exceeds `boostThreshold` (Winkler's 0.7).
    public static func jaroWinkler(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>,
                                   prefixScale: Double = 0.1, boostThreshold: Double = 0.7) -> Double {
        let j = jaro(a, b)
        guard j > boostThreshold else { return j }
        var prefix = 0
        let limit = min(4, min(a.count, b.count))
        while prefix < limit && a[prefix] == b[prefix] { prefix += 1 }
        return j + Double(prefix) * prefixScale * (1 - j)
    }

    /// Edit distance (insertions, deletions, substitutions; with `transpositions`, also swaps of
    /// two adjacent bytes: the optimal-string-alignment Damerau distance). With `maxDistance`,
    /// returns as soon as the distance is known to exceed it (the result is then some value
    /// greater than `maxDistance`, not necessarily the distance).
    public static func levenshtein(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>,
                                   transpositions: Bool = false, maxDistance: Int? = nil) -> Int {
        let la = a.count, lb = b.count
        let cap = maxDistance ?? Int.max
        if abs(la - lb) > cap { return cap + 1 }
        if la == 0 { return lb }
        if lb == 0 { return la }
        let width = lb + 1
        // Three rows: two back (for transpositions), previous, current.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * width) { rows -> Int in
            var back = 0, prev = width, cur = 2 * width
            for j in 0...lb { rows[prev + j] = j }
            for i in 1...la {
                rows[cur] = i
                var rowMin = i
                let ca = a[i - 1]
                for j in 1...lb {
                    let cost = ca == b[j - 1] ? 0 : 1
                    var d = min(rows[prev + j] + 1, rows[cur + j - 1] + 1, rows[prev + j - 1] + cost)
                    if transpositions && i > 1 && j > 1 && ca == b[j - 2] && a[i - 2] == b[j - 1] {
                        d = min(d, rows[back + j - 2] + 1)
                    }
                    rows[cur + j] = d
                    if d < rowMin { rowMin = d }
                }
                if rowMin > cap { return cap + 1 }
                (back, prev, cur) = (prev, cur, back)
            }
            return rows[prev + lb]
        }
    }

    // Conveniences for arrays and strings (tests, one-off use).
    public static func jaroWinkler(_ a: [UInt8], _ b: [UInt8]) -> Double {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in jaroWinkler(pa, pb) } }
    }

    public static func jaroWinkler(_ a: String, _ b: String) -> Double { jaroWinkler(Array(a.utf8), Array(b.utf8)) }

    public static func levenshtein(_ a: [UInt8], _ b: [UInt8], transpositions: Bool = false, maxDistance: Int? = nil) -> Int {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in levenshtein(pa, pb, transpositions: transpositions, maxDistance: maxDistance) }
        }
    }

    public static func levenshtein(_ a: String, _ b: String, transpositions: Bool = false, maxDistance: Int? = nil) -> Int {
        levenshtein(Array(a.utf8), Array(b.utf8), transpositions: transpositions, maxDistance: maxDistance)
    }
}
