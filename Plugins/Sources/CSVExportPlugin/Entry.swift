// The single exported symbol of this plugin's shared library.
import BourseSDK
import CSVExportPluginKit

/// The plugin entry point: returns the descriptor of `CSVExporter`.
@_cdecl("bourse_plugin_entry_v1")
public func bourseEntry() -> UnsafeRawPointer { exportPlugin(CSVExporter.self) }
