import CBourseABI

/// The five kinds of plugin, with what each may do in a graph.
public enum PluginKind: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// Produces messages (files, feeds); publishes, never subscribes.
    case source = 1
    /// Computes values from messages; subscribes and publishes.
    case indicator = 2
    /// Anomaly detection, predictions; subscribes and publishes.
    case model = 3
    /// Turns bytes into typed messages and back; subscribes and publishes.
    case codec = 4
    /// Writes messages out (files, databases, metrics); subscribes only.
    case exporter = 5

    /// The lower-case name used in graph files and output.
    public var description: String {
        switch self {
        case .source: "source"
        case .indicator: "indicator"
        case .model: "model"
        case .codec: "codec"
        case .exporter: "exporter"
        }
    }

    /// Parses the lower-case name.
    public init?(name: String) {
        guard let kind = PluginKind.allCases.first(where: { $0.description == name }) else { return nil }
        self = kind
    }

    /// The name with its article: "a source", "an indicator".
    public var withArticle: String {
        (self == .indicator || self == .exporter ? "an " : "a ") + description
    }

    /// Whether nodes of this kind may publish.
    public var canPublish: Bool { self != .exporter }
    /// Whether nodes of this kind may subscribe.
    public var canSubscribe: Bool { self != .source }
}

/// An ABI version, and the host's rule for accepting a plugin's.
public struct ABIVersion: Sendable, Equatable, CustomStringConvertible {
    /// Incompatible changes bump this.
    public var major: UInt16
    /// Appended fields and functions bump this.
    public var minor: UInt16

    /// Creates a version.
    public init(major: UInt16, minor: UInt16) {
        self.major = major
        self.minor = minor
    }

    /// The version of the ABI header this host was built with.
    public static let host = ABIVersion(major: UInt16(BOURSE_ABI_MAJOR), minor: UInt16(BOURSE_ABI_MINOR))

    /// A host accepts a plugin when the majors are equal and the plugin's
    /// minor is at most the host's (the plugin uses nothing the host lacks).
    public func accepts(plugin: ABIVersion) -> Bool {
        plugin.major == major && plugin.minor <= minor
    }

    /// `major.minor`.
    public var description: String { "\(major).\(minor)" }
}
