#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CBourseABI
import Synchronization

/// What a plugin says about itself in its descriptor.
public struct PluginInfo: Sendable, Equatable {
    /// Plugin name, e.g. `ema`.
    public var name: String
    /// Semantic version.
    public var version: String
    /// Kind.
    public var kind: PluginKind
    /// ABI version it was built against.
    public var abi: ABIVersion
    /// Compiler it was built with.
    public var toolchain: String
    /// One-line description (may be empty).
    public var summary: String
    /// Permissions the plugin asks for, as written in its descriptor
    /// (ABI ≥ 1.1; empty for 1.0 plugins and plugins that need none).
    public var permissions: String
    /// Where it was loaded from.
    public var path: String

    /// Creates the facts of a descriptor (as read by a loader or a worker).
    public init(name: String, version: String, kind: PluginKind, abi: ABIVersion, toolchain: String,
                summary: String, permissions: String, path: String) {
        self.name = name
        self.version = version
        self.kind = kind
        self.abi = abi
        self.toolchain = toolchain
        self.summary = summary
        self.permissions = permissions
        self.path = path
    }
}

/// A loaded plugin library: the `.so` is mapped for the life of the process
/// (loaded with RTLD_NODELETE and never closed: unloading a Swift library
/// corrupts the runtime's metadata caches later).
public final class PluginLibrary: @unchecked Sendable {
    /// The descriptor's facts.
    public let info: PluginInfo
    /// The descriptor itself (static storage inside the library).
    public let descriptor: UnsafePointer<bourse_plugin_descriptor>
    /// The plugin's function table, copied up to its `struct_size` (fields
    /// a smaller, older table lacks are zero/NULL).
    public let api: bourse_plugin_api

    private init(info: PluginInfo, descriptor: UnsafePointer<bourse_plugin_descriptor>, api: bourse_plugin_api) {
        self.info = info
        self.descriptor = descriptor
        self.api = api
    }

    private static let cache = Mutex([String: PluginLibrary]())

    /// `sizeof(bourse_plugin_descriptor)` in ABI 1.0 (frozen).
    static let descriptorSizeV1_0 = 64
    /// `sizeof(bourse_plugin_api)` in ABI 1.0 (frozen).
    static let pluginAPISizeV1_0 = 64

    /// Loads (once per real path) and validates the plugin at `path`.
    /// `label` names the plugin in errors (the graph node or the path).
    /// Every failure is a `BourseError`; none crashes the process.
    public static func load(path: String, label: String? = nil) throws -> PluginLibrary {
        let label = label ?? path
        _ = try ELFInspector.check(path: path, plugin: label)
        let key = realpath(path, nil).map { p in defer { free(p) }; return String(cString: p) } ?? path
        if let cached = cache.withLock({ $0[key] }) { return cached }

        // dlopen is process-global; serialise it so dlerror() belongs to us.
        return try cache.withLock { table in
            if let cached = table[key] { return cached }
            _ = dlerror()
            guard let handle = dlopen(key, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
                let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
                throw BourseError(.loadFailed, "plugin '\(label)': cannot load \(path): \(reason)", input: path)
            }
            // The handle is deliberately never dlclose'd.
            guard let symbol = dlsym(handle, BOURSE_PLUGIN_ENTRY_SYMBOL) else {
                throw BourseError(.entrySymbolMissing, "plugin '\(label)': \(path) does not export the entry symbol '\(BOURSE_PLUGIN_ENTRY_SYMBOL)'; is it a Bourse plugin?", input: path)
            }
            let entry = unsafeBitCast(symbol, to: bourse_plugin_entry_fn.self)
            guard let descriptor = entry() else {
                throw BourseError(.invalidDescriptor, "plugin '\(label)': the entry function of \(path) returned NULL", input: path)
            }
            let library = try validate(descriptor: descriptor, path: path, label: label)
            table[key] = library
            return library
        }
    }

    /// Checks a descriptor against the host's ABI rules.
    static func validate(descriptor: UnsafePointer<bourse_plugin_descriptor>, path: String, label: String) throws -> PluginLibrary {
        // Copy only the bytes the plugin says its descriptor has: a plugin
        // built against an older minor has a smaller struct.
        let d = readPrefix(descriptor, declaredSize: Int(descriptor.pointee.struct_size))
        func invalid(_ why: String) -> BourseError {
            BourseError(.invalidDescriptor, "plugin '\(label)': invalid descriptor in \(path): \(why)", input: path)
        }
        let plugin = ABIVersion(major: d.abi_major, minor: d.abi_minor)
        guard ABIVersion.host.accepts(plugin: plugin) else {
            let rule = plugin.major != ABIVersion.host.major
                ? "the major versions differ"
                : "the plugin needs a newer minor version than the host has"
            throw BourseError(.abiMismatch, "plugin '\(label)': built for plugin ABI \(plugin), this host supports ABI \(ABIVersion.host.major).0 to \(ABIVersion.host) (\(rule))", input: "\(plugin)")
        }
        // ABI 1.0 is the first version: its whole descriptor and table are
        // the minimum. Frozen numbers: later minors only add at the end.
        let minimum = PluginLibrary.descriptorSizeV1_0
        guard Int(d.struct_size) >= minimum else {
            throw invalid("struct_size \(d.struct_size) is smaller than the \(minimum) bytes of ABI 1.0")
        }
        guard let kind = PluginKind(rawValue: d.kind) else { throw invalid("unknown kind \(d.kind)") }
        guard let namePointer = d.name, let versionPointer = d.version else { throw invalid("name or version is NULL") }
        let name = String(cString: namePointer)
        let version = String(cString: versionPointer)
        guard isValidPluginName(name) else { throw invalid("name '\(name)' must be 1-64 characters of a-z, 0-9 and '-'") }
        guard SemanticVersion(version) != nil else { throw invalid("version '\(version)' is not a semantic version (MAJOR.MINOR.PATCH)") }
        guard let api = d.api else { throw invalid("function table is NULL") }
        let table = readPrefix(api, declaredSize: Int(api.pointee.struct_size))
        let minimumAPI = PluginLibrary.pluginAPISizeV1_0
        guard Int(table.struct_size) >= minimumAPI else {
            throw invalid("function table struct_size \(table.struct_size) is smaller than the \(minimumAPI) bytes of ABI 1.0")
        }
        var missing: [String] = []
        if table.create == nil { missing.append("create") }
        if table.start == nil { missing.append("start") }
        if table.flush == nil { missing.append("flush") }
        if table.stop == nil { missing.append("stop") }
        if table.destroy == nil { missing.append("destroy") }
        if kind == .source, table.poll == nil { missing.append("poll (required for sources)") }
        if kind != .source, table.on_messages == nil { missing.append("on_messages (required for \(kind)s)") }
        guard missing.isEmpty else {
            throw BourseError(.missingFunction, "plugin '\(label)' (\(name) \(version)): NULL function in its table: \(missing.joined(separator: ", "))", input: path)
        }
        let info = PluginInfo(
            name: name, version: version, kind: kind, abi: plugin,
            toolchain: d.toolchain.map { String(cString: $0) } ?? "unknown",
            summary: d.description.map { String(cString: $0) } ?? "",
            permissions: PluginLibrary.permissions(of: d),
            path: path)
        return PluginLibrary(info: info, descriptor: descriptor, api: table)
    }
}

extension PluginLibrary {
    /// The descriptor's `permissions` (ABI 1.1); empty when the plugin's
    /// descriptor is too small to have the field (it was zeroed by readPrefix).
    static func permissions(of descriptor: bourse_plugin_descriptor) -> String {
        descriptor.permissions.map { String(cString: $0) } ?? ""
    }
}

/// Whether `name` is a valid plugin name: 1-64 bytes of `a-z`, `0-9`, `-`.
public func isValidPluginName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    return !bytes.isEmpty && bytes.count <= 64
        && bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
}

/// A copy of the first `declaredSize` bytes of `pointer` (at most the whole
/// struct), the rest zero: how the host reads a struct that may come from a
/// plugin built against an older, smaller version of the ABI.
func readPrefix<T>(_ pointer: UnsafePointer<T>, declaredSize: Int) -> T {
    let size = min(max(declaredSize, 0), MemoryLayout<T>.size)
    let storage = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
    defer { storage.deallocate() }
    storage.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.size)
    storage.copyMemory(from: UnsafeRawPointer(pointer), byteCount: size)
    return storage.load(as: T.self)
}
