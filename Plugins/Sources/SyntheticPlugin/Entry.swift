// The single exported symbol of this plugin's shared library.
import BourseSDK
import SourcesPluginKit

/// The plugin entry point: returns the descriptor of `SyntheticSource`.
@_cdecl("bourse_plugin_entry_v1")
public func bourseEntry() -> UnsafeRawPointer { exportPlugin(SyntheticSource.self) }
