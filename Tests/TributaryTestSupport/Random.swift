import TributaryMatching

// The tests draw from the matcher's own `SplitMix64` (one copy of the generator, public in
// TributaryMatching): `SplitMix64(seed:)`, `next()`, `next(below:)`.

extension SplitMix64 {
    /// Uniform-ish in 0..<n by remainder: the draw the generated test files were written with
    /// (not `next(below:)`, which multiplies), kept so the files stay byte for byte the same.
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
