#if canImport(Glibc)
import Glibc
#endif

/// `path` made absolute against the current directory (a leading `./` is dropped).
public func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buffer, buffer.count) != nil else { return path }
    let cwd = String(cString: buffer)
    if path == "." { return cwd }
    return cwd + "/" + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
}

/// `path` made absolute and canonical: symbolic links, `.` and `..` resolved
/// through the longest prefix that exists (`realpath`), the rest (not created
/// yet) normalised lexically. `/a/b/../c` → `/a/c`; never fails.
public func canonicalPath(_ path: String) -> String {
    var existing = absolutePath(path)
    var rest: [Substring] = []
    while true {
        if let resolved = realpath(existing, nil) {
            defer { free(resolved) }
            var components = String(cString: resolved).split(separator: "/", omittingEmptySubsequences: true)
            for component in rest.reversed() {
                switch component {
                case ".": continue
                case "..": if !components.isEmpty { components.removeLast() }
                default: components.append(component)
                }
            }
            return "/" + components.joined(separator: "/")
        }
        guard let slash = existing.lastIndex(of: "/"), existing != "/" else { return existing }
        rest.append(existing[existing.index(after: slash)...])
        existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
    }
}

/// The directory holding the running executable, from /proc/self/exe.
public func executableDirectory() -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let slash = path.lastIndex(of: "/") else { return nil }
    return String(path[..<slash])
}
