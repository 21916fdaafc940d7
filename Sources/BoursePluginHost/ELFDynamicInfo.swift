import BourseCore
import Glibc

extension ELFInspector {
    /// What a shared object exports, read from its section headers.
    public struct DynamicInfo: Sendable, Equatable {
        /// `DT_SONAME`, if the object has one.
        public var soname: String?
        /// Names of the defined global and weak symbols of `.dynsym` with
        /// default or protected visibility, sorted (what `dlsym` can find).
        public var exportedSymbols: [String]
        /// The `DT_NEEDED` entries: the libraries the object links, in order.
        public var neededLibraries: [String] = []
    }

    /// Reads the SONAME and the exported dynamic symbols of the ELF shared
    /// object at `path` (after ``check(path:plugin:)`` accepted it). Throws
    /// `BourseError(.truncatedFile)` when a table lies outside the file.
    public static func dynamicInfo(path: String, plugin: String) throws -> DynamicInfo {
        let summary = try check(path: path, plugin: plugin)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw BourseError(.io, "plugin '\(plugin)': cannot read \(path): \(String(cString: strerror(errno)))", input: path)
        }
        defer { close(fd) }
        let bytes = try readBytes(fd, offset: 0, count: summary.fileSize)
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func u64(_ at: Int) -> Int { Int(truncatingIfNeeded: UInt64(u32(at)) | UInt64(u32(at + 4)) << 32) }
        func corrupt(_ what: String) -> BourseError {
            BourseError(.truncatedFile, "plugin '\(plugin)': \(path) is corrupt: \(what) lies outside the file", input: path)
        }
        func inFile(_ offset: Int, _ size: Int) -> Bool { offset >= 0 && size >= 0 && offset <= bytes.count && size <= bytes.count - offset }
        struct Section { var type: Int; var offset: Int; var size: Int; var link: Int; var entrySize: Int }
        let shoff = u64(40), shentsize = u16(58), shnum = u16(60)
        guard shoff != 0, shentsize == 64, inFile(shoff, shnum * 64) else { return DynamicInfo(soname: nil, exportedSymbols: []) }
        let sections = (0..<shnum).map { index -> Section in
            let base = shoff + index * 64
            return Section(type: u32(base + 4), offset: u64(base + 24), size: u64(base + 32), link: u32(base + 40), entrySize: u64(base + 56))
        }
        func string(in table: Section, at offset: Int) throws -> String {
            guard inFile(table.offset, table.size), offset >= 0, offset < table.size else { throw corrupt("a string table entry") }
            let start = table.offset + offset
            let end = bytes[start..<(table.offset + table.size)].firstIndex(of: 0) ?? (table.offset + table.size)
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        var info = DynamicInfo(soname: nil, exportedSymbols: [])
        for section in sections where section.type == 11 || section.type == 6 {  // SHT_DYNSYM, SHT_DYNAMIC
            guard inFile(section.offset, section.size), section.link < sections.count else { throw corrupt("a dynamic section") }
            let strings = sections[section.link]
            if section.type == 11 {
                guard section.entrySize == 24 else { throw corrupt("the dynamic symbol table") }
                for index in 1..<max(1, section.size / 24) {
                    let base = section.offset + index * 24
                    let (infoByte, other, sectionIndex) = (bytes[base + 4], bytes[base + 5], u16(base + 6))
                    let binding = infoByte >> 4, visibility = other & 3
                    guard sectionIndex != 0, binding == 1 || binding == 2, visibility == 0 || visibility == 3 else { continue }
                    info.exportedSymbols.append(try string(in: strings, at: u32(base)))
                }
            } else {
                for index in 0..<(section.size / 16) {
                    let base = section.offset + index * 16
                    let tag = u64(base)
                    if tag == 0 { break }
                    if tag == 14 { info.soname = try string(in: strings, at: u64(base + 8)) }  // DT_SONAME
                    if tag == 1 { info.neededLibraries.append(try string(in: strings, at: u64(base + 8))) }  // DT_NEEDED
                }
            }
        }
        info.exportedSymbols.sort()
        return info
    }
}
