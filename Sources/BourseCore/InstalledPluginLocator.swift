/// Finds plugins installed in a plugin store by name and version range, for
/// graph nodes written `plugin: NAME@RANGE` (implemented by BourseStore).
public protocol InstalledPluginLocator: Sendable {
    /// The library (`.so`) path of the installed version to use for
    /// `requirement`: the active version when it is in range, else the
    /// most recently active installed version in range, else the highest. Throws `not-installed` or
    /// `resolution-conflict` naming the command that fixes it
    /// (e.g. "run: bourse install rsi@^1").
    func libraryPath(for requirement: PluginRequirement) throws -> String
}
