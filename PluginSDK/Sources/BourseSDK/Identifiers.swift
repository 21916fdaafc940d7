// Interned identifiers of topics and instruments.

/// A topic, as interned by the host (`topic_id` in a message header).
///
/// Obtain topics from ``PluginContext/outputs``,
/// ``PluginContext/topic(named:)`` or from received messages. Ids are only
/// meaningful inside the process that interned them.
public struct Topic: Hashable, Sendable, CustomStringConvertible {
    /// The host's id of the topic; never 0 for a real topic.
    public let id: UInt32

    /// Wraps a raw topic id.
    @inlinable
    public init(id: UInt32) {
        self.id = id
    }

    /// "topic#ID"; use ``PluginContext/name(of:)`` for the name.
    public var description: String { "topic#\(id)" }
}

/// An instrument (a symbol such as "SPY"), as interned by the host.
///
/// Id 0 means "no instrument" (``none``), e.g. for messages about the market
/// as a whole. Use ``PluginContext/instrument(named:)`` and
/// ``PluginContext/symbol(of:)`` to convert from and to symbols.
public struct Instrument: Hashable, Sendable, CustomStringConvertible {
    /// The host's id of the instrument; 0 = none.
    public let id: UInt32

    /// Wraps a raw instrument id.
    @inlinable
    public init(id: UInt32) {
        self.id = id
    }

    /// No instrument (id 0).
    @inlinable
    public static var none: Instrument { Instrument(id: 0) }

    /// True for ``none``.
    public var isNone: Bool { id == 0 }

    /// "instrument#ID"; use ``PluginContext/symbol(of:)`` for the symbol.
    public var description: String { "instrument#\(id)" }
}
