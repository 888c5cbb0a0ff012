#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TributaryCore

// The JSON-lines hot path: a single-pass byte scanner that validates one line as a complete JSON
// object (RFC 8259, strict: no comments, no trailing commas, no raw control characters in
// strings, UTF-8 only) and, in the same pass, notes where the values of the mapped paths are.
//
// Mapped paths are compiled into a trie (`PathProgram`) held in manually managed memory. While
// the scanner walks the object it carries the trie node of the current position (or -1 when no
// mapped path goes below it), so keys are only compared, as bytes, at mapped levels; elsewhere
// the scanner only validates. A value at a mapped path is recorded as a `SlotValue` (offset,
// length and kind within the line); nothing is copied until the line is known to be valid.

/// What the scanner found at one mapped path of the current line.
struct SlotValue {
    /// Offset of the value in the buffer: the first byte of a string's content (after the quote),
    /// of a number or literal, or the `{` / `[` of a nested value.
    var start: Int
    var length: Int32
    var kind: UInt8

    /// The key is not in the line.
    static let absent: UInt8 = 0
    /// `null`.
    static let null: UInt8 = 1
    /// A string without escapes: `start..<start+length` is its UTF-8 content.
    static let plainString: UInt8 = 2
    /// A string with escapes: `start..<start+length` is its content still escaped (validated).
    static let escapedString: UInt8 = 3
    /// A number, `true` / `false`, or a nested object or array: its JSON text.
    static let literal: UInt8 = 4
}

/// The mapped paths as a trie in flat, manually managed arrays. Immutable once built and shared
/// by every piece; the scanner reads it through raw pointers.
final class PathProgram: @unchecked Sendable {
    struct Node {
        /// The node's edges are `firstEdge ..< firstEdge + keyEdges + indexEdges`, key edges first.
        var firstEdge: Int32
        var keyEdges: Int32
        var indexEdges: Int32
        /// The slot of the path ending here, or -1.
        var slot: Int32
        /// The slots of this node and every node below it (slots are numbered in preorder).
        var slotLo: Int32
        var slotHi: Int32
    }

    struct Edge {
        var keyOffset: Int32
        var keyLength: Int32
        /// The array index of an index edge, -1 for a key edge.
        var index: Int32
        var child: Int32
    }

    let nodes: UnsafeMutablePointer<Node>
    let nodeCount: Int
    let edges: UnsafeMutablePointer<Edge>
    let edgeCount: Int
    let keys: UnsafeMutablePointer<UInt8>
    let keyByteCount: Int
    let slotCount: Int
    /// The path of each slot (for details).
    let slotPaths: [JSONPath]
    private let slotBySegments: [[JSONPath.Segment]: Int]

    /// Compiles the distinct paths among `paths` (same segments = same slot).
    init(paths: [JSONPath]) {
        // Build the trie with Swift collections (cold), then flatten it.
        struct Building {
            var keyChildren: [([UInt8], Int)] = []
            var indexChildren: [(Int, Int)] = []
            var path: JSONPath?
        }
        var building = [Building()]
        for path in paths {
            var node = 0
            for segment in path.segments {
                switch segment {
                case .key(let name):
                    let bytes = Array(name.utf8)
                    if let found = building[node].keyChildren.first(where: { $0.0 == bytes }) {
                        node = found.1
                    } else {
                        building.append(Building())
                        building[node].keyChildren.append((bytes, building.count - 1))
                        node = building.count - 1
                    }
                case .index(let index):
                    if let found = building[node].indexChildren.first(where: { $0.0 == index }) {
                        node = found.1
                    } else {
                        building.append(Building())
                        building[node].indexChildren.append((index, building.count - 1))
                        node = building.count - 1
                    }
                }
            }
            if building[node].path == nil { building[node].path = path }
        }

        // Slots in preorder, so that the slots below a node are one range.
        var slotOf = [Int32](repeating: -1, count: building.count)
        var range = [(Int32, Int32)](repeating: (0, 0), count: building.count)
        var paths: [JSONPath] = []
        func visit(_ node: Int) {
            let lo = Int32(paths.count)
            if let path = building[node].path {
                slotOf[node] = Int32(paths.count)
                paths.append(path)
            }
            for (_, child) in building[node].keyChildren { visit(child) }
            for (_, child) in building[node].indexChildren { visit(child) }
            range[node] = (lo, Int32(paths.count))
        }
        visit(0)

        nodeCount = building.count
        edgeCount = building.reduce(0) { $0 + $1.keyChildren.count + $1.indexChildren.count }
        keyByteCount = building.reduce(0) { $0 + $1.keyChildren.reduce(0) { $0 + $1.0.count } }
        nodes = .allocate(capacity: max(1, nodeCount))
        edges = .allocate(capacity: max(1, edgeCount))
        keys = .allocate(capacity: max(1, keyByteCount))
        var e = 0
        var k = 0
        for (i, b) in building.enumerated() {
            (nodes + i).initialize(to: Node(firstEdge: Int32(e), keyEdges: Int32(b.keyChildren.count),
                                            indexEdges: Int32(b.indexChildren.count), slot: slotOf[i],
                                            slotLo: range[i].0, slotHi: range[i].1))
            for (bytes, child) in b.keyChildren {
                for (j, byte) in bytes.enumerated() { keys[k + j] = byte }
                (edges + e).initialize(to: Edge(keyOffset: Int32(k), keyLength: Int32(bytes.count), index: -1,
                                                child: Int32(child)))
                k += bytes.count
                e += 1
            }
            for (index, child) in b.indexChildren {
                (edges + e).initialize(to: Edge(keyOffset: 0, keyLength: 0, index: Int32(index), child: Int32(child)))
                e += 1
            }
        }
        slotCount = paths.count
        slotPaths = paths
        slotBySegments = Dictionary(paths.enumerated().map { ($1.segments, $0) }, uniquingKeysWith: { a, _ in a })
    }

    deinit {
        nodes.deallocate()
        edges.deallocate()
        keys.deallocate()
    }

    /// The slot of a path given to `init`.
    func slot(of path: JSONPath) -> Int { slotBySegments[path.segments]! }
}

/// Why a line is not a valid JSON object, with the byte (0-based, within the line) where it shows.
enum JSONFailure: UInt8 {
    case none
    case truncated
    case invalidUTF8
    case notAnObject
    case unexpected
    case badNumber
    case badLiteral
    case badEscape
    case loneSurrogate
    case controlCharacter
    case trailingData
    case tooDeep
    case expectedKey
    case expectedColon
    case expectedCommaOrBrace
    case expectedCommaOrBracket

    var reason: QuarantineReason {
        switch self {
        case .truncated: .truncatedJSON
        case .invalidUTF8: .invalidUTF8
        default: .invalidJSON
        }
    }

    /// A detail without customer data: only positions and JSON grammar words.
    /// `column` is the 1-based byte of the line where the problem shows; `length` the line's length.
    func detail(column: Int, length: Int) -> String {
        switch self {
        case .none: "no error"
        case .truncated: "the line ends after \(length) bytes, before the JSON object is complete"
        case .invalidUTF8: "invalid UTF-8 at byte \(column) of the line"
        case .notAnObject: "the line is not a JSON object (it does not start with '{')"
        case .unexpected: "invalid JSON at byte \(column): expected a value"
        case .badNumber: "invalid JSON at byte \(column): malformed number"
        case .badLiteral: "invalid JSON at byte \(column): expected true, false or null"
        case .badEscape: "invalid JSON at byte \(column): invalid escape sequence in a string"
        case .loneSurrogate: "invalid JSON at byte \(column): a \\u escape is an unpaired UTF-16 surrogate"
        case .controlCharacter: "invalid JSON at byte \(column): unescaped control character in a string"
        case .trailingData: "invalid JSON at byte \(column): unexpected data after the JSON object"
        case .tooDeep: "invalid JSON at byte \(column): nested deeper than \(JSONLineScanner.maxDepth) levels"
        case .expectedKey: "invalid JSON at byte \(column): expected a quoted object key"
        case .expectedColon: "invalid JSON at byte \(column): expected ':' after an object key"
        case .expectedCommaOrBrace: "invalid JSON at byte \(column): expected ',' or '}' in an object"
        case .expectedCommaOrBracket: "invalid JSON at byte \(column): expected ',' or ']' in an array"
        }
    }
}

/// Scans lines as JSON objects, recording the mapped paths' values into `slots`. A plain struct
/// of raw pointers and integers, used as a local variable: no reference counting and no dynamic
/// exclusivity checks on the per-byte path.
struct JSONLineScanner {
    static let maxDepth = 512

    let base: UnsafePointer<UInt8>
    let nodes: UnsafePointer<PathProgram.Node>
    let edges: UnsafePointer<PathProgram.Edge>
    let keys: UnsafePointer<UInt8>
    let slots: UnsafeMutablePointer<SlotValue>
    let slotCount: Int
    let rootSlot: Int32

    var pos = 0
    var end = 0
    var failure = JSONFailure.none
    var failurePos = 0
    /// For decoding escaped keys and escaped values compared by rules.
    var scratch: UnsafeMutablePointer<UInt8>
    var scratchCapacity: Int

    init(base: UnsafePointer<UInt8>, program: PathProgram) {
        self.base = base
        nodes = UnsafePointer(program.nodes)
        edges = UnsafePointer(program.edges)
        keys = UnsafePointer(program.keys)
        slotCount = program.slotCount
        slots = .allocate(capacity: max(1, program.slotCount))
        slots.initialize(repeating: SlotValue(start: 0, length: 0, kind: SlotValue.absent), count: max(1, program.slotCount))
        rootSlot = program.nodes[0].slot
        scratchCapacity = 256
        scratch = .allocate(capacity: scratchCapacity)
    }

    /// Frees the scanner's own buffers.
    func release() {
        slots.deallocate()
        scratch.deallocate()
    }

    mutating func ensureScratch(_ count: Int) {
        if count > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = max(count, scratchCapacity * 2)
            scratch = .allocate(capacity: scratchCapacity)
        }
    }

    /// Scans `from..<to` (a line without its line feed, leading white space already skipped, not
    /// blank) as one JSON object. On failure, `failure` and `failurePos` say why and where.
    @inline(__always)
    mutating func scanLine(from: Int, to: Int) -> Bool {
        pos = from
        end = to
        failure = .none
        var s = 0
        while s < slotCount {
            slots[s].kind = SlotValue.absent
            s &+= 1
        }
        guard base[pos] == UInt8(ascii: "{") else { return fail(.notAnObject, pos) }
        let start = pos
        guard parseObject(0, 1) else { return false }
        if rootSlot >= 0 {
            slots[Int(rootSlot)] = SlotValue(start: start, length: Int32(truncatingIfNeeded: pos &- start), kind: SlotValue.literal)
        }
        skipWhitespace()
        guard pos == end else { return fail(.trailingData, pos) }
        return true
    }

    @inline(never)
    mutating func fail(_ what: JSONFailure, _ at: Int) -> Bool {
        if failure == .none {
            failure = what
            failurePos = at
        }
        return false
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            let b = base[pos]
            guard b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A else { return }
            pos &+= 1
        }
    }

    // MARK: Values

    mutating func parseValue(_ node: Int32, _ depth: Int) -> Bool {
        skipWhitespace()
        guard pos < end else { return fail(.truncated, pos) }
        let start = pos
        let b = base[pos]
        var kind = SlotValue.literal
        switch b {
        case UInt8(ascii: "\""):
            pos &+= 1
            let escaped = scanString()
            guard escaped >= 0 else { return false }
            if node >= 0 {
                let slot = nodes[Int(node)].slot
                if slot >= 0 {
                    slots[Int(slot)] = SlotValue(start: start &+ 1, length: Int32(truncatingIfNeeded: pos &- start &- 2),
                                                 kind: escaped == 0 ? SlotValue.plainString : SlotValue.escapedString)
                }
            }
            return true
        case UInt8(ascii: "{"):
            guard parseObject(node, depth &+ 1) else { return false }
        case UInt8(ascii: "["):
            guard parseArray(node, depth &+ 1) else { return false }
        case UInt8(ascii: "t"):
            guard literal(0x7472_7565, 4) else { return false }  // "true"
        case UInt8(ascii: "f"):
            guard literal(0x6661_6C73_65, 5) else { return false }  // "false"
        case UInt8(ascii: "n"):
            guard literal(0x6E75_6C6C, 4) else { return false }  // "null"
            kind = SlotValue.null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard scanNumber() else { return false }
        default:
            return fail(.unexpected, pos)
        }
        if node >= 0 {
            let slot = nodes[Int(node)].slot
            if slot >= 0 {
                slots[Int(slot)] = SlotValue(start: start, length: Int32(truncatingIfNeeded: pos &- start), kind: kind)
            }
        }
        return true
    }

    /// Matches `count` bytes spelled big-endian in `word` (e.g. "true"); a line that ends on a
    /// matching prefix is truncated.
    @inline(__always)
    mutating func literal(_ word: UInt64, _ count: Int) -> Bool {
        var i = 0
        while i < count {
            let expected = UInt8(truncatingIfNeeded: word >> (8 * UInt64(count - 1 - i)))
            let p = pos &+ i
            guard p < end else { return fail(.truncated, p) }
            guard base[p] == expected else { return fail(.badLiteral, pos) }
            i &+= 1
        }
        pos &+= count
        return true
    }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    mutating func scanNumber() -> Bool {
        var p = pos
        if base[p] == UInt8(ascii: "-") {
            p &+= 1
            guard p < end else { return fail(.truncated, p) }
        }
        let first = base[p]
        if first == UInt8(ascii: "0") {
            p &+= 1
        } else if Self.isDigit(first) {
            p &+= 1
            while p < end, Self.isDigit(base[p]) { p &+= 1 }
        } else {
            return fail(.badNumber, p)
        }
        if p < end, base[p] == UInt8(ascii: ".") {
            p &+= 1
            guard p < end else { return fail(.truncated, p) }
            guard Self.isDigit(base[p]) else { return fail(.badNumber, p) }
            while p < end, Self.isDigit(base[p]) { p &+= 1 }
        }
        if p < end, base[p] | 0x20 == UInt8(ascii: "e") {
            p &+= 1
            guard p < end else { return fail(.truncated, p) }
            if base[p] == UInt8(ascii: "+") || base[p] == UInt8(ascii: "-") {
                p &+= 1
                guard p < end else { return fail(.truncated, p) }
            }
            guard Self.isDigit(base[p]) else { return fail(.badNumber, p) }
            while p < end, Self.isDigit(base[p]) { p &+= 1 }
        }
        pos = p
        return true
    }

    // MARK: Strings

    /// Scans a string's content and its closing quote (`pos` is just after the opening quote).
    /// Returns -1 on failure, 0 without escapes, 1 with escapes.
    @inline(__always)
    mutating func scanString() -> Int {
        var escaped = 0
        while true {
            // Eight bytes at a time while none is a quote, a backslash, a control character or
            // non-ASCII.
            while pos &+ 8 <= end {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + pos).loadUnaligned(as: UInt64.self))
                let special = zeroBytes(word ^ 0x2222_2222_2222_2222) | zeroBytes(word ^ 0x5C5C_5C5C_5C5C_5C5C)
                    | zeroBytes(word & 0x6060_6060_6060_6060) | (word & 0x8080_8080_8080_8080)
                if special == 0 {
                    pos &+= 8
                    continue
                }
                pos &+= special.trailingZeroBitCount >> 3
                break
            }
            guard pos < end else {
                _ = fail(.truncated, pos)
                return -1
            }
            let b = base[pos]
            if b == UInt8(ascii: "\"") {
                pos &+= 1
                return escaped
            } else if b == UInt8(ascii: "\\") {
                escaped = 1
                guard scanEscape() else { return -1 }
            } else if b < 0x20 {
                _ = fail(.controlCharacter, pos)
                return -1
            } else if b >= 0x80 {
                guard scanUTF8Sequence() else { return -1 }
            } else {
                pos &+= 1
            }
        }
    }

    /// One multi-byte UTF-8 sequence at `pos` (strict: no overlongs, surrogates or > U+10FFFF).
    @inline(__always)
    mutating func scanUTF8Sequence() -> Bool {
        let b0 = base[pos]
        let need: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; upper = 0x9F
        case 0xF0: need = 3; lower = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; upper = 0x8F
        default: return fail(.invalidUTF8, pos)
        }
        var k = 1
        while k <= need {
            let p = pos &+ k
            // A line cut inside a character: the object is incomplete.
            guard p < end else { return fail(.truncated, p) }
            let b = base[p]
            if k == 1 {
                guard b >= lower, b <= upper else { return fail(.invalidUTF8, pos) }
            } else {
                guard b & 0xC0 == 0x80 else { return fail(.invalidUTF8, pos) }
            }
            k &+= 1
        }
        pos &+= need &+ 1
        return true
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> Int32 {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int32(b &- 0x30)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int32(b &- 0x57)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int32(b &- 0x37)
        default: -1
        }
    }

    /// Four hex digits at `p`: the code unit, -1 if not hex, -2 if the line ends first.
    @inline(__always)
    func hex4(_ p: Int) -> Int32 {
        var value: Int32 = 0
        var i = 0
        while i < 4 {
            guard p &+ i < end else { return -2 }
            let h = Self.hexValue(base[p &+ i])
            guard h >= 0 else { return -1 }
            value = value << 4 | h
            i &+= 1
        }
        return value
    }

    /// An escape at `pos` (the backslash); surrogate pairs must be complete.
    mutating func scanEscape() -> Bool {
        let p = pos
        guard p &+ 1 < end else { return fail(.truncated, p &+ 1) }
        switch base[p &+ 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            pos = p &+ 2
            return true
        case UInt8(ascii: "u"):
            let unit = hex4(p &+ 2)
            if unit == -2 { return fail(.truncated, end) }
            if unit < 0 { return fail(.badEscape, p) }
            pos = p &+ 6
            if unit >= 0xDC00, unit <= 0xDFFF { return fail(.loneSurrogate, p) }
            guard unit >= 0xD800, unit <= 0xDBFF else { return true }
            // A high surrogate must be followed by an escaped low surrogate.
            let q = pos
            if q >= end || (q &+ 1 >= end && base[q] == UInt8(ascii: "\\")) { return fail(.truncated, end) }
            guard base[q] == UInt8(ascii: "\\"), base[q &+ 1] == UInt8(ascii: "u") else { return fail(.loneSurrogate, p) }
            let low = hex4(q &+ 2)
            if low == -2 { return fail(.truncated, end) }
            if low < 0 { return fail(.badEscape, q) }
            guard low >= 0xDC00, low <= 0xDFFF else { return fail(.loneSurrogate, p) }
            pos = q &+ 6
            return true
        default:
            return fail(.badEscape, p)
        }
    }

    // MARK: Containers

    mutating func parseObject(_ node: Int32, _ depth: Int) -> Bool {
        guard depth <= Self.maxDepth else { return fail(.tooDeep, pos) }
        pos &+= 1  // '{'
        skipWhitespace()
        guard pos < end else { return fail(.truncated, pos) }
        if base[pos] == UInt8(ascii: "}") {
            pos &+= 1
            return true
        }
        let matching = node >= 0 && nodes[Int(node)].keyEdges > 0
        while true {
            guard pos < end else { return fail(.truncated, pos) }
            guard base[pos] == UInt8(ascii: "\"") else { return fail(.expectedKey, pos) }
            pos &+= 1
            let keyStart = pos
            let escaped = scanString()
            guard escaped >= 0 else { return false }
            var child: Int32 = -1
            if matching {
                child = matchKey(node, keyStart, pos &- 1, escaped == 1)
            }
            skipWhitespace()
            guard pos < end else { return fail(.truncated, pos) }
            guard base[pos] == UInt8(ascii: ":") else { return fail(.expectedColon, pos) }
            pos &+= 1
            if child >= 0 {
                // A repeated key: the last occurrence wins, as in JavaScript's JSON.parse.
                let n = nodes[Int(child)]
                var s = Int(n.slotLo)
                while s < Int(n.slotHi) {
                    slots[s].kind = SlotValue.absent
                    s &+= 1
                }
            }
            guard parseValue(child, depth) else { return false }
            skipWhitespace()
            guard pos < end else { return fail(.truncated, pos) }
            let c = base[pos]
            pos &+= 1
            if c == UInt8(ascii: ",") {
                skipWhitespace()
                continue
            }
            if c == UInt8(ascii: "}") { return true }
            return fail(.expectedCommaOrBrace, pos &- 1)
        }
    }

    mutating func parseArray(_ node: Int32, _ depth: Int) -> Bool {
        guard depth <= Self.maxDepth else { return fail(.tooDeep, pos) }
        pos &+= 1  // '['
        skipWhitespace()
        guard pos < end else { return fail(.truncated, pos) }
        if base[pos] == UInt8(ascii: "]") {
            pos &+= 1
            return true
        }
        var firstIndexEdge = 0
        var indexEdges = 0
        if node >= 0 {
            let n = nodes[Int(node)]
            firstIndexEdge = Int(n.firstEdge) &+ Int(n.keyEdges)
            indexEdges = Int(n.indexEdges)
        }
        var element: Int32 = 0
        while true {
            var child: Int32 = -1
            var e = firstIndexEdge
            while e < firstIndexEdge &+ indexEdges {
                if edges[e].index == element {
                    child = edges[e].child
                    break
                }
                e &+= 1
            }
            guard parseValue(child, depth) else { return false }
            skipWhitespace()
            guard pos < end else { return fail(.truncated, pos) }
            let c = base[pos]
            pos &+= 1
            if c == UInt8(ascii: ",") {
                element &+= 1
                continue
            }
            if c == UInt8(ascii: "]") { return true }
            return fail(.expectedCommaOrBracket, pos &- 1)
        }
    }

    /// The child of `node` whose key equals the key at `start..<end` (escapes decoded), or -1.
    @inline(__always)
    mutating func matchKey(_ node: Int32, _ start: Int, _ stop: Int, _ escaped: Bool) -> Int32 {
        let n = nodes[Int(node)]
        var key = base + start
        var length = stop &- start
        if escaped {
            ensureScratch(length)
            length = JSONText.decode(key, length, into: scratch)
            key = UnsafePointer(scratch)
        }
        var e = Int(n.firstEdge)
        let last = e &+ Int(n.keyEdges)
        while e < last {
            let edge = edges[e]
            if Int(edge.keyLength) == length,
               length == 0 || (keys[Int(edge.keyOffset)] == key[0] && memcmp(keys + Int(edge.keyOffset), key, length) == 0) {
                return edge.child
            }
            e &+= 1
        }
        return -1
    }
}

/// Decoding of validated JSON string content.
enum JSONText {
    /// Decodes the escapes of `count` bytes of validated string content into `target`, which may
    /// be `source` itself (the output is never longer than the input). Returns the decoded length.
    static func decode(_ source: UnsafePointer<UInt8>, _ count: Int, into target: UnsafeMutablePointer<UInt8>) -> Int {
        var i = 0
        var o = 0
        while i < count {
            let b = source[i]
            if b != UInt8(ascii: "\\") {
                target[o] = b
                o &+= 1
                i &+= 1
                continue
            }
            let c = source[i &+ 1]
            i &+= 2
            switch c {
            case UInt8(ascii: "b"): target[o] = 0x08
            case UInt8(ascii: "f"): target[o] = 0x0C
            case UInt8(ascii: "n"): target[o] = 0x0A
            case UInt8(ascii: "r"): target[o] = 0x0D
            case UInt8(ascii: "t"): target[o] = 0x09
            case UInt8(ascii: "u"):
                var scalar = UInt32(hex4(source + i))
                i &+= 4
                if scalar >= 0xD800, scalar <= 0xDBFF {
                    let low = UInt32(hex4(source + (i &+ 2)))
                    i &+= 6
                    scalar = 0x10000 &+ ((scalar &- 0xD800) << 10) &+ (low &- 0xDC00)
                }
                o &+= writeUTF8(scalar, target + o)
                continue
            default: target[o] = c  // '"', '\\', '/'
            }
            o &+= 1
        }
        return o
    }

    @inline(__always)
    static func hex4(_ p: UnsafePointer<UInt8>) -> Int32 {
        (JSONLineScanner.hexValue(p[0]) << 12) | (JSONLineScanner.hexValue(p[1]) << 8)
            | (JSONLineScanner.hexValue(p[2]) << 4) | JSONLineScanner.hexValue(p[3])
    }

    @inline(__always)
    static func writeUTF8(_ scalar: UInt32, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        switch scalar {
        case 0..<0x80:
            p[0] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            p[0] = UInt8(0xC0 | scalar >> 6)
            p[1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            p[0] = UInt8(0xE0 | scalar >> 12)
            p[1] = UInt8(0x80 | (scalar >> 6) & 0x3F)
            p[2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            p[0] = UInt8(0xF0 | scalar >> 18)
            p[1] = UInt8(0x80 | (scalar >> 12) & 0x3F)
            p[2] = UInt8(0x80 | (scalar >> 6) & 0x3F)
            p[3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }
}
