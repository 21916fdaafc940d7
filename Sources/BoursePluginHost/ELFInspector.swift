#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// Checks, without loading it, that a file is an ELF shared object this
/// process can load: right class, byte order and machine, and every header
/// and segment inside the file. `dlopen` of a truncated object maps pages
/// past the end of the file and kills the process with SIGBUS on first
/// touch, so this check must pass before `dlopen` is called.
public enum ELFInspector {
    /// What the header says.
    public struct Summary: Sendable, Equatable {
        /// `e_machine` value.
        public var machine: UInt16
        /// Human name of the machine.
        public var machineName: String
        /// Size of the file in bytes.
        public var fileSize: Int
        /// Number of program headers.
        public var programHeaders: Int
    }

    /// `e_machine` of the architecture this host was built for.
    public static var hostMachine: UInt16 {
        #if arch(x86_64)
        return 62
        #elseif arch(arm64)
        return 183
        #else
        return 0
        #endif
    }

    /// Name of an `e_machine` value.
    public static func machineName(_ machine: UInt16) -> String {
        switch machine {
        case 3: "i386"
        case 8: "mips"
        case 20: "ppc"
        case 21: "ppc64"
        case 40: "arm"
        case 62: "x86_64"
        case 183: "aarch64"
        case 243: "riscv"
        default: "machine \(machine)"
        }
    }

    /// Inspects the file at `path`; throws a `BourseError` naming `plugin`
    /// and the cause when it is not loadable.
    public static func check(path: String, plugin: String) throws -> Summary {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let err = errno
            if err == ENOENT {
                throw BourseError(.fileNotFound, "plugin '\(plugin)': no such file \(path)", input: path)
            }
            throw BourseError(.io, "plugin '\(plugin)': cannot open \(path): \(String(cString: strerror(err)))", input: path)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw BourseError(.io, "plugin '\(plugin)': cannot stat \(path): \(String(cString: strerror(errno)))", input: path)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw BourseError(.notELF, "plugin '\(plugin)': \(path) is not a regular file", input: path)
        }
        let size = Int(st.st_size)
        let header = try readBytes(fd, offset: 0, count: min(64, size))
        guard header.count >= 4, header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46 else {
            throw BourseError(.notELF, "plugin '\(plugin)': \(path) is not an ELF file (no ELF magic)", input: path)
        }
        guard header.count >= 16 else {
            throw BourseError(.truncatedFile, "plugin '\(plugin)': \(path) is truncated: \(size) bytes, shorter than an ELF header", input: path)
        }
        guard header[4] == 2 else {
            throw BourseError(.wrongArchitecture, "plugin '\(plugin)': \(path) is a 32-bit ELF file; this host is 64-bit", input: path)
        }
        guard header[5] == 1 else {
            throw BourseError(.wrongArchitecture, "plugin '\(plugin)': \(path) is big-endian; this host is little-endian", input: path)
        }
        guard header.count == 64 else {
            throw BourseError(.truncatedFile, "plugin '\(plugin)': \(path) is truncated: \(size) bytes, shorter than an ELF header", input: path)
        }
        let type = u16(header, 16)
        let machine = u16(header, 18)
        guard machine == hostMachine else {
            throw BourseError(.wrongArchitecture, "plugin '\(plugin)': \(path) is built for \(machineName(machine)); this host is \(machineName(hostMachine))", input: path)
        }
        guard type == 3 else {  // ET_DYN
            let kind = [1: "a relocatable object (.o)", 2: "an executable", 4: "a core dump"][Int(type)] ?? "ELF type \(type)"
            throw BourseError(.notSharedObject, "plugin '\(plugin)': \(path) is \(kind), not a shared object (.so)", input: path)
        }
        // Offsets are untrusted 64-bit values: anything past Int.max is
        // certainly past the end of the file.
        let phoff = Int(exactly: u64(header, 32)) ?? Int.max
        let shoff = Int(exactly: u64(header, 40)) ?? Int.max
        let phentsize = Int(u16(header, 54))
        let phnum = Int(u16(header, 56))
        let shentsize = Int(u16(header, 58))
        let shnum = Int(u16(header, 60))
        func truncated(_ what: String, _ end: Int) -> BourseError {
            BourseError(.truncatedFile, "plugin '\(plugin)': \(path) is truncated or corrupt: \(what) ends at byte \(end) but the file has \(size) bytes", input: path)
        }
        guard phentsize == 56, phnum > 0 else {
            throw BourseError(.notSharedObject, "plugin '\(plugin)': \(path) has no valid program headers", input: path)
        }
        let phEnd = phoff.addingReportingOverflow(phnum * phentsize)
        guard !phEnd.overflow, phEnd.partialValue <= size else {
            throw truncated("the program header table", phEnd.overflow ? Int.max : phEnd.partialValue)
        }
        if shoff != 0 {
            let shEnd = shoff.addingReportingOverflow(shnum * shentsize)
            guard !shEnd.overflow, shEnd.partialValue <= size else {
                throw truncated("the section header table", shEnd.overflow ? Int.max : shEnd.partialValue)
            }
        }
        let table = try readBytes(fd, offset: phoff, count: phnum * phentsize)
        for i in 0..<phnum {
            let base = i * phentsize
            let offset = u64(table, base + 8)
            let fileSize = u64(table, base + 32)
            let (end, overflow) = offset.addingReportingOverflow(fileSize)
            guard !overflow, end <= UInt64(size) else {
                throw truncated("segment \(i)", Int(exactly: end) ?? Int.max)
            }
        }
        return Summary(machine: machine, machineName: machineName(machine), fileSize: size, programHeaders: phnum)
    }

    static func readBytes(_ fd: Int32, offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BourseError(.io, "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            done += n
        }
        return Array(bytes[0..<done])
    }

    private static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
    private static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(b[at + k]) << (8 * UInt64(k)) }
        return v
    }
}
