#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Paths and helpers shared by the test targets.
public enum TestPaths {
    /// The repository root (this file is Tests/BourseTestSupport/TestSupport.swift).
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `Tests/Fixtures`.
    public static var fixtures: String { repositoryRoot + "/Tests/Fixtures" }

    /// `../shared/data` beside the checkout.
    public static var sharedData: String { repositoryRoot + "/../shared/data" }

    /// The ABI header directory.
    public static var abiInclude: String { repositoryRoot + "/PluginSDK/Sources/CBourseABI/include" }

    /// The build directory holding this test binary (and `bourse`).
    public static let buildDirectory: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = String(decoding: buffer[0..<max(0, n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // swift-testing may run from inside an .xctest bundle directory.
        while url.path.contains(".xctest") { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The `bourse` executable built alongside the tests.
    public static var bourseExecutable: String { buildDirectory + "/bourse" }

    /// Where the first-party plugins (Plugins/ package) were built. Prefers
    /// `$BOURSE_TEST_PLUGIN_DIR`, then Plugins/.build/debug, then release.
    public static var firstPartyPluginDirectory: String {
        if let env = ProcessInfo.processInfo.environment["BOURSE_TEST_PLUGIN_DIR"] { return env }
        for config in ["debug", "release"] {
            let dir = repositoryRoot + "/Plugins/.build/\(config)"
            if FileManager.default.fileExists(atPath: dir + "/libbourse-ema.so") { return dir }
        }
        return repositoryRoot + "/Plugins/.build/debug"
    }
}

/// A fresh temporary directory, removed when the value is deinitialised.
public final class TemporaryDirectory {
    /// Its path.
    public let path: String

    /// Creates the directory.
    public init(prefix: String = "bourse-test") {
        var template = Array("\(NSTemporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = made.map { String(cString: $0) } ?? NSTemporaryDirectory()
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/name`.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }
}

/// Result of running a process.
public struct ProcessResult: Sendable {
    /// Exit status (or 128 + signal).
    public var status: Int32
    /// Captured standard output.
    public var stdout: String
    /// Captured standard error.
    public var stderr: String
}

/// Runs `executable` with `arguments` and waits, capturing output.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       currentDirectory: String? = nil) throws -> ProcessResult {
    let process = try startProcess(executable, arguments, environment: environment, currentDirectory: currentDirectory)
    return process.wait()
}

/// A started child process with captured output.
public final class RunningProcess {
    /// The process.
    public let process: Process
    private let outFile: String
    private let errFile: String
    private let directory: TemporaryDirectory

    init(process: Process, outFile: String, errFile: String, directory: TemporaryDirectory) {
        self.process = process
        self.outFile = outFile
        self.errFile = errFile
        self.directory = directory
    }

    /// Sends a signal.
    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// What the process has written to stderr so far.
    public var stderrSoFar: String { (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "" }

    /// Waits for exit and returns the captured output.
    public func wait() -> ProcessResult {
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return ProcessResult(status: status,
                             stdout: (try? String(contentsOfFile: outFile, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "")
    }
}

/// Starts `executable` without waiting; output goes to temporary files
/// (pipes could fill and block the child).
public func startProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                         currentDirectory: String? = nil) throws -> RunningProcess {
    let directory = TemporaryDirectory(prefix: "bourse-proc")
    let outFile = directory.file("stdout")
    let errFile = directory.file("stderr")
    _ = FileManager.default.createFile(atPath: outFile, contents: nil)
    _ = FileManager.default.createFile(atPath: errFile, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    process.standardOutput = FileHandle(forWritingAtPath: outFile)
    process.standardError = FileHandle(forWritingAtPath: errFile)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return RunningProcess(process: process, outFile: outFile, errFile: errFile, directory: directory)
}

/// Builds variants of Tests/Fixtures/plugins/fixture_plugin.c with `cc`,
/// against the ABI header alone, as a third party would.
public enum FixturePlugins {
    private static let directory = TemporaryDirectory(prefix: "bourse-fixture-plugins")
    private static let lock = NSLock()

    /// Compiles the fixture with `defines` into `libbourse-NAME.so` (cached by name).
    public static func build(name: String, kind: String = "BOURSE_KIND_SOURCE", defines: [String] = []) throws -> String {
        try compile(source: TestPaths.fixtures + "/plugins/fixture_plugin.c", name: name,
                    defines: ["FIXTURE_KIND=\(kind)", "FIXTURE_NAME=\"\(name)\""] + defines)
    }

    /// Compiles Tests/Fixtures/hostile/hostile_plugin.c trying `action` (a
    /// HOSTILE_* number) in on_messages, or at load with `inConstructor`.
    public static func buildHostile(action: Int, inConstructor: Bool = false, permissions: String? = nil) throws -> String {
        var defines = ["HOSTILE_ACTION=\(action)"]
        if inConstructor { defines.append("HOSTILE_IN_CONSTRUCTOR") }
        if let permissions { defines.append("HOSTILE_PERMISSIONS=\"\(permissions)\"") }
        let name = "hostile-\(action)\(inConstructor ? "-ctor" : "")\(permissions.map { "-" + $0.filter(\.isLetter) } ?? "")"
        return try compile(source: TestPaths.fixtures + "/hostile/hostile_plugin.c", name: name, defines: defines)
    }

    /// Compiles one C plugin source into `libbourse-NAME.so` (cached by name)
    /// with the ABI header, an exports map and a SONAME.
    public static func compile(source: String, name: String, defines: [String]) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let output = directory.file("libbourse-\(name).so")
        if FileManager.default.fileExists(atPath: output) { return output }
        let map = directory.file("exports.map")
        if !FileManager.default.fileExists(atPath: map) {
            try "{ global: bourse_plugin_entry_v1; local: *; };\n".write(toFile: map, atomically: true, encoding: .utf8)
        }
        let arguments = ["-std=c11", "-Wall", "-Werror", "-O1", "-shared", "-fPIC",
                         "-I", TestPaths.abiInclude] + defines.map { "-D" + $0 } +
            ["-Wl,--version-script=\(map)", "-Wl,-soname,libbourse-\(name).so.1",
             "-o", output, source, "-lpthread"]
        let result = try runProcess("/usr/bin/cc", arguments)
        guard result.status == 0 else {
            throw FixtureError(message: "cc failed for \(name): \(result.stderr)")
        }
        return output
    }

    /// The directory the fixtures are built into (use as a plugin path).
    public static var pluginDirectory: String { directory.path }

    /// The standard trio: a source, an indicator and an exporter.
    public static func buildStandard() throws {
        _ = try build(name: "fixture-source", kind: "BOURSE_KIND_SOURCE")
        _ = try build(name: "fixture-indicator", kind: "BOURSE_KIND_INDICATOR")
        _ = try build(name: "fixture-sink", kind: "BOURSE_KIND_EXPORTER")
    }
}

/// A fixture could not be prepared.
public struct FixtureError: Error, CustomStringConvertible {
    /// Why.
    public var message: String
    /// Creates the error.
    public init(message: String) { self.message = message }
    /// Why.
    public var description: String { message }
}
