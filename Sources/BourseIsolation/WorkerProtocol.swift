import BourseCore
import BoursePluginHost
import CBourseABI

/// Version of the host ↔ worker protocol. The host passes it on the
/// worker's command line; a worker of another build refuses to start.
let workerProtocolVersion = 4

/// Frame kinds exchanged between the host and a worker. Host → worker kinds
/// are below 100, worker → host kinds from 100. A host receiving any other
/// kind kills the worker (it may be compromised).
enum FrameKind: UInt16 {
    // Host → worker
    /// Load the plugin and create the instance (`WorkerConfiguration`).
    case configure = 1
    /// Call start.
    case start = 2
    /// One `bourse_message` record of the batch being delivered.
    case message = 3
    /// Call on_messages with the messages sent since the last call.
    case deliver = 4
    /// Call poll (u32 max messages).
    case poll = 5
    /// Call flush.
    case flush = 6
    /// Call stop.
    case stop = 7
    /// Answer to a worker's request (`RequestReply`).
    case reply = 8
    /// Destroy the instance and exit.
    case shutdown = 9
    /// Load the plugin (no instance) and answer with `described`, then a result.
    case describe = 10

    // Worker → host
    /// Outcome of the command just executed (`CallResult`).
    case result = 101
    /// One message the plugin published (a `bourse_message` record).
    case published = 102
    /// A log line (i32 level + string).
    case log = 103
    /// Counter changes since the last call (`CounterUpdate` list).
    case counters = 104
    /// A question the worker cannot answer alone (`WorkerRequest`).
    case request = 105
    /// The descriptor facts of the plugin (`PluginInfoCodec`), answering `describe`.
    case described = 106
}

/// Everything a worker needs to create the plugin instance of one node.
struct WorkerConfiguration: Equatable {
    var pluginPath: String
    var nodeID: UInt32
    var nodeName: String
    var configJSON: String
    var outputs: [UInt32]
    /// Every topic of the graph: id → name.
    var topics: [(id: UInt32, name: String)]
    /// Fields declared so far: topic id → names.
    var fields: [(topic: UInt32, names: [String])]
    /// Permissions granted (descriptor syntax).
    var permissions: String
    /// How many times the node's worker was restarted before this one (`restart_count`).
    var restartCount: UInt32
    /// The host's run id (`run_id`).
    var runID: UInt64

    static func == (a: WorkerConfiguration, b: WorkerConfiguration) -> Bool {
        a.encoded() == b.encoded()
    }

    func encoded() -> [UInt8] {
        var e = WireEncoder()
        e.string(pluginPath)
        e.u32(nodeID)
        e.string(nodeName)
        e.string(configJSON)
        e.list(outputs) { $0.u32($1) }
        e.list(topics) { $0.u32($1.id); $0.string($1.name) }
        e.list(fields) { e, entry in
            e.u32(entry.topic)
            e.list(entry.names) { $0.string($1) }
        }
        e.string(permissions)
        e.u32(restartCount)
        e.u64(runID)
        return e.bytes
    }

    init(pluginPath: String, nodeID: UInt32, nodeName: String, configJSON: String, outputs: [UInt32],
         topics: [(id: UInt32, name: String)], fields: [(topic: UInt32, names: [String])], permissions: String,
         restartCount: UInt32 = 0, runID: UInt64 = HostRun.id) {
        self.pluginPath = pluginPath
        self.nodeID = nodeID
        self.nodeName = nodeName
        self.configJSON = configJSON
        self.outputs = outputs
        self.topics = topics
        self.fields = fields
        self.permissions = permissions
        self.restartCount = restartCount
        self.runID = runID
    }

    init(decoding bytes: UnsafeRawBufferPointer) throws {
        var d = WireDecoder(bytes)
        pluginPath = try d.string()
        nodeID = try d.u32()
        nodeName = try d.string()
        configJSON = try d.string()
        outputs = try d.list { try $0.u32() }
        topics = try d.list { (id: try $0.u32(), name: try $0.string()) }
        fields = try d.list { d in (topic: try d.u32(), names: try d.list { try $0.string() }) }
        permissions = try d.string()
        restartCount = try d.u32()
        runID = try d.u64()
        try d.finish()
    }
}

/// The outcome of one command, sent by the worker as its last frame for it.
struct CallResult: Equatable {
    /// A `bourse_status` value.
    var status: Int32
    /// The plugin's error code (0 when none).
    var code: Int32
    /// The error text (empty on success).
    var message: String
    /// The worker-side `BourseError.Code` raw value, when the worker (not the plugin) failed.
    var errorCode: String

    func encoded() -> [UInt8] {
        var e = WireEncoder()
        e.i32(status)
        e.i32(code)
        e.string(message)
        e.string(errorCode)
        return e.bytes
    }

    init(status: Int32, code: Int32 = 0, message: String = "", errorCode: String = "") {
        self.status = status
        self.code = code
        self.message = message
        self.errorCode = errorCode
    }

    init(decoding bytes: UnsafeRawBufferPointer) throws {
        var d = WireDecoder(bytes)
        status = try d.i32()
        code = try d.i32()
        message = try d.string()
        errorCode = try d.string()
        try d.finish()
    }
}

/// A counter's change since the last report; the name comes with its first report.
struct CounterUpdate: Equatable {
    var id: UInt32
    var name: String
    var delta: Int64

    static func encode(_ updates: [CounterUpdate]) -> [UInt8] {
        var e = WireEncoder()
        e.list(updates) { e, u in
            e.u32(u.id)
            e.string(u.name)
            e.i64(u.delta)
        }
        return e.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> [CounterUpdate] {
        var d = WireDecoder(bytes)
        let updates = try d.list { CounterUpdate(id: try $0.u32(), name: try $0.string(), delta: try $0.i64()) }
        try d.finish()
        return updates
    }
}

/// Questions only the host can answer: it owns the interned ids and the
/// field registry shared by the graph.
enum WorkerRequest: Equatable {
    /// Intern a symbol → u32 id (0 if invalid).
    case instrumentID(String)
    /// Symbol of an id → string ("" if unknown).
    case instrumentName(UInt32)
    /// Declare value fields of an output topic → error text ("" if accepted).
    case declareFields(topic: UInt32, names: [String])

    func encoded() -> [UInt8] {
        var e = WireEncoder()
        switch self {
        case .instrumentID(let symbol):
            e.u8(1)
            e.string(symbol)
        case .instrumentName(let id):
            e.u8(2)
            e.u32(id)
        case .declareFields(let topic, let names):
            e.u8(3)
            e.u32(topic)
            e.list(names) { $0.string($1) }
        }
        return e.bytes
    }

    init(decoding bytes: UnsafeRawBufferPointer) throws {
        var d = WireDecoder(bytes)
        switch try d.u8() {
        case 1: self = .instrumentID(try d.string())
        case 2: self = .instrumentName(try d.u32())
        case 3: self = .declareFields(topic: try d.u32(), names: try d.list { try $0.string() })
        case let other: throw BourseError(.invalidMessage, "malformed frame: unknown request \(other)")
        }
        try d.finish()
    }
}

/// The host's answer to a `WorkerRequest`.
struct RequestReply: Equatable {
    var value: UInt32
    var text: String

    func encoded() -> [UInt8] {
        var e = WireEncoder()
        e.u32(value)
        e.string(text)
        return e.bytes
    }

    init(value: UInt32 = 0, text: String = "") {
        self.value = value
        self.text = text
    }

    init(decoding bytes: UnsafeRawBufferPointer) throws {
        var d = WireDecoder(bytes)
        value = try d.u32()
        text = try d.string()
        try d.finish()
    }
}

/// `PluginInfo` on the wire (in a `describe` result's message).
enum PluginInfoCodec {
    static func encode(_ info: PluginInfo) -> [UInt8] {
        var e = WireEncoder()
        e.string(info.name)
        e.string(info.version)
        e.u32(info.kind.rawValue)
        e.u16(info.abi.major)
        e.u16(info.abi.minor)
        e.string(info.toolchain)
        e.string(info.summary)
        e.string(info.permissions)
        e.string(info.path)
        return e.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> PluginInfo {
        var d = WireDecoder(bytes)
        let name = try d.string()
        let version = try d.string()
        let rawKind = try d.u32()
        guard let kind = PluginKind(rawValue: rawKind) else {
            throw BourseError(.invalidMessage, "malformed frame: unknown plugin kind \(rawKind)")
        }
        let abi = ABIVersion(major: try d.u16(), minor: try d.u16())
        let info = PluginInfo(name: name, version: version, kind: kind, abi: abi, toolchain: try d.string(),
                              summary: try d.string(), permissions: try d.string(), path: try d.string())
        try d.finish()
        return info
    }
}
