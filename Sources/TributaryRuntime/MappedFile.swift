#if canImport(Glibc)
import Glibc
#endif
import TributaryCore

/// An input file mapped read-only into memory. Extraction reads it in parallel pieces without
/// copying; the kernel pages it in and out as needed, so files larger than memory work too.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: FileBytes
    private let address: UnsafeMutableRawPointer?
    private let length: Int

    init(path: String) throws(RunError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RunError.input("cannot open input file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw RunError.input("cannot stat input file \(path)") }
        length = Int(info.st_size)
        if length == 0 {
            address = nil
            bytes = FileBytes(UnsafeRawBufferPointer(start: nil, count: 0))
            return
        }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw RunError.input("cannot map input file \(path): \(String(cString: strerror(errno)))")
        }
        _ = madvise(mapped, length, MADV_SEQUENTIAL)
        address = mapped
        bytes = FileBytes(UnsafeRawBufferPointer(start: mapped, count: length))
    }

    deinit {
        if let address { munmap(address, length) }
    }
}
