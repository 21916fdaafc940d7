#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePluginHost
import BourseTestSupport
import CBourseABI
import Foundation
import Testing

/// Minimal NodeServices for creating instances without a graph.
final class StubServices: NodeServices {
    let nodeID: UInt32 = 1
    let nodeName = "stub"
    let outputTopics: [UInt32] = [1]
    var published = 0
    func publish(_ messages: UnsafeBufferPointer<UnsafePointer<bourse_message>>) throws { published += messages.count }
    func log(level: Int32, message: String) {}
    func counterID(named name: String) -> UInt32 { 1 }
    func addToCounter(_ id: UInt32, _ delta: Int64) {}
    func topicID(named name: String) -> UInt32 { name == "out" ? 1 : 0 }
    func topicName(of id: UInt32) -> String? { id == 1 ? "out" : nil }
    func instrumentID(named symbol: String) -> UInt32 { 1 }
    func instrumentName(of id: UInt32) -> String? { "TEST" }
    func declareFields(topicID: UInt32, names: [String]) throws {}
    func fieldNames(of topicID: UInt32) -> [String] { [] }
}

/// Expects `body` to throw a BourseError with `code` whose message mentions every string in `mentions`.
func expectError(_ code: BourseError.Code, mentioning mentions: [String], _ body: () throws -> Void,
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
    } catch let error as BourseError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        for text in mentions {
            #expect(error.message.contains(text), "'\(error.message)' should mention '\(text)'", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("Plugin loader")
struct LoaderTests {
    let host = InProcessPluginHost()

    @Test("a valid C plugin loads and reports its descriptor")
    func loadsValidPlugin() throws {
        let path = try FixturePlugins.build(name: "fixture-source")
        let info = try host.inspect(path: path, label: "node-a")
        #expect(info.name == "fixture-source")
        #expect(info.version == "1.0.0")
        #expect(info.kind == .source)
        #expect(info.abi == ABIVersion.host)
        #expect(info.toolchain.hasPrefix("gcc-") || info.toolchain.hasPrefix("clang-"))
    }

    @Test("missing file")
    func missingFile() {
        expectError(.fileNotFound, mentioning: ["node-a", "/nonexistent/libx.so"]) {
            _ = try host.inspect(path: "/nonexistent/libx.so", label: "node-a")
        }
    }

    @Test("not an ELF file")
    func notELF() throws {
        let dir = TemporaryDirectory()
        let path = try dir.write("libtext.so", "this is not a shared object\n")
        expectError(.notELF, mentioning: ["node-a", "ELF"]) { _ = try host.inspect(path: path, label: "node-a") }
        let empty = try dir.write("libempty.so", "")
        expectError(.notELF, mentioning: ["node-a"]) { _ = try host.inspect(path: empty, label: "node-a") }
    }

    @Test("wrong architecture")
    func wrongArchitecture() throws {
        let dir = TemporaryDirectory()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try FixturePlugins.build(name: "fixture-source"))))
        let other: UInt16 = ELFInspector.hostMachine == 62 ? 183 : 62
        bytes[18] = UInt8(other & 0xFF)
        bytes[19] = UInt8(other >> 8)
        let path = dir.file("libforeign.so")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        expectError(.wrongArchitecture, mentioning: ["node-a", ELFInspector.machineName(other), ELFInspector.machineName(ELFInspector.hostMachine)]) {
            _ = try host.inspect(path: path, label: "node-a")
        }
    }

    @Test("a truncated .so is refused before dlopen (which would SIGBUS)")
    func truncated() throws {
        let dir = TemporaryDirectory()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: try FixturePlugins.build(name: "fixture-source")))
        for fraction in [0.5, 0.9] {
            let path = dir.file("libcut\(fraction).so")
            try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: URL(fileURLWithPath: path))
            expectError(.truncatedFile, mentioning: ["node-a", "truncated"]) { _ = try host.inspect(path: path, label: "node-a") }
        }
        let header = dir.file("libheader.so")
        try bytes.prefix(40).write(to: URL(fileURLWithPath: header))
        expectError(.truncatedFile, mentioning: ["node-a"]) { _ = try host.inspect(path: header, label: "node-a") }
    }

    @Test("an executable or object file is not a shared object")
    func notSharedObject() throws {
        expectError(.notSharedObject, mentioning: ["executable"]) {
            _ = try host.inspect(path: "/usr/bin/cc", label: "node-a")
        }
    }

    @Test("missing entry symbol")
    func missingEntry() throws {
        let path = try FixturePlugins.build(name: "fixture-no-entry", defines: ["FIXTURE_NO_ENTRY"])
        expectError(.entrySymbolMissing, mentioning: ["node-a", "bourse_plugin_entry_v1"]) { _ = try host.inspect(path: path, label: "node-a") }
    }

    @Test("entry returning NULL")
    func nullDescriptor() throws {
        let path = try FixturePlugins.build(name: "fixture-null-descriptor", defines: ["FIXTURE_NULL_DESCRIPTOR"])
        expectError(.invalidDescriptor, mentioning: ["NULL"]) { _ = try host.inspect(path: path, label: "node-a") }
    }

    @Test("NULL function in the table")
    func nullFunction() throws {
        let path = try FixturePlugins.build(name: "fixture-null-start", defines: ["FIXTURE_NULL_START"])
        expectError(.missingFunction, mentioning: ["node-a", "start"]) { _ = try host.inspect(path: path, label: "node-a") }
    }

    @Test("ABI major mismatch names both versions")
    func majorMismatch() throws {
        let path = try FixturePlugins.build(name: "fixture-abi2", defines: ["FIXTURE_ABI_MAJOR=2"])
        expectError(.abiMismatch, mentioning: ["node-a", "2.2", "1.0 to 1.2", "major"]) { _ = try host.inspect(path: path, label: "node-a") }
    }

    @Test("ABI minor newer than the host is refused; equal is accepted")
    func minorMismatch() throws {
        let newer = try FixturePlugins.build(name: "fixture-abi-1-9", defines: ["FIXTURE_ABI_MINOR=9"])
        expectError(.abiMismatch, mentioning: ["1.9", "1.0 to 1.2", "minor"]) { _ = try host.inspect(path: newer, label: "node-a") }
    }

    @Test("wrong kind for the node")
    func wrongKind() throws {
        let path = try FixturePlugins.build(name: "fixture-source")
        expectError(.wrongKind, mentioning: ["node-a", "source", "exporter"]) {
            _ = try host.instantiate(path: path, label: "node-a", expectedKind: .exporter, configJSON: "{}", services: StubServices())
        }
    }

    @Test("create refusing the config carries the plugin's message")
    func createRefuses() throws {
        let path = try FixturePlugins.build(name: "fixture-source")
        expectError(.pluginCreateFailed, mentioning: ["node-a", "rejected on purpose"]) {
            _ = try host.instantiate(path: path, label: "node-a", expectedKind: nil, configJSON: #"{"reject":true}"#, services: StubServices())
        }
    }

    @Test("an instance polls, publishes through the services and is destroyed once")
    func instanceLifecycle() throws {
        let path = try FixturePlugins.build(name: "fixture-source")
        let services = StubServices()
        let instance = try host.instantiate(path: path, label: "node-a", expectedKind: .source, configJSON: #"{"count":5}"#, services: services)
        try instance.start()
        #expect(try instance.poll(maxMessages: 3) == .produced)
        #expect(try instance.poll(maxMessages: 3) == .produced)
        #expect(try instance.poll(maxMessages: 3) == .endOfStream)
        #expect(services.published == 5)
        try instance.flush()
        try instance.stop()
        instance.destroy()
        instance.destroy()
        #expect(throws: BourseError.self) { try instance.start() }
    }

    @Test("a failing call surfaces the plugin's error text")
    func failingCall() throws {
        let path = try FixturePlugins.build(name: "fixture-source")
        let instance = try host.instantiate(path: path, label: "node-a", expectedKind: nil, configJSON: #"{"fail_after":0}"#, services: StubServices())
        expectError(.pluginCallFailed, mentioning: ["node-a", "poll", "failing on purpose"]) { _ = try instance.poll(maxMessages: 1) }
    }
}

@Suite("Loader robustness and call rules")
struct LoaderRobustnessTests {
    let host = InProcessPluginHost()

    @Test("absurd header offsets are a truncated file, not a crash")
    func hugeOffsets() throws {
        let dir = TemporaryDirectory()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try FixturePlugins.build(name: "fixture-source"))))
        for field in [32, 40] {  // e_phoff, e_shoff
            var copy = bytes
            for k in 0..<8 { copy[field + k] = 0xFF }
            let path = dir.file("libhuge\(field).so")
            try Data(copy).write(to: URL(fileURLWithPath: path))
            expectError(.truncatedFile, mentioning: ["truncated"]) { _ = try host.inspect(path: path, label: "node-a") }
        }
        bytes[56] = 0  // e_phnum = 0
        bytes[57] = 0
        let path = dir.file("libnophdr.so")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        expectError(.notSharedObject, mentioning: ["program headers"]) { _ = try host.inspect(path: path, label: "node-a") }
    }

    @Test("publishing from start is refused (no consumer runs yet)")
    func publishInStart() throws {
        let path = try FixturePlugins.build(name: "fixture-source")
        let instance = try host.instantiate(path: path, label: "node-a", expectedKind: nil, configJSON: #"{"publish_in_start":true}"#, services: StubServices())
        expectError(.pluginCallFailed, mentioning: ["publish called outside poll, on_messages, flush or stop"]) { try instance.start() }
    }

    @Test("declare_fields outside create is refused")
    func declareLate() throws {
        let path = try FixturePlugins.build(name: "fixture-source")
        let instance = try host.instantiate(path: path, label: "node-a", expectedKind: nil, configJSON: #"{"declare_late":true}"#, services: StubServices())
        try instance.start()
        expectError(.pluginCallFailed, mentioning: ["declare_fields called outside create"]) { _ = try instance.poll(maxMessages: 1) }
    }
}

@Suite("ABI compatibility")
struct ABICompatibilityTests {
    @Test("a plugin built against ABI 1.0 loads in a 1.2 host; fields past its struct_size are not read")
    func olderMinorLoads() throws {
        let path = try FixturePlugins.build(name: "fixture-abi-1-0", defines: ["FIXTURE_ABI_1_0", "FIXTURE_ABI_MINOR=0"])
        let info = try InProcessPluginHost().inspect(path: path, label: "old")
        #expect(info.abi == ABIVersion(major: 1, minor: 0))
        #expect(info.permissions == "")
    }

    @Test("a 1.1 plugin's permissions are read from its descriptor")
    func permissions() throws {
        let path = try FixturePlugins.build(name: "fixture-permissions", defines: [#"FIXTURE_PERMISSIONS="network,threads""#])
        let info = try InProcessPluginHost().inspect(path: path, label: "p")
        #expect(info.abi == ABIVersion.host)
        #expect(info.permissions == "network,threads")
    }
}
