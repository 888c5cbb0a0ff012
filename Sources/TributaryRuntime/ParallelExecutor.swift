import Dispatch
import Foundation

/// Runs work items on `jobs` worker threads and hands their results to the caller *in item
/// order*, at most `window` items ahead of the consumer, so memory stays bounded and the output
/// is the same on 1 job and on many.
struct OrderedParallelMap {
    var jobs: Int
    var window: Int

    init(jobs: Int, window: Int? = nil) {
        self.jobs = max(1, jobs)
        self.window = max(1, window ?? self.jobs * 3)
    }

    func run<T: Sendable>(count: Int, produce: @escaping @Sendable (Int) -> T,
                          consume: (Int, T) throws(RunError) -> Void) throws(RunError) {
        guard count > 0 else { return }
        if jobs == 1 {
            for i in 0..<count { try consume(i, produce(i)) }
            return
        }
        let state = SharedState<T>(count: count)
        let slots = DispatchSemaphore(value: window)
        let group = DispatchGroup()
        for _ in 0..<min(jobs, count) {
            DispatchQueue.global().async(group: group) {
                while true {
                    slots.wait()
                    guard let index = state.claim() else { slots.signal(); return }
                    state.deliver(index, produce(index))
                }
            }
        }
        defer {
            state.cancel()
            for _ in 0..<jobs { slots.signal() }  // wake workers blocked on the window
            group.wait()
        }
        for i in 0..<count {
            let value = state.take(i)
            slots.signal()
            try consume(i, value)
        }
    }

    private final class SharedState<T>: @unchecked Sendable {
        private let condition = NSCondition()
        private var next = 0
        private let count: Int
        private var cancelled = false
        private var results: [Int: T] = [:]

        init(count: Int) { self.count = count }

        func claim() -> Int? {
            condition.lock()
            defer { condition.unlock() }
            guard !cancelled, next < count else { return nil }
            next += 1
            return next - 1
        }

        func deliver(_ index: Int, _ value: T) {
            condition.lock()
            results[index] = value
            condition.broadcast()
            condition.unlock()
        }

        func take(_ index: Int) -> T {
            condition.lock()
            defer { condition.unlock() }
            while results[index] == nil { condition.wait() }
            return results.removeValue(forKey: index)!
        }

        func cancel() {
            condition.lock()
            cancelled = true
            condition.unlock()
        }
    }
}

/// Runs independent work items on up to `jobs` threads and returns results in item order.
func parallelMap<T: Sendable>(_ count: Int, jobs: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    var results: [T] = []
    results.reserveCapacity(count)
    try? OrderedParallelMap(jobs: jobs, window: max(count, 1)).run(count: count, produce: body) { _, value in
        results.append(value)
    }
    return results
}

/// Process CPU time (user + system), for the per-stage ledger.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
}
