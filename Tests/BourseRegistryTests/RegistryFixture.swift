#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
@testable import BourseRegistry
import BourseTestSupport
import Foundation

/// A fixed clock: the registry's metadata is signed "now" and checked at `now + offset`.
let fixtureNow = Date(timeIntervalSince1970: 1_800_000_000)

/// A registry directory with a key, a publisher and some published versions.
final class RegistryFixture {
    let temporary = TemporaryDirectory(prefix: "bourse-registry")
    let key = SigningKeyFile()
    var directory: String { temporary.file("registry") }
    var publisher: RegistryPublisher
    let root: SignedMetadata<RootMetadata>

    /// Creates a registry with ema 1.0.0, ema 1.1.0, ema 2.0.0 and rsi 1.0.0.
    init(publish: Bool = true) throws {
        var publisher = RegistryPublisher(directory: temporary.file("registry"), key: key)
        publisher.now = { fixtureNow }
        self.publisher = publisher
        root = try publisher.initialize(name: "fixture")
        if publish {
            for version in ["1.0.0", "1.1.0", "2.0.0"] { try self.publish("ema", version) }
            try self.publish("rsi", "1.0.0", dependencies: [PackageDependency(name: "ema", range: "^1")])
        }
    }

    /// The bytes published as the archive of `name`@`version` (not a real package: the registry only hashes it).
    static func archiveBytes(_ name: String, _ version: String) -> Data {
        Data("archive of \(name) \(version)\n".utf8)
    }

    @discardableResult
    func publish(_ name: String, _ version: String, dependencies: [PackageDependency] = []) throws -> RegistryIndexEntry {
        let manifest = PackageManifest(name: name, version: SemanticVersion(version)!, kind: .indicator, toolchain: "test",
                                       library: "lib/libbourse-\(name).so", dependencies: dependencies, permissions: ["threads"])
        return try publisher.publish(archive: Self.archiveBytes(name, version), manifest: manifest)
    }

    /// A registry record trusting this registry's root.
    func record(name: String = "test", location: String? = nil) throws -> RegistryRecord {
        RegistryRecord(name: name, location: location ?? directory, trustedRoot: try root.encoded())
    }

    /// A client over the directory, checking expiry at `fixtureNow + offset`.
    func client(state: RegistryStateStore = InMemoryRegistryStateStore(), location: String? = nil,
                offset: TimeInterval = 60) throws -> RegistryClient {
        let record = try record(location: location)
        try state.saveRegistry(record)
        return try RegistryClient(record: record, state: state, now: { fixtureNow.addingTimeInterval(offset) })
    }

    func path(_ relative: String) -> String { directory + "/" + relative }

    func read(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(relative))) }

    func write(_ relative: String, _ data: Data) throws { try data.write(to: URL(fileURLWithPath: path(relative))) }
}

/// Sends one raw HTTP request to 127.0.0.1:`port` and returns the status code
/// (URLSession would normalise `..` away before sending it).
func rawHTTPStatus(port: UInt16, requestLine: String) -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let request = Array("\(requestLine)\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
    var response = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        response += buffer[0..<n]
    }
    let statusLine = String(decoding: response, as: UTF8.self).split(separator: "\r\n").first ?? ""
    let parts = statusLine.split(separator: " ")
    return parts.count >= 2 ? Int(parts[1]) : nil
}
