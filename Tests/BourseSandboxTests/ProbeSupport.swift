import BourseSandbox
import BourseTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Running `bourse-sandbox-probe` (built next to the test binary) and reading its answer.
enum Probe {
    /// The probe executable.
    static var executable: String { TestPaths.buildDirectory + "/bourse-sandbox-probe" }

    /// Exit status of a process killed by SIGSYS (seccomp kill-process).
    static let killedBySIGSYS: Int32 = 128 + SIGSYS
    /// Exit status of a process killed by SIGXCPU (RLIMIT_CPU soft limit).
    static let killedBySIGXCPU: Int32 = 128 + SIGXCPU
    /// Exit status of a Swift runtime trap (ud2).
    static let killedBySIGILL: Int32 = 128 + SIGILL

    /// `result: errno 1 (EPERM)`.
    static let eperm = "errno 1 (EPERM)"
    /// `result: errno 38 (ENOSYS)`.
    static let enosys = "errno 38 (ENOSYS)"
    /// `result: errno 13 (EACCES)` (Landlock).
    static let eacces = "errno 13 (EACCES)"

    /// The environment the worker will have: the backtracer disabled from the start.
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        return environment
    }

    /// Runs the probe with `arguments`.
    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> ProbeOutcome {
        ProbeOutcome(try runProcess(executable, arguments, environment: environment ?? Self.environment), arguments: arguments)
    }

    /// Runs `--stage STAGE --permissions LIST ACTION [ARG]`.
    static func run(_ action: [String], stage: String = "strict", permissions: String = "none",
                    extra: [String] = []) throws -> ProbeOutcome {
        try run(["--stage", stage, "--permissions", permissions] + extra + action)
    }

    /// Whether Landlock (read-paths confinement) is available on this kernel.
    static var landlockAvailable: Bool { Landlock.abiVersion() != nil }

    /// The first-party plugin library `name` (libbourse-NAME.so), if built.
    static func firstPartyPlugin(_ name: String) -> String? {
        for directory in [TestPaths.firstPartyPluginDirectory, TestPaths.repositoryRoot + "/Plugins/.build/release"] {
            let path = directory + "/libbourse-\(name).so"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }
}

/// What a probe run printed and how it ended.
struct ProbeOutcome: CustomStringConvertible {
    /// The process result.
    let process: ProcessResult
    /// The arguments, for messages.
    let arguments: [String]

    init(_ process: ProcessResult, arguments: [String]) {
        self.process = process
        self.arguments = arguments
    }

    /// The text after `result: `, or nil when no result line was printed.
    var result: String? {
        process.stdout.split(separator: "\n").last { $0.hasPrefix("result: ") }.map { String($0.dropFirst(8)) }
    }

    /// Exit status (128 + signal when killed).
    var status: Int32 { process.status }

    /// The stdout line starting with `prefix`.
    func line(_ prefix: String) -> String? {
        process.stdout.split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init)
    }

    /// For failure messages.
    var description: String {
        "probe \(arguments.joined(separator: " ")) → status \(status)\nstdout: \(process.stdout)\nstderr: \(process.stderr)"
    }
}

/// A TCP listener on 127.0.0.1 (ephemeral port) for connect tests.
final class LocalListener {
    /// The listening descriptor.
    let fd: Int32
    /// The port.
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 16) == 0 else { throw FixtureError(message: "cannot listen on 127.0.0.1") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }
}
