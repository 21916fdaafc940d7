// Small vocabulary types shared by every part of the SDK.

public import CBourseABI

/// The five kinds of plugin, with the raw values of `bourse_plugin_kind`.
public enum PluginKind: UInt32, Sendable, CaseIterable {
    /// Publishes messages and never subscribes; the host calls `poll`.
    case source = 1
    /// Subscribes and publishes computed values (moving averages, RSI, ...).
    case indicator
    /// Subscribes and publishes signals, predictions or alerts.
    case model
    /// Subscribes and publishes, turning bytes into typed messages or back.
    case codec
    /// Subscribes and never publishes: writes messages somewhere outside.
    case exporter
}

/// An error a plugin reports to the host.
///
/// Throw it (or any other `Error`) from any plugin method: the SDK turns it
/// into `BOURSE_ERROR` and copies `message` into the host's `bourse_error`
/// (cut to 1023 UTF-8 bytes on a character boundary). Other error types are
/// reported with code 1 and their `String(describing:)` text.
public struct PluginError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A plugin-defined error code; the host shows it next to the message.
    public var code: Int32
    /// A human-readable explanation.
    public var message: String

    /// Creates an error with a message and an optional plugin-defined code.
    public init(_ message: String, code: Int32 = 1) {
        self.message = message
        self.code = code
    }

    /// The message, prefixed with the code when the code is not 1.
    public var description: String {
        code == 1 ? message : "[\(code)] \(message)"
    }
}

/// Severity of a log line written with ``PluginContext/log(_:_:)``.
public enum LogLevel: Int32, Sendable, CaseIterable, Comparable {
    /// Very detailed tracing, normally disabled.
    case trace
    /// Diagnostics useful while developing a plugin.
    case debug
    /// Normal operational messages.
    case info
    /// Something unexpected that the plugin can cope with.
    case warning
    /// A failure.
    case error

    /// Orders levels from `trace` (lowest) to `error` (highest).
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// What a source's ``SourcePlugin/poll(maxMessages:)`` reports.
public enum PollResult: Sendable, Equatable {
    /// Zero or more messages were published; poll again soon (`BOURSE_OK`).
    case produced
    /// Nothing is available right now; the host backs off (`BOURSE_IDLE`).
    case idle
    /// The source is finished for good (`BOURSE_END_OF_STREAM`).
    case endOfStream
}

/// Versions and limits of the C ABI this SDK was built against.
public enum BourseABI {
    /// `BOURSE_ABI_MAJOR` of the header the SDK was compiled with.
    @inlinable public static var major: UInt16 { UInt16(BOURSE_ABI_MAJOR) }
    /// `BOURSE_ABI_MINOR` of the header the SDK was compiled with.
    @inlinable public static var minor: UInt16 { UInt16(BOURSE_ABI_MINOR) }
    /// Size of a message header in bytes.
    @inlinable public static var headerSize: Int { 48 }
    /// Largest payload one message may carry (`BOURSE_MAX_PAYLOAD`).
    @inlinable public static var maxPayload: Int { 65536 }
    /// Most values one values message carries (`BOURSE_MAX_VALUES`).
    @inlinable public static var maxValues: Int { 16 }
    /// The compiler the SDK (and so the plugin) was built with, e.g. "swift-6.3.1".
    public static let toolchain: String = swiftToolchainName
}
