import BourseCore
import Foundation

/// `config.json`: registry settings (cargo has the same file).
public struct RegistryConfig: Codable, Sendable, Equatable {
    /// Schema version of this file.
    public var v: Int
    /// A human name for the registry.
    public var name: String
    /// Where the publisher puts archives: a path relative to the registry root
    /// with `{name}` and `{vers}` placeholders. Each index line records the resulting path as `dl`.
    public var dl: String

    /// Creates settings.
    public init(v: Int = 1, name: String, dl: String = RegistryLayout.defaultArchiveTemplate) {
        self.v = v
        self.name = name
        self.dl = dl
    }

    /// Parses `config.json`; `source` names it in errors.
    public static func parse(_ data: Data, source: String) throws -> RegistryConfig {
        do {
            return try JSONDecoder().decode(RegistryConfig.self, from: data)
        } catch {
            throw BourseError(.registryIndexInvalid, "\(source) is not a valid registry config: \(describeDecodingError(error))", input: source)
        }
    }
}
