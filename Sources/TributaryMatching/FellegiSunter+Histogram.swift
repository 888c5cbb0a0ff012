import Foundation

extension FellegiSunter {
    // MARK: Weight histogram

    /// How many scored pairs fell at each match weight, every pair scored and not only the
    /// linked ones: bins one weight unit wide, `[k, k + 1)` for k in `lowest..<highest`; a
    /// weight below `lowest` counts in the first bin, one at or above `highest` in the last.
    /// Counting is one increment per pair into a fixed table (no per-pair storage), and the
    /// counts do not depend on how the pairs were split across threads.
    public struct WeightHistogram: Sendable, Equatable {
        /// The lower bound of the first bin.
        public static let lowest = -64
        /// The upper bound of the last bin.
        public static let highest = 64
        public static var binCount: Int { highest - lowest }

        /// Pairs per bin (`binCount` of them).
        public var pairs: [Int]
        /// Of those, the pairs at or above the threshold (scored as links).
        public var aboveThreshold: [Int]

        public init() {
            pairs = [Int](repeating: 0, count: Self.binCount)
            aboveThreshold = pairs
        }

        /// All pairs counted.
        public var total: Int { pairs.reduce(0, +) }
        /// All pairs counted at or above the threshold.
        public var totalAboveThreshold: Int { aboveThreshold.reduce(0, +) }

        /// The bin of a weight (NaN: the middle one, never produced by finite m and u).
        @inline(__always)
        static func bin(_ weight: Double) -> Int {
            if weight < Double(lowest + 1) { return 0 }
            if weight >= Double(highest - 1) { return binCount - 1 }
            if weight.isNaN { return binCount / 2 }
            return Int(weight.rounded(.down)) - lowest
        }

        /// The bounds of bin `i`: nil on the open side of the first and the last bin.
        public static func bounds(_ i: Int) -> (low: Int?, high: Int?) {
            (i == 0 ? nil : lowest + i, i == binCount - 1 ? nil : lowest + i + 1)
        }

        /// Adds another histogram's counts (a chunk's).
        mutating func add(_ other: WeightHistogram) {
            for i in pairs.indices {
                pairs[i] += other.pairs[i]
                aboveThreshold[i] += other.aboveThreshold[i]
            }
        }
    }
}
