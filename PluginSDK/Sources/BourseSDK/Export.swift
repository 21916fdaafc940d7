// exportPlugin: builds (once per plugin type) the C descriptor the entry symbol returns.

internal import CBourseABI

/// The per-instance object behind the `void *instance` the host holds.
/// Subclasses specialise the calls for one plugin type.
class InstanceBox {
    let context: PluginContext

    init(context: PluginContext) {
        self.context = context
    }

    func start() throws {}
    func flush() throws {}
    func stop() throws {}

    func poll(maxMessages: Int) throws -> PollResult {
        throw PluginError("this plugin is not a source: poll is not supported")
    }

    func onMessages(_ batch: MessageBatch) throws {
        throw PluginError("this plugin is a source: it does not receive messages")
    }
}

/// Instance box of a source plugin.
final class SourceBox<P: SourcePlugin>: InstanceBox {
    let plugin: P

    init(plugin: P, context: PluginContext) {
        self.plugin = plugin
        super.init(context: context)
    }

    override func start() throws { try plugin.start() }
    override func flush() throws { try plugin.flush() }
    override func stop() throws { try plugin.stop() }
    override func poll(maxMessages: Int) throws -> PollResult { try plugin.poll(maxMessages: maxMessages) }
}

/// Instance box of a plugin that receives messages.
final class ProcessingBox<P: ProcessingPlugin>: InstanceBox {
    let plugin: P

    init(plugin: P, context: PluginContext) {
        self.plugin = plugin
        super.init(context: context)
    }

    override func start() throws { try plugin.start() }
    override func flush() throws { try plugin.flush() }
    override func stop() throws { try plugin.stop() }
    override func onMessages(_ batch: MessageBatch) throws { try plugin.onMessages(batch) }
}

/// What `descriptor->plugin_data` points to: how to make instances of one plugin type.
final class PluginFactory {
    let kind: PluginKind
    let make: (PluginContext, PluginConfig) throws -> InstanceBox

    init(kind: PluginKind, make: @escaping (PluginContext, PluginConfig) throws -> InstanceBox) {
        self.kind = kind
        self.make = make
    }
}

/// Descriptors already built, one per plugin type, never freed.
private final class DescriptorRegistry: @unchecked Sendable {
    private let lock = Lock()
    private var descriptors: [ObjectIdentifier: UnsafeRawPointer] = [:]

    func descriptor(for type: Any.Type, build: () -> UnsafeRawPointer) -> UnsafeRawPointer {
        lock.withLock {
            let key = ObjectIdentifier(type)
            if let existing = descriptors[key] { return existing }
            let made = build()
            descriptors[key] = made
            return made
        }
    }
}

private let registry = DescriptorRegistry()

/// A NUL-terminated copy of `text` that is never freed.
private func permanentCString(_ text: String) -> UnsafePointer<CChar> {
    let utf8 = Array(text.utf8CString)
    let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
    copy.initialize(from: utf8, count: utf8.count)
    return UnsafePointer(copy)
}

private func export<P: Plugin>(_ type: P.Type, kind: PluginKind,
                               make: @escaping (PluginContext, PluginConfig) throws -> InstanceBox) -> UnsafeRawPointer {
    registry.descriptor(for: type) {
        let factory = PluginFactory(kind: kind, make: make)
        let summary = P.summary
        let descriptor = UnsafeMutablePointer<bourse_plugin_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: bourse_plugin_descriptor(
            struct_size: UInt32(MemoryLayout<bourse_plugin_descriptor>.size),
            abi_major: BourseABI.major,
            abi_minor: BourseABI.minor,
            kind: kind.rawValue,
            reserved: 0,
            name: permanentCString(P.name),
            version: permanentCString(P.version),
            toolchain: permanentCString(BourseABI.toolchain),
            description: summary.isEmpty ? nil : permanentCString(summary),
            api: kind == .source ? PluginAPITables.source : PluginAPITables.processing,
            plugin_data: Unmanaged.passRetained(factory).toOpaque(),
            permissions: P.permissions.isEmpty ? nil : permanentCString(P.permissions.map(\.description).joined(separator: ","))))
        return UnsafeRawPointer(descriptor)
    }
}

/// Exports a source plugin: returns its `bourse_plugin_descriptor`.
///
/// Call it from the plugin's single exported symbol:
/// ```swift
/// @_cdecl("bourse_plugin_entry_v1")
/// public func bourseEntry() -> UnsafeRawPointer { exportPlugin(MySource.self) }
/// ```
/// The descriptor is built on the first call and then cached for the life
/// of the process: every call for the same type returns the same pointer.
public func exportPlugin<P: SourcePlugin>(_ type: P.Type) -> UnsafeRawPointer {
    export(type, kind: .source) { context, config in
        SourceBox(plugin: try P(context: context, config: config), context: context)
    }
}

/// Exports an indicator plugin: returns its cached `bourse_plugin_descriptor`
/// (called from the entry symbol exactly like the source overload).
public func exportPlugin<P: IndicatorPlugin>(_ type: P.Type) -> UnsafeRawPointer {
    exportProcessing(type, kind: .indicator)
}

/// Exports a model plugin: returns its cached `bourse_plugin_descriptor`.
public func exportPlugin<P: ModelPlugin>(_ type: P.Type) -> UnsafeRawPointer {
    exportProcessing(type, kind: .model)
}

/// Exports a codec plugin: returns its cached `bourse_plugin_descriptor`.
public func exportPlugin<P: CodecPlugin>(_ type: P.Type) -> UnsafeRawPointer {
    exportProcessing(type, kind: .codec)
}

/// Exports an exporter plugin: returns its cached `bourse_plugin_descriptor`.
public func exportPlugin<P: ExporterPlugin>(_ type: P.Type) -> UnsafeRawPointer {
    exportProcessing(type, kind: .exporter)
}

private func exportProcessing<P: ProcessingPlugin>(_ type: P.Type, kind: PluginKind) -> UnsafeRawPointer {
    export(type, kind: kind) { context, config in
        ProcessingBox(plugin: try P(context: context, config: config), context: context)
    }
}

/// Exports a plugin type whose kind is only known at run time (used by
/// `BourseSDKTesting`). Returns nil when the type adopts none of the five
/// kind protocols. The first matching kind wins, in the order source,
/// indicator, model, codec, exporter.
@_spi(Testing)
public func exportAnyPlugin(_ type: any Plugin.Type) -> UnsafeRawPointer? {
    if let source = type as? any SourcePlugin.Type { return exportPlugin(source) }
    if let indicator = type as? any IndicatorPlugin.Type { return exportPlugin(indicator) }
    if let model = type as? any ModelPlugin.Type { return exportPlugin(model) }
    if let codec = type as? any CodecPlugin.Type { return exportPlugin(codec) }
    if let exporter = type as? any ExporterPlugin.Type { return exportPlugin(exporter) }
    return nil
}
