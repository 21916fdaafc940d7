#if canImport(Glibc)
import Glibc
#endif

/// What a worker may read while it loads and creates a plugin (the loader
/// stage): the Landlock read layer ``Landlock/restrictLoaderReads(to:)``
/// grants exactly these paths.
///
/// Seccomp lets `openat` through read-only in the loader stage because
/// `dlopen` must read libraries, but it cannot check which file. Without this
/// layer a plugin constructor could open `/etc/shadow`, the registry's keys or
/// `/proc/HOST/fd/N` and keep the descriptor into the strict stage. The layer
/// allows:
/// - the plugin file, and the shared libraries next to it (`$ORIGIN`
///   dependencies): files, not the directory, which may hold anything;
/// - the directories of the shared libraries the worker itself has loaded
///   (from `/proc/self/maps`: the Swift runtime, libc), the standard library
///   directories (`/lib`, `/lib64`, `/usr/lib`, `/usr/lib64`,
///   `/usr/local/lib`) and those listed in `/etc/ld.so.conf`;
/// - what the C and Swift runtimes read while loading: `/etc/ld.so.cache`,
///   `/etc/localtime`, `/usr/share/zoneinfo`, `/usr/share/locale`,
///   `/sys/devices/system/cpu` (CPU count), `/dev/null`, `/dev/zero`,
///   `/dev/urandom`, `/dev/random`;
/// - the worker's own `/proc/PID` directory (`/proc/self/maps`,
///   `/proc/self/status`…), by its real path: never another process's;
/// - the node's read-paths and write-paths (layers stack: what the strict
///   stage grants must be granted here too).
public enum LoaderReadAccess {
    /// Library directories searched by the dynamic loader on every glibc system.
    public static let systemLibraryDirectories = ["/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib"]

    /// Files and directories the C library, the Swift runtime and Foundation
    /// read while loading and creating a plugin.
    public static let runtimePaths = [
        "/etc/ld.so.cache", "/etc/localtime", "/usr/share/zoneinfo", "/usr/share/locale", "/sys/devices/system/cpu",
        "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random",
    ]

    /// Every path the loader stage may read for `plugin` (nil: no plugin yet,
    /// as for the probe's actions without `dlopen`) under `permissions`,
    /// absolute, existing and without duplicates.
    public static func paths(plugin: String?, permissions: PluginPermissions) -> [String] {
        var paths: [String] = []
        if let plugin { paths += pluginFiles(plugin) }
        paths += loadedLibraryDirectories()
        paths += systemLibraryDirectories
        paths += loaderConfigurationDirectories()
        paths += runtimePaths
        paths.append("/proc/\(getpid())")
        paths += permissions.readPaths + permissions.writePaths
        var seen = Set<String>()
        return paths.filter { $0.hasPrefix("/") && exists($0) && seen.insert($0).inserted }
    }

    /// The plugin file and the shared libraries (`*.so`, `*.so.N`) in its
    /// directory, for the path as given and, when it is a symbolic link or
    /// relative, as resolved.
    static func pluginFiles(_ plugin: String) -> [String] {
        var candidates = [plugin]
        if let resolved = realpath(plugin, nil) {
            candidates.append(String(cString: resolved))
            free(resolved)
        }
        var files: [String] = []
        for path in candidates where path.hasPrefix("/") {
            files.append(path)
            let slash = path.lastIndex(of: "/")!
            let directory = slash == path.startIndex ? "/" : String(path[..<slash])
            guard let stream = opendir(directory) else { continue }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name.hasSuffix(".so") || name.contains(".so.") {
                    files.append((directory == "/" ? "" : directory) + "/" + name)
                }
            }
        }
        return files.filter { isRegularFile($0) }
    }

    /// Directories of the shared libraries mapped in this process (not the
    /// executable's own directory).
    static func loadedLibraryDirectories() -> [String] {
        guard let maps = readText("/proc/self/maps") else { return [] }
        var directories: [String] = []
        for line in maps.split(separator: "\n") {
            guard let start = line.firstIndex(of: "/") else { continue }
            let path = String(line[start...])
            guard let slash = path.lastIndex(of: "/") else { continue }
            let name = path[path.index(after: slash)...]
            guard name.hasSuffix(".so") || name.contains(".so.") else { continue }
            directories.append(String(path[..<slash]))
        }
        return directories
    }

    /// The directories named in `/etc/ld.so.conf` and the files it includes.
    static func loaderConfigurationDirectories(_ file: String = "/etc/ld.so.conf", depth: Int = 0) -> [String] {
        guard depth < 4, let text = readText(file) else { return [] }
        var directories: [String] = []
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?
                .trimmed(of: " \t") ?? ""
            if line.hasPrefix("include ") || line.hasPrefix("include\t") {
                let pattern = line.dropFirst(8).trimmed(of: " \t")
                for included in glob(pattern) { directories += loaderConfigurationDirectories(included, depth: depth + 1) }
            } else if line.hasPrefix("/") {
                directories.append(line)
            }
        }
        return directories
    }

    /// The whole content of a (small) file, or nil when it cannot be read.
    public static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
    }

    private static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }
}

private extension StringProtocol {
    /// The text without leading and trailing characters of `set`.
    func trimmed(of set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
