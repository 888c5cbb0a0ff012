import Foundation
import TributaryCore

/// Parses the declared types of a source's fields and stores their canonical forms:
/// integers and cents as digits (the INTEGER column stores a number), decimals as exact text,
/// booleans as 1 / 0, dates as `YYYY-MM-DD`, timestamps as UTC `YYYY-MM-DDTHH:MM:SS.sssZ`.
/// A value that cannot be read as its type rejects the record (`invalid_value`, naming the field).
public struct FieldTyping: RecordStep {
    struct Typed: Sendable {
        var column: Int
        var definition: FieldDefinition
        var formats: [DateFormat]
        var zone: ZoneSource?
        var centsInput: Bool
    }

    /// Where a timestamp's zone comes from.
    enum ZoneSource: Sendable {
        case fixed(ZoneOffsets)
        /// Per record: the value of `keyColumn` looked up in `zones`.
        case lookup(keyColumn: Int, zones: [[UInt8]: ZoneOffsets], table: String)
    }

    let typed: [Typed]

    /// Builds the step; `tables` loads a reference table (path → rows of key → zone name).
    public init(fields: [FieldDefinition], columns: [Int], scope: FieldScope,
                referenceTable: (String, String, String) throws -> [String: String]) throws {
        var typed: [Typed] = []
        for (definition, column) in zip(fields, columns) where definition.type != .string {
            var zone: ZoneSource?
            switch definition.timezone {
            case .fixed(let name)?:
                guard let tz = ZoneOffsets(name) else { throw ShapingError("unknown time zone '\(name)' for field '\(definition.name)'") }
                zone = .fixed(tz)
            case .lookup(let table, let keyField, let keyColumn, let zoneColumn)?:
                guard let key = scope.column(of: keyField) else {
                    throw ShapingError("field '\(definition.name)': the time zone key '\(keyField)' is not a field of the source")
                }
                var zones: [[UInt8]: ZoneOffsets] = [:]
                for (k, name) in try referenceTable(table, keyColumn, zoneColumn) {
                    guard let tz = ZoneOffsets(name) else {
                        throw ShapingError("reference table \(table): unknown time zone '\(name)' for key '\(k)'")
                    }
                    zones[Array(k.utf8)] = tz
                }
                zone = .lookup(keyColumn: key, zones: zones, table: table)
            case nil:
                zone = nil
            }
            let formats = definition.formats.filter { $0 != "cents" && $0 != "decimal" }.compactMap(DateFormat.init)
            typed.append(Typed(column: column, definition: definition,
                               formats: formats.isEmpty ? [DateFormat("iso8601")!] : formats,
                               zone: zone, centsInput: definition.formats.contains("cents")))
        }
        self.typed = typed
    }

    public var isEmpty: Bool { typed.isEmpty }

    public func apply(to batch: inout RecordBatch) -> [Rejection] {
        var rejected: [Int: String] = [:]
        for field in typed {
            let zoneKeys: TextColumn? = if case .lookup(let key, _, _)? = field.zone { batch.columns[key] } else { nil }
            var column = batch.columns[field.column]
            var output: [UInt8] = []
            output.reserveCapacity(column.bytes.count + column.count * 4)
            var spans = column.spans
            column.bytes.withUnsafeBufferPointer { bytes in
                var scratch = [UInt8]()
                scratch.reserveCapacity(32)
                for row in 0..<spans.count where !spans[row].isNull && rejected[row] == nil {
                    let span = spans[row]
                    let value = UnsafeBufferPointer(rebasing: bytes[Int(span.offset)..<Int(span.offset + span.length)])
                    scratch.removeAll(keepingCapacity: true)
                    let problem = convert(field, value, row: row, zoneKeys: zoneKeys, into: &scratch)
                    if let problem {
                        rejected[row] = problem
                        continue
                    }
                    if scratch.isEmpty {
                        spans[row] = .null
                    } else {
                        spans[row] = Span(offset: UInt32(output.count), length: UInt32(scratch.count))
                        output.append(contentsOf: scratch)
                    }
                }
            }
            // Rows not rewritten (NULL or rejected) keep NULL spans into the new arena.
            for row in rejected.keys { spans[row] = .null }
            column.bytes = output
            column.spans = spans
            batch.columns[field.column] = column
        }
        return rejected.sorted { $0.key < $1.key }.map { Rejection(row: $0.key, reason: .invalidValue, detail: $0.value) }
    }

    /// Converts one value; returns a problem description (without the value) or nil.
    func convert(_ field: Typed, _ value: UnsafeBufferPointer<UInt8>, row: Int, zoneKeys: TextColumn?,
                 into out: inout [UInt8]) -> String? {
        let name = field.definition.name
        switch field.definition.type {
        case .string:
            out.append(contentsOf: value)
            return nil
        case .integer:
            guard let n = parseInteger(value) else { return "field '\(name)' is not an integer" }
            out.append(contentsOf: String(n).utf8)
            return nil
        case .decimal:
            guard let d = ExactDecimal(value) else { return "field '\(name)' is not a decimal number" }
            out.append(contentsOf: d.description.utf8)
            return nil
        case .cents:
            if field.centsInput {
                guard let n = parseInteger(value) else { return "field '\(name)' is not a whole number of cents" }
                out.append(contentsOf: String(n).utf8)
                return nil
            }
            guard let d = ExactDecimal(value), let cents = d.cents else {
                return "field '\(name)' is not an amount with at most 2 decimal places"
            }
            out.append(contentsOf: String(cents).utf8)
            return nil
        case .boolean:
            guard let b = parseBoolean(value) else { return "field '\(name)' is not a boolean (true/false, yes/no, y/n, 1/0)" }
            if let b { out.append(b ? 0x31 : 0x30) }
            return nil
        case .date:
            guard let t = field.formats.lazy.compactMap({ $0.parse(value) }).first else {
                return "field '\(name)' is not a date in \(field.formats.map(\.text).joined(separator: ", "))"
            }
            if let ms = t.epochMillis {
                appendDate(daysSinceEpoch: floorDiv(ms, 86_400_000), into: &out)
            } else {
                appendDate(year: t.year, month: t.month, day: t.day, into: &out)
            }
            return nil
        case .timestamp:
            guard let t = field.formats.lazy.compactMap({ $0.parse(value) }).first else {
                return "field '\(name)' is not a timestamp in \(field.formats.map(\.text).joined(separator: ", "))"
            }
            var instant = t.wallMillis
            if t.epochMillis == nil {
                if let offset = t.offset {
                    instant -= Int64(offset) * 1000
                } else {
                    switch field.zone {
                    case .fixed(let zone)?:
                        instant = zone.utcMillis(fromWall: instant)
                    case .lookup(_, let zones, let table)?:
                        guard let keys = zoneKeys, let zone = keys.withValue(row, { key in key.flatMap { zones[Array($0)] } }) else {
                            return "field '\(name)': no time zone for this record's key in \(table)"
                        }
                        instant = zone.utcMillis(fromWall: instant)
                    case nil:
                        break  // no offset and no zone: the text is UTC
                    }
                }
            }
            appendTimestamp(millis: instant, into: &out)
            return nil
        }
    }
}

struct ShapingError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// `true/false`, `yes/no`, `y/n`, `t/f`, `1/0`, `on/off`, any case; blank is unknown (NULL).
/// Returns nil for an unreadable value, `.some(nil)` for blank.
func parseBoolean(_ b: UnsafeBufferPointer<UInt8>) -> Bool?? {
    var word: [UInt8] = []
    for c in b where c != 0x20 { word.append(c | 0x20) }
    switch String(decoding: word, as: UTF8.self) {
    case "": return .some(nil)
    case "true", "yes", "y", "t", "1", "on": return true
    case "false", "no", "n", "f", "0", "off": return false
    default: return nil
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
func civil(fromDays z0: Int64) -> (year: Int, month: Int, day: Int) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
}

@inline(__always)
func appendDigits(_ value: Int, width: Int, into out: inout [UInt8]) {
    var digits = [UInt8](repeating: 0x30, count: width)
    var v = value
    for i in stride(from: width - 1, through: 0, by: -1) {
        digits[i] = UInt8(0x30 + v % 10)
        v /= 10
    }
    out.append(contentsOf: digits)
}

func appendDate(year: Int, month: Int, day: Int, into out: inout [UInt8]) {
    appendDigits(year, width: 4, into: &out)
    out.append(0x2D)
    appendDigits(month, width: 2, into: &out)
    out.append(0x2D)
    appendDigits(day, width: 2, into: &out)
}

func appendDate(daysSinceEpoch: Int64, into out: inout [UInt8]) {
    let (y, m, d) = civil(fromDays: daysSinceEpoch)
    appendDate(year: y, month: m, day: d, into: &out)
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ`.
func appendTimestamp(millis: Int64, into out: inout [UInt8]) {
    let days = floorDiv(millis, 86_400_000)
    let rest = Int(millis - days * 86_400_000)
    appendDate(daysSinceEpoch: days, into: &out)
    out.append(UInt8(ascii: "T"))
    appendDigits(rest / 3_600_000, width: 2, into: &out)
    out.append(0x3A)
    appendDigits(rest / 60_000 % 60, width: 2, into: &out)
    out.append(0x3A)
    appendDigits(rest / 1000 % 60, width: 2, into: &out)
    out.append(0x2E)
    appendDigits(rest % 1000, width: 3, into: &out)
    out.append(UInt8(ascii: "Z"))
}

/// The UTC offsets of one IANA zone, cached per quarter hour of wall-clock time (zones change at
/// full, half and quarter hours: Lord Howe moves by 30 minutes at 02:00). Wall-clock readings are
/// converted to instants across DST changes: a time that occurs twice (the hour repeated when
/// clocks fall back) takes its first occurrence; a time that does not exist (skipped when clocks
/// spring forward) is read with the offset in force before the change, i.e. moved forward.
final class ZoneOffsets: @unchecked Sendable {
    let zone: TimeZone
    private let lock = NSLock()
    private var cache: [Int64: Int64] = [:]

    init?(_ name: String) {
        guard let zone = TimeZone(identifier: name) else { return nil }
        self.zone = zone
    }

    static let slot: Int64 = 900_000  // 15 minutes

    func utcMillis(fromWall wall: Int64) -> Int64 {
        let slot = floorDiv(wall, Self.slot)
        lock.lock()
        let cached = cache[slot]
        lock.unlock()
        if let cached { return wall - cached }
        let offset = offsetMillis(forWallSlot: slot)
        lock.lock()
        cache[slot] = offset
        lock.unlock()
        return wall - offset
    }

    private func offset(atUTC millis: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(millis) / 1000))) * 1000
    }

    /// The offset to subtract from wall-clock readings in this quarter hour.
    private func offsetMillis(forWallSlot slot: Int64) -> Int64 {
        let wall = slot * Self.slot + Self.slot / 2  // the middle of the slot
        let before = offset(atUTC: wall - 86_400_000)
        let after = offset(atUTC: wall + 86_400_000)
        if before == after { return offset(atUTC: wall - before) == before ? before : offset(atUTC: wall - before) }
        let validBefore = offset(atUTC: wall - before) == before
        let validAfter = offset(atUTC: wall - after) == after
        switch (validBefore, validAfter) {
        case (true, true): return max(before, after)   // repeated hour: the earlier instant
        case (true, false): return before
        case (false, true): return after
        case (false, false): return before              // skipped hour: moved forward
        }
    }
}
