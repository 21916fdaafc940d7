// A lazily decoded view of the messages the host delivers to on_messages.

public import CBourseABI

/// The batch of messages delivered to ``ProcessingPlugin/onMessages(_:)``.
///
/// The batch is a view of memory the host owns: it is **valid only during
/// the `onMessages` call** that received it. Never store the batch or use it
/// from another thread. Each element is decoded when accessed into a
/// ``Message`` value, which is an independent copy you may keep.
///
/// ```swift
/// func onMessages(_ batch: MessageBatch) throws {
///     for message in batch {
///         guard case .bar(let bar) = message.payload else { continue }
///         ...
///     }
/// }
/// ```
///
/// Decoding a whole ``Message`` copies its (up to 137-byte) payload a few
/// times. In hot loops, the field accessors read one thing straight from
/// the host's memory instead — ``bar(at:)``, ``values(at:)``,
/// ``instrument(at:)``, ``eventTime(at:)`` and friends:
///
/// ```swift
/// for i in batch.indices {
///     guard let bar = batch.bar(at: i) else { continue }
///     ... batch.instrument(at: i) ... batch.eventTime(at: i) ...
/// }
/// ```
public struct MessageBatch: RandomAccessCollection {
    @usableFromInline let records: UnsafePointer<UnsafePointer<bourse_message>?>?
    @usableFromInline let length: Int

    init(records: UnsafePointer<UnsafePointer<bourse_message>?>?, count: Int) {
        self.records = records
        self.length = records == nil ? 0 : Swift.max(0, count)
    }

    /// Index of the first message (always 0).
    @inlinable public var startIndex: Int { 0 }

    /// Number of messages in the batch.
    @inlinable public var endIndex: Int { length }

    /// Decodes the message at `position` (in `0..<count`) into a value copy.
    @inlinable public subscript(position: Int) -> Message {
        precondition(position >= 0 && position < length, "MessageBatch index out of range")
        guard let record = records![position] else {
            return Message(topic: Topic(id: 0), eventTime: 0, payload: .other(type: 0, bytes: []))
        }
        return Message(record: UnsafeRawPointer(record))
    }

    /// Iterates over the batch, decoding one message at a time.
    public struct Iterator: IteratorProtocol {
        @usableFromInline let batch: MessageBatch
        @usableFromInline var position = 0

        @inlinable init(batch: MessageBatch) {
            self.batch = batch
        }

        /// The next decoded message, or nil at the end of the batch.
        @inlinable public mutating func next() -> Message? {
            guard position < batch.length else { return nil }
            defer { position += 1 }
            return batch[position]
        }
    }

    /// An iterator over the decoded messages.
    @inlinable public func makeIterator() -> Iterator {
        Iterator(batch: self)
    }

    /// Calls `body` with the raw record at `position`: the 48-byte header
    /// followed by `payload_len` payload bytes, exactly as the host delivered
    /// it (empty for a NULL entry). For zero-copy exporters; the bytes are
    /// valid only inside `body`.
    public func withRawRecord<R>(at position: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(position >= 0 && position < length, "MessageBatch index out of range")
        guard let record = records![position] else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        let raw = UnsafeRawPointer(record)
        return try body(UnsafeRawBufferPointer(
            start: raw, count: BourseABI.headerSize + RecordLayout.payloadLength(at: raw)))
    }
}
