#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import Synchronization

/// Log levels, matching the ABI's `bourse_log_level`.
public enum LogLevel: Int32, Sendable, Comparable, CaseIterable {
    /// Very detailed.
    case trace = 0
    /// Diagnostic detail.
    case debug = 1
    /// Normal operation.
    case info = 2
    /// Something unusual.
    case warning = 3
    /// Something failed.
    case error = 4

    /// Name used on the command line and in output.
    public var name: String { ["trace", "debug", "info", "warning", "error"][Int(rawValue)] }

    /// Parses a name.
    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.name == name }) else { return nil }
        self = level
    }

    /// Orders by severity.
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// Writes log lines to standard error, one whole line per write, from any thread.
public final class LogSink: Sendable {
    /// Lines below this level are dropped.
    public let minimumLevel: LogLevel
    private let lock = Mutex(())

    /// Creates a sink.
    public init(minimumLevel: LogLevel) {
        self.minimumLevel = minimumLevel
    }

    /// Logs `message` from `source` (a node id or "bourse").
    public func log(_ level: LogLevel, _ source: String, _ message: String) {
        guard level >= minimumLevel else { return }
        let line = "\(timestamp()) \(level.name) [\(source)] \(message)\n"
        lock.withLock { _ in _ = fputs(line, stderr) }
    }

    private func timestamp() -> String {
        let ns = Clock.wallNanoseconds()
        return formatISO8601(nanoseconds: ns, fractionDigits: 3)
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` for ns since the epoch (UTC).
public func formatISO8601(nanoseconds: Int64, fractionDigits: Int = 0) -> String {
    var seconds = time_t(nanoseconds / 1_000_000_000)
    var remainder = nanoseconds % 1_000_000_000
    if remainder < 0 { remainder += 1_000_000_000; seconds -= 1 }
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func pad(_ v: Int32, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    var text = "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
    if fractionDigits > 0 {
        let fraction = String(remainder).leftPadded(to: 9)
        text += "." + fraction.prefix(fractionDigits)
    }
    return text + "Z"
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
