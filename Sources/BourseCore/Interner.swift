import Synchronization

/// Maps names to small dense integer ids, 1, 2, 3..., and back. Id 0 means
/// "none". Thread-safe; lookups of existing names take a lock, so intern
/// names once (when a graph is built) and pass ids around afterwards.
public final class Interner: Sendable {
    private struct Table {
        var ids: [String: UInt32] = [:]
        var names: [String] = [""]  // index 0 = none
    }
    private let table = Mutex(Table())

    /// Creates an empty interner.
    public init() {}

    /// The id of `name`, assigning the next free id on first use.
    public func intern(_ name: String) -> UInt32 {
        table.withLock { t in
            if let id = t.ids[name] { return id }
            let id = UInt32(t.names.count)
            t.names.append(name)
            t.ids[name] = id
            return id
        }
    }

    /// The id of `name` if it was interned, else nil.
    public func lookup(_ name: String) -> UInt32? {
        table.withLock { $0.ids[name] }
    }

    /// The name of `id`, or nil for 0 and unknown ids.
    public func name(of id: UInt32) -> String? {
        table.withLock { t in
            guard id > 0, Int(id) < t.names.count else { return nil }
            return t.names[Int(id)]
        }
    }

    /// Number of interned names.
    public var count: Int { table.withLock { $0.names.count - 1 } }
}
