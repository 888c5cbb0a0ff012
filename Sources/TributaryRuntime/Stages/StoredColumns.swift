/// Rows of values read from a store, kept column by column as the store held them (storage
/// class, number bits, text and blob bytes in one arena per column): no String or enum per
/// value. The trait stage reads each profile's aggregates into it, ranks them (RFM) and writes
/// them back with the same storage classes, so a value makes the round trip unchanged.
struct StoredColumns {
    /// Rows held.
    private(set) var count = 0
    private var kinds: [[StoredKind]]
    /// An integer's bits or a real's bits (`Double.bitPattern`).
    private var numbers: [[UInt64]]
    /// Text and blob bytes of each column, and each row's end offset in them.
    private var arenas: [[UInt8]]
    private var ends: [[Int]]

    init(columns: Int) {
        kinds = Array(repeating: [], count: columns)
        numbers = Array(repeating: [], count: columns)
        arenas = Array(repeating: [], count: columns)
        ends = Array(repeating: [], count: columns)
    }

    var columnCount: Int { kinds.count }

    /// Appends the current row of `cursor`, its columns `first ..< first + columnCount`.
    mutating func append(_ cursor: RowCursor, first: Int32) {
        for c in 0..<kinds.count {
            let column = first + Int32(c)
            let kind = cursor.kind(column)
            kinds[c].append(kind)
            switch kind {
            case .integer: numbers[c].append(UInt64(bitPattern: Int64(cursor.int(column))))
            case .real: numbers[c].append(cursor.double(column).bitPattern)
            case .text:
                numbers[c].append(0)
                if let bytes = cursor.textBytes(column) { arenas[c].append(contentsOf: bytes) }
            case .blob:
                numbers[c].append(0)
                arenas[c].append(contentsOf: cursor.blobBytes(column))
            case .null: numbers[c].append(0)
            }
            ends[c].append(arenas[c].count)
        }
        count += 1
    }

    func kind(_ column: Int, _ row: Int) -> StoredKind { kinds[column][row] }

    private func start(_ column: Int, _ row: Int) -> Int { row == 0 ? 0 : ends[column][row - 1] }

    /// Binds the value at `row` of `column` to parameter `index`; text and blobs are bound
    /// without a copy, so the columns must outlive the statement's run.
    func bind(_ statement: RowStatement, _ index: Int32, column: Int, row: Int) {
        switch kinds[column][row] {
        case .null: statement.bindNull(index)
        case .integer: statement.bind(index, Int(Int64(bitPattern: numbers[column][row])))
        case .real: statement.bind(index, Double(bitPattern: numbers[column][row]))
        case .text:
            let (from, to) = (start(column, row), ends[column][row])
            if from == to {
                statement.bind(index, "")
            } else {
                arenas[column].withUnsafeBufferPointer { statement.bindText(index, $0.baseAddress! + from, to - from) }
            }
        case .blob:
            let (from, to) = (start(column, row), ends[column][row])
            arenas[column].withUnsafeBytes { statement.bindBlob(index, from == to ? nil : $0.baseAddress! + from, to - from) }
        }
    }

    /// Whether row `a` sorts before row `b` in `column` as SQL orders them: NULL first, numbers
    /// by value (integers and reals together), text then blobs byte by byte (SQLite's BINARY).
    func precedes(_ column: Int, _ a: Int, _ b: Int) -> Bool {
        compare(column, a, b) < 0
    }

    /// -1, 0 or 1 as row `a` sorts before, with or after row `b` in `column`.
    func compare(_ column: Int, _ a: Int, _ b: Int) -> Int {
        let (ka, kb) = (kinds[column][a], kinds[column][b])
        let numeric = { (k: StoredKind) in k == .integer || k == .real }
        if numeric(ka) && numeric(kb) {
            let (x, y) = (numbers[column][a], numbers[column][b])
            if ka == .integer && kb == .integer {
                let (i, j) = (Int64(bitPattern: x), Int64(bitPattern: y))
                return i < j ? -1 : (i > j ? 1 : 0)
            }
            let u = ka == .integer ? Double(Int64(bitPattern: x)) : Double(bitPattern: x)
            let v = kb == .integer ? Double(Int64(bitPattern: y)) : Double(bitPattern: y)
            return u < v ? -1 : (u > v ? 1 : 0)
        }
        let (ra, rb) = (numeric(ka) ? 1 : Int(ka.rawValue), numeric(kb) ? 1 : Int(kb.rawValue))
        if ra != rb { return ra < rb ? -1 : 1 }
        guard ka == .text || ka == .blob else { return 0 }  // both NULL
        return arenas[column].withUnsafeBufferPointer { bytes in
            let x = bytes[start(column, a)..<ends[column][a]]
            let y = bytes[start(column, b)..<ends[column][b]]
            if x.elementsEqual(y) { return 0 }
            return x.lexicographicallyPrecedes(y) ? -1 : 1
        }
    }
}
