#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage

/// Signed packages whose library is a placeholder (a valid ELF header for
/// this host, then filler bytes): what the store benchmark and tests install.
/// They pass every package check but cannot be loaded as plugins.
public enum SyntheticPackages {
    /// `size` bytes starting with a 64-bit little-endian ELF header for this host's machine.
    public static func placeholderLibrary(size: Int, seed: UInt64 = 1) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(size, 64))
        bytes[0...7] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0]
        bytes[16] = 3 // ET_DYN
        bytes[18] = UInt8(HostPlatform.elfMachine & 0xFF)
        bytes[19] = UInt8(HostPlatform.elfMachine >> 8)
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        for i in 64..<bytes.count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            bytes[i] = UInt8(truncatingIfNeeded: state)
        }
        return bytes
    }

    /// Writes a package of plugin `name` `version` to `path`, signed with `key`.
    @discardableResult
    public static func write(name: String, version: String, kind: PluginKind = .indicator, librarySize: Int = 4096,
                             dependencies: [String: String] = [:], permissions: [String] = [],
                             extraFiles: [String: String] = [:], key: SigningKeyFile, to path: String) throws -> String {
        guard let semantic = SemanticVersion(version) else {
            throw BourseError(.invalidValue, "'\(version)' is not a version", input: version)
        }
        let library = "lib/libbourse-\(name).so"
        let manifest = PackageManifest(name: name, version: semantic, kind: kind, summary: "\(name) (synthetic test package)",
                                       toolchain: "synthetic", library: library,
                                       dependencies: dependencies.sorted { $0.key < $1.key }.map { PackageDependency(name: $0.key, range: $0.value) },
                                       permissions: permissions)
        var files = [PackageFileContent(path: library, contents: placeholderLibrary(size: librarySize, seed: (name + version).utf8.reduce(UInt64(7)) { $0 &* 31 &+ UInt64($1) }), executable: true)]
        for (file, text) in extraFiles.sorted(by: { $0.key < $1.key }) { files.append(PackageFileContent(path: file, contents: Array(text.utf8))) }
        return try PackageWriter.write(manifest: manifest, files: files, signingKey: key, to: path)
    }
}
