#if canImport(Glibc)
import Glibc
#endif

// Byte-level helpers shared by the extractors' hot paths: word-at-a-time (SWAR) searches over
// UTF-8 / single-byte text, without allocation.

/// One bit per byte of a `zeroBytes` result: bit k is set when byte k (from the lowest address) was zero.
@inline(__always)
func movemask(_ highBits: UInt64) -> UInt64 {
    ((highBits >> 7) &* 0x0102_0408_1020_4080) >> 56
}

/// The high bit of each byte of `x` that is zero, and no other bit.
@inline(__always)
func zeroBytes(_ x: UInt64) -> UInt64 {
    let low7 = 0x7F7F_7F7F_7F7F_7F7F as UInt64
    return ~(((x & low7) &+ low7) | x) & ~low7
}

/// Whether `count` bytes are all ASCII, eight at a time.
@inline(__always)
func isASCII(_ p: UnsafeRawPointer, _ count: Int) -> Bool {
    var i = 0
    var acc: UInt64 = 0
    while i + 8 <= count {
        acc |= p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        i += 8
    }
    while i < count {
        acc |= UInt64(p.load(fromByteOffset: i, as: UInt8.self))
        i += 1
    }
    return acc & 0x8080_8080_8080_8080 == 0
}

/// The offset just past the next line feed at or after `pos`, or `end`.
@inline(__always)
func nextLineStart(_ base: UnsafePointer<UInt8>, _ pos: Int, _ end: Int) -> Int {
    guard pos < end else { return end }
    if let found = memchr(base + pos, 0x0A, end - pos) {
        return UnsafeRawPointer(found) - UnsafeRawPointer(base) + 1
    }
    return end
}

/// The number of line feeds in `base[from..<to]`, eight bytes at a time.
func countLineFeeds(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Int {
    let raw = UnsafeRawPointer(base)
    let newlines = 0x0101_0101_0101_0101 &* UInt64(0x0A)
    var count = 0
    var i = from
    while i + 8 <= to {
        count += zeroBytes(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ newlines).nonzeroBitCount
        i += 8
    }
    while i < to {
        if base[i] == 0x0A { count += 1 }
        i += 1
    }
    return count
}

/// Whether the bytes hold only white space and line ends.
@inline(__always)
func isBlank(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
    var i = from
    while i < to {
        let b = base[i]
        if b != 0x0A && b != 0x0D && b != 0x20 && b != 0x09 { return false }
        i += 1
    }
    return true
}
