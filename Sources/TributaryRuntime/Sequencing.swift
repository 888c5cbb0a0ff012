import TributaryCore

/// The order-dependent steps of a run, done as each piece is loaded, in file order: numbering
/// records within groups that continue across piece boundaries, and dropping duplicates by key
/// across all files of a source. Both are deterministic whatever the number of jobs.

/// `group_line`: numbers records 1, 2, ... within runs of consecutive records with equal
/// `groupBy` values. Applied to each piece right after extraction; `GroupRuns` tells the
/// loader how to continue a run that started in the previous piece.
struct GroupLineNumbering: Sendable {
    var groupBy: [Int]
    var into: Int

    struct Runs: Sendable {
        var fileIndex: Int
        var firstKey: [UInt8]?
        /// The last physical line of the piece's first run: rows up to it continue a previous run.
        var firstRunEndLine: Int
        var lastKey: [UInt8]?
        var lastRunLength: Int
        var isSingleRun: Bool
    }

    func apply(to batch: inout RecordBatch, fileIndex: Int) -> Runs {
        let column = batch.addColumn()
        precondition(column == into, "group_line column mismatch")
        var runs = Runs(fileIndex: fileIndex, firstKey: nil, firstRunEndLine: 0, lastKey: nil, lastRunLength: 0, isSingleRun: true)
        var previous: [UInt8]?
        var count = 0
        var output = TextColumn(reservingBytes: batch.count * 2, rows: batch.count)
        for row in 0..<batch.count {
            let key = groupKey(batch, row)
            if row > 0, key == previous {
                count += 1
            } else {
                if row > 0 { runs.isSingleRun = false }
                count = 1
                previous = key
            }
            if runs.isSingleRun || row == 0 { runs.firstKey = key; runs.firstRunEndLine = batch.lines[row] }
            output.append(String(count))
        }
        runs.lastKey = previous
        runs.lastRunLength = count
        batch.columns[into] = output
        return runs
    }

    func groupKey(_ batch: RecordBatch, _ row: Int) -> [UInt8] {
        var key: [UInt8] = []
        for c in groupBy {
            batch.columns[c].withValue(row) { value in
                if let value { key.append(0x01); key.append(contentsOf: value) } else { key.append(0x00) }
            }
            key.append(0x1F)
        }
        return key
    }
}

/// Continues group numbering across pieces, in load order.
struct GroupContinuation {
    var into: Int
    private var lastFile = -1
    private var lastKey: [UInt8]?
    private var lastRunLength = 0

    init(into: Int) { self.into = into }

    mutating func fix(_ batch: inout RecordBatch, runs: GroupLineNumbering.Runs) {
        var offset = 0
        if runs.fileIndex == lastFile, let key = runs.firstKey, key == lastKey { offset = lastRunLength }
        if offset > 0 {
            var row = 0
            while row < batch.count, batch.lines[row] <= runs.firstRunEndLine {
                let value = batch.columns[into].string(row).flatMap { Int($0) } ?? 0
                batch.columns[into].replace(row, with: String(value + offset))
                row += 1
            }
        }
        if runs.firstKey != nil || runs.lastKey != nil {
            lastFile = runs.fileIndex
            lastKey = runs.lastKey
            lastRunLength = runs.isSingleRun ? runs.lastRunLength + offset : runs.lastRunLength
        }
    }
}

/// Drops records whose key was already seen in this source (keep the first, in file order).
/// Keys are remembered as 128-bit hashes, so memory stays small for tens of millions of keys.
/// The load's consumer runs this for every record, one batch after another: the hashes go into
/// an open-addressing table (`KeyHashSet`), not a `Set`, which hashed each 128-bit key again
/// (about 0.4 s of the 3.4 s the consumer took for 1M records, in perf samples).
struct Deduplicator {
    var keyColumns: [Int]
    private var seen = KeyHashSet()

    init(keyColumns: [Int]) { self.keyColumns = keyColumns }

    /// Removes duplicates from the batch; returns how many.
    mutating func apply(to batch: inout RecordBatch) -> Int {
        guard !keyColumns.isEmpty else { return 0 }
        var keep: [Int] = []
        keep.reserveCapacity(batch.count)
        for row in 0..<batch.count {
            var a: UInt64 = 0xcbf2_9ce4_8422_2325
            var b: UInt64 = 0x84222325_cbf29ce4
            var complete = true
            for c in keyColumns {
                batch.columns[c].withValue(row) { value in
                    guard let value else { complete = false; return }
                    for byte in value {
                        a = (a ^ UInt64(byte)) &* 0x100_0000_01b3
                        b = (b ^ UInt64(byte)) &* 0x9E37_79B9_7F4A_7C15
                        b ^= b >> 29
                    }
                    a = (a ^ 0x1F) &* 0x100_0000_01b3
                    b = (b ^ 0x1F) &* 0x9E37_79B9_7F4A_7C15
                }
            }
            // A record with an empty key part cannot be identified: it is never a duplicate.
            if !complete || seen.insert(a, b) { keep.append(row) }
        }
        let removed = batch.count - keep.count
        if removed > 0 { batch.select(keep) }
        return removed
    }
}

/// A set of 128-bit key hashes: open addressing with linear probing over a power-of-two table,
/// at most half full. The hashes are already mixed, so the first word (folded once) indexes it.
struct KeyHashSet {
    /// Two words per slot; (0, 0) is an empty slot (a key hashing to it is stored as (0, 1)).
    private var slots = [UInt64](repeating: 0, count: 2 * 1024)
    private(set) var count = 0

    /// Inserts the hash (a, b); returns false when it was already there.
    mutating func insert(_ a: UInt64, _ b: UInt64) -> Bool {
        let b = a == 0 && b == 0 ? 1 : b
        if 2 * (count + 1) > slots.count / 2 { grow() }
        let inserted = slots.withUnsafeMutableBufferPointer { Self.place(a, b, in: $0) }
        if inserted { count += 1 }
        return inserted
    }

    private static func place(_ a: UInt64, _ b: UInt64, in table: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        let mask = table.count / 2 - 1
        var i = Int(truncatingIfNeeded: (a ^ (a >> 29)) & UInt64(mask))
        while true {
            let (x, y) = (table[2 * i], table[2 * i + 1])
            if x == 0 && y == 0 {
                table[2 * i] = a
                table[2 * i + 1] = b
                return true
            }
            if x == a && y == b { return false }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        slots.withUnsafeMutableBufferPointer { table in
            for i in stride(from: 0, to: old.count, by: 2) where old[i] != 0 || old[i + 1] != 0 {
                _ = Self.place(old[i], old[i + 1], in: table)
            }
        }
    }
}

extension TextColumn {
    /// Replaces one value (cold path).
    mutating func replace(_ row: Int, with value: String) {
        let offset = UInt32(bytes.count)
        bytes.append(contentsOf: value.utf8)
        spans[row] = Span(offset: offset, length: UInt32(value.utf8.count))
    }
}
