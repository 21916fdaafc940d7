import BourseCore
import CBourseABI

/// A bounded queue of messages for one subscriber: a ring of bytes holding
/// message records (48-byte header + payload, padded to 8) back to back.
///
/// Many producers may push; one consumer drains. Pushing blocks while the
/// queue is full (lossless back-pressure). The consumer reads messages in
/// place, with no copy, and releases them when its callback returns.
/// The queue ends when every registered producer has closed and it is empty.
///
/// Hot loops work on local copies of the ring positions: every access to a
/// class's stored property costs a dynamic exclusivity check in Swift.
public final class MessageQueue: @unchecked Sendable {
    /// Name used in errors (the subscribing node).
    public let name: String
    /// Capacity in bytes (a power of two).
    public let capacity: Int

    private let lock = ConditionLock()
    private let buffer: UnsafeMutableRawPointer
    // Monotonic byte positions; used bytes = tail - head. Guarded by `lock`.
    private var head = 0
    private var tail = 0
    private var openProducers = 0
    private var aborted = false
    private var consumerWaiting = false
    private var producersWaiting = 0
    // Consumer-only scratch (single consumer).
    private var pointers = UnsafeMutablePointer<UnsafePointer<bourse_message>?>.allocate(capacity: 1)
    private var pointerCapacity = 1
    /// Messages pushed so far (for statistics).
    public private(set) var pushedCount: Int = 0
    /// Times a producer had to wait for space.
    public private(set) var fullWaits: Int = 0

    /// Pad records carry this type; they are never delivered.
    private static let padType: UInt16 = 0
    private static let headerSize = MemoryLayout<bourse_message>.size

    /// Creates a queue of at least `capacity` bytes, rounded up to a power
    /// of two (at least 4 KiB) so positions wrap with a mask.
    public init(name: String, capacity: Int) {
        self.name = name
        var size = 4096
        while size < capacity { size <<= 1 }
        self.capacity = size
        buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    deinit {
        buffer.deallocate()
        pointers.deallocate()
    }

    /// Announces one more producer; the queue ends only after each calls `closeProducer`.
    public func addProducer() { lock.withLock { openProducers += 1 } }

    /// One producer is finished for good.
    public func closeProducer() {
        lock.withLock {
            openProducers -= 1
            if openProducers <= 0 { lock.signalData() }
        }
    }

    /// Wakes everyone; pushes then fail and consumption ends at once, even
    /// with messages left (used only for a forced stop).
    public func abort() {
        lock.withLock {
            aborted = true
            lock.signalData()
            lock.signalSpace()
        }
    }

    /// The largest message record (header + payload, padded) the queue can hold.
    public var largestRecord: Int { capacity - MessageQueue.headerSize }

    /// Bytes currently queued.
    public var usedBytes: Int { lock.withLock { tail - head } }

    /// Copies messages `indices` (or all when nil) of `messages` into the
    /// queue in order, stamping `sequence`, `origin_node` and (when 0)
    /// `created_time_ns` from the parallel `stamps` array. Blocks while full.
    /// Throws `queueClosed` if the queue was aborted, `invalidMessage` if one
    /// message can never fit.
    public func push(_ messages: UnsafeBufferPointer<UnsafePointer<bourse_message>>,
                     stamps: UnsafeBufferPointer<MessageStamp>,
                     indices: UnsafeBufferPointer<Int32>? = nil) throws {
        let count = indices?.count ?? messages.count
        if count == 0 { return }
        let capacity = self.capacity
        let mask = capacity - 1
        let buffer = self.buffer
        let headerSize = MessageQueue.headerSize
        lock.lock()
        defer { lock.unlock() }
        var tail = self.tail
        var head = self.head
        var k = 0
        while k < count {
            let i = indices == nil ? k : Int(indices.unsafelyUnwrapped[k])
            let message = messages[i]
            let length = headerSize + Int(message.pointee.payload_len)
            let size = (length + 7) & ~7
            var offset = tail & mask
            var toEnd = capacity - offset
            if size > toEnd || capacity - (tail - head) < size {
                guard size <= largestRecord else {
                    self.tail = tail
                    throw BourseError(.invalidMessage, "message of \(size) bytes does not fit the \(capacity)-byte queue of '\(name)'; raise its queue_bytes", input: name)
                }
                while true {
                    if aborted {
                        self.tail = tail
                        throw BourseError(.queueClosed, "queue of '\(name)' was stopped", input: name)
                    }
                    let free = capacity - (tail - head)
                    if size <= toEnd {
                        if free >= size { break }
                    } else if free >= toEnd + size {
                        // Pad the rest of the buffer and start again at offset 0.
                        if toEnd >= headerSize {
                            let pad = (buffer + offset).assumingMemoryBound(to: bourse_message.self)
                            pad.pointee.type = MessageQueue.padType
                            pad.pointee.payload_len = UInt32(toEnd - headerSize)
                        }
                        tail += toEnd
                        offset = 0
                        toEnd = capacity
                        break
                    }
                    // Full: publish what we have, let the consumer run, sleep.
                    self.tail = tail
                    if consumerWaiting { lock.signalData() }
                    fullWaits += 1
                    producersWaiting += 1
                    lock.waitForSpace()
                    producersWaiting -= 1
                    // Other producers may have pushed while this one waited:
                    // continue from the queue's tail, not the stale local one.
                    head = self.head
                    tail = self.tail
                    offset = tail & mask
                    toEnd = capacity - offset
                }
            }
            let dest = buffer + offset
            dest.copyMemory(from: UnsafeRawPointer(message), byteCount: length)
            let header = dest.assumingMemoryBound(to: bourse_message.self)
            let stamp = stamps[i]
            header.pointee.sequence = stamp.sequence
            header.pointee.origin_node = stamp.origin
            if header.pointee.created_time_ns == 0 { header.pointee.created_time_ns = stamp.created }
            tail += size
            k += 1
        }
        self.tail = tail
        pushedCount += count
        if consumerWaiting { lock.signalData() }
    }

    /// Result of one `consume` call.
    public enum ConsumeResult: Equatable, Sendable {
        /// This many messages were handed to the callback.
        case delivered(Int)
        /// Nothing arrived within the timeout; call again.
        case timedOut
        /// Every producer closed and everything was delivered (or the queue was aborted).
        case ended
    }

    /// Waits for messages and hands up to `maxMessages` of them to `body`
    /// as one batch, in push order. The pointers are valid only inside
    /// `body`; the space is released when it returns (or throws).
    public func consume(maxMessages: Int, timeoutNanoseconds: Int64? = nil,
                        _ body: (UnsafeBufferPointer<UnsafePointer<bourse_message>?>) throws -> Void) rethrows -> ConsumeResult {
        lock.lock()
        while head == tail {
            if aborted || openProducers <= 0 {
                lock.unlock()
                return .ended
            }
            consumerWaiting = true
            lock.waitForData(timeoutNanoseconds: timeoutNanoseconds)
            consumerWaiting = false
            if head == tail, timeoutNanoseconds != nil, !(aborted || openProducers <= 0) {
                lock.unlock()
                return .timedOut
            }
        }
        if aborted {
            lock.unlock()
            return .ended
        }
        let start = head
        let end = tail
        lock.unlock()

        // Walk records outside the lock: producers only write beyond `end`.
        if pointerCapacity < maxMessages {
            pointers.deallocate()
            pointers = .allocate(capacity: maxMessages)
            pointerCapacity = maxMessages
        }
        let list = pointers
        let buffer = self.buffer
        let capacity = self.capacity
        let mask = capacity - 1
        let headerSize = MessageQueue.headerSize
        var position = start
        var n = 0
        while position < end && n < maxMessages {
            let offset = position & mask
            let toEnd = capacity - offset
            if toEnd < headerSize {
                position += toEnd
                continue
            }
            let record = UnsafePointer((buffer + offset).assumingMemoryBound(to: bourse_message.self))
            if record.pointee.type != MessageQueue.padType {
                list[n] = record
                n += 1
            }
            position += (headerSize + Int(record.pointee.payload_len) + 7) & ~7
        }
        defer {
            lock.lock()
            head = position
            if producersWaiting > 0 { lock.signalSpace() }
            lock.unlock()
        }
        if n > 0 {
            try body(UnsafeBufferPointer(start: list, count: n))
        }
        return .delivered(n)
    }
}

/// The fields the host stamps into each message it routes.
public struct MessageStamp: Sendable {
    /// Per-topic sequence number.
    public var sequence: UInt64
    /// Publishing node id.
    public var origin: UInt32
    /// Creation time to use when the publisher left it 0.
    public var created: Int64

    /// Creates a stamp.
    public init(sequence: UInt64, origin: UInt32, created: Int64) {
        self.sequence = sequence
        self.origin = origin
        self.created = created
    }
}
