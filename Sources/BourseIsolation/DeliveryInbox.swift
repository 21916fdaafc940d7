import BourseCore
import CBourseABI

/// A batch of message records copied into one private buffer: what the
/// worker hands its plugin, and what the host keeps of a batch in flight
/// (to deliver it again to a restarted worker).
final class CopiedBatch {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var used = 0
    /// One pointer per record, into `storage` (rebased when it grows).
    private var pointers: UnsafeMutablePointer<UnsafePointer<bourse_message>?>
    private var pointerCapacity: Int
    /// Messages held.
    private(set) var count = 0
    /// Bytes of ring space the batch takes as message frames (frame
    /// header and alignment included).
    private(set) var frameBytes = 0

    /// A batch whose buffer starts at `capacity` bytes (it grows as needed).
    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 8)
        pointerCapacity = max(16, capacity / 128)
        pointers = .allocate(capacity: pointerCapacity)
    }

    deinit {
        storage.deallocate()
        pointers.deallocate()
    }

    /// True when the batch holds no message.
    var isEmpty: Bool { count == 0 }

    /// Copies one message record in.
    @inline(__always)
    func append(_ record: UnsafeRawBufferPointer) {
        let size = (record.count + 7) & ~7
        if used + size > capacity { grow(to: used + size) }
        if count == pointerCapacity { growPointers() }
        let copy = storage + used
        copy.copyMemory(from: record.baseAddress!, byteCount: record.count)
        pointers[count] = UnsafePointer(copy.assumingMemoryBound(to: bourse_message.self))
        count += 1
        used += size
        frameBytes += (record.count + 15) & ~7
    }

    private func grow(to needed: Int) {
        var grown = capacity
        while grown < needed { grown *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 8)
        bigger.copyMemory(from: storage, byteCount: used)
        for index in 0..<count {
            let offset = UnsafeRawPointer(pointers[index]!) - UnsafeRawPointer(storage)
            pointers[index] = UnsafePointer((bigger + offset).assumingMemoryBound(to: bourse_message.self))
        }
        storage.deallocate()
        storage = bigger
        capacity = grown
    }

    private func growPointers() {
        let bigger = UnsafeMutablePointer<UnsafePointer<bourse_message>?>.allocate(capacity: pointerCapacity * 2)
        bigger.update(from: pointers, count: count)
        pointers.deallocate()
        pointers = bigger
        pointerCapacity *= 2
    }

    /// Calls `body` with each record, in order.
    @inline(__always)
    func forEachRecord(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        for index in 0..<count {
            let message = pointers[index]!
            try body(UnsafeRawBufferPointer(start: message, count: messageRecordSize(message)))
        }
    }

    /// Hands the records to `body` as one batch of message pointers.
    func withMessages<R>(_ body: (UnsafeBufferPointer<UnsafePointer<bourse_message>?>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: pointers, count: count))
    }

    /// Forgets every record (keeps the buffers).
    func reset() {
        used = 0
        count = 0
        frameBytes = 0
    }
}

/// Bytes of a message record: header plus payload.
@inline(__always)
func messageRecordSize(_ message: UnsafePointer<bourse_message>) -> Int {
    messageHeaderSize + Int(message.pointee.payload_len)
}

/// The worker's delivered messages, copied out of the ring, grouped into
/// the batches the host closed with `deliver` frames.
///
/// The host keeps several batches in flight, so frames of later batches
/// can arrive while the plugin handles one — in particular while the
/// plugin waits for the host's reply to a request. The worker stashes them
/// here and serves them, in order, after the current batch.
///
/// Each batch owns its buffer: buffers of batches being handled are never
/// moved or reused until the batch is done, whatever arrives meanwhile.
final class DeliveryInbox {
    private var filling: CopiedBatch
    private var closed: [CopiedBatch] = []
    private var spare: [CopiedBatch] = []
    private let initialCapacity: Int

    /// An inbox whose batch buffers start at `initialCapacity` bytes.
    init(initialCapacity: Int = 1 << 16) {
        self.initialCapacity = initialCapacity
        filling = CopiedBatch(capacity: initialCapacity)
    }

    /// Copies a message record into the batch being filled.
    @inline(__always)
    func stash(_ record: UnsafeRawBufferPointer) {
        filling.append(record)
    }

    /// Stashes `first` and every `.message` frame readable now after it;
    /// returns the first other frame read, or nil when none is readable.
    func stashMessages(first: UnsafeRawBufferPointer, from channel: FrameChannel) throws -> ReceivedFrame? {
        let batch = filling
        batch.append(first)
        while let frame = try channel.receiveNow() {
            guard frame.kind == FrameKind.message.rawValue else { return frame }
            batch.append(frame.payload)
        }
        return nil
    }

    /// Closes the batch being filled (a `deliver` frame arrived): it waits
    /// for `nextBatch()`.
    func closeBatch() {
        closed.append(filling)
        filling = spare.popLast() ?? CopiedBatch(capacity: initialCapacity)
    }

    /// True when a closed batch waits to be handled.
    var hasClosedBatch: Bool { !closed.isEmpty }

    /// The oldest closed batch, or nil. Give it back with `recycle` once handled.
    func nextBatch() -> CopiedBatch? {
        closed.isEmpty ? nil : closed.removeFirst()
    }

    /// Returns a handled batch's buffer for reuse.
    func recycle(_ batch: CopiedBatch) {
        batch.reset()
        if spare.count < 4 { spare.append(batch) }
    }
}
