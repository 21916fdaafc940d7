// Allocation-free accessors that read one field of a batch message without
// decoding the whole Message, for hot loops.

public import CBourseABI

extension MessageBatch {
    /// The record at `position`, or nil for a NULL entry.
    @inlinable
    func record(at position: Int) -> UnsafeRawPointer? {
        precondition(position >= 0 && position < length, "MessageBatch index out of range")
        return records![position].map { UnsafeRawPointer($0) }
    }

    /// The header of message `position`, or nil for a NULL entry.
    @inlinable
    func header(at position: Int) -> bourse_message? {
        record(at: position)?.loadUnaligned(as: bourse_message.self)
    }

    /// The payload of message `position` if it has `type` and at least `minimumLength` bytes.
    @inlinable
    func payload(at position: Int, type: UInt16, minimumLength: Int) -> (UnsafeRawPointer, Int)? {
        guard let record = record(at: position) else { return nil }
        let header = record.loadUnaligned(as: bourse_message.self)
        guard header.type == type, Int(header.payload_len) >= minimumLength else { return nil }
        return (record + BourseABI.headerSize, Int(header.payload_len))
    }

    /// The wire message type of message `position` (1 bar ... 7 bytes); 0 for a NULL entry.
    @inlinable
    public func messageType(at position: Int) -> UInt16 {
        header(at: position)?.type ?? 0
    }

    /// The topic of message `position`, without decoding its payload.
    @inlinable
    public func topic(at position: Int) -> Topic {
        Topic(id: header(at: position)?.topic_id ?? 0)
    }

    /// The instrument of message `position`, without decoding its payload.
    @inlinable
    public func instrument(at position: Int) -> Instrument {
        Instrument(id: header(at: position)?.instrument_id ?? 0)
    }

    /// The event time of message `position`, without decoding its payload.
    @inlinable
    public func eventTime(at position: Int) -> Int64 {
        header(at: position)?.event_time_ns ?? 0
    }

    /// The bar of message `position`, or nil when it is not a complete bar.
    /// Same result as matching `.bar` on `self[position].payload`, much cheaper.
    @inlinable
    public func bar(at position: Int) -> Bar? {
        payload(at: position, type: 1, minimumLength: PayloadCodec.barSize).map { PayloadCodec.decodeBar($0.0) }
    }

    /// The trade of message `position`, or nil when it is not a complete trade.
    @inlinable
    public func trade(at position: Int) -> Trade? {
        payload(at: position, type: 2, minimumLength: PayloadCodec.tradeSize).map { PayloadCodec.decodeTrade($0.0) }
    }

    /// The quote of message `position`, or nil when it is not a complete quote.
    @inlinable
    public func quote(at position: Int) -> Quote? {
        payload(at: position, type: 3, minimumLength: PayloadCodec.quoteSize).map { PayloadCodec.decodeQuote($0.0) }
    }

    /// The indicator values of message `position` (count clamped as in full
    /// decoding), or nil when it is not a values message.
    @inlinable
    public func values(at position: Int) -> IndicatorValues? {
        payload(at: position, type: 4, minimumLength: 8).map { PayloadCodec.decodeValues($0.0, length: $0.1) }
    }
}
