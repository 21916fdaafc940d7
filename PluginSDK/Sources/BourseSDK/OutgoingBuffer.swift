// The buffer published messages are encoded into before they go to host->publish.

internal import CBourseABI

/// Contiguous storage for outgoing records plus the pointer array handed to
/// `host->publish`. Both are reused from batch to batch, so publishing does
/// not allocate once the buffer has grown to its working size.
@usableFromInline final class OutgoingBuffer {
    /// A batch is handed to the host as soon as it holds this many messages.
    @inlinable static var maxMessages: Int { 256 }
    /// A non-empty batch is handed over before it would grow past this many bytes.
    @inlinable static var maxBytes: Int { 4 << 20 }
    private static let alignment = 16

    /// The buffer's mutable bookkeeping. It lives behind a pointer rather than
    /// in stored `var`s so that the publish path, inlined into plugins, pays
    /// no dynamic exclusivity check per message.
    @usableFromInline struct State {
        /// The records, back to back.
        @usableFromInline var storage: UnsafeMutableRawPointer
        /// Bytes allocated at `storage`.
        @usableFromInline var capacity: Int
        /// Bytes of `storage` holding pending records.
        @usableFromInline var usedBytes: Int
        /// Pending records.
        @usableFromInline var count: Int
    }

    /// The bookkeeping (see ``State``).
    @usableFromInline let state: UnsafeMutablePointer<State>
    /// Offset of each pending record in the storage.
    @usableFromInline let offsets = UnsafeMutablePointer<Int>.allocate(capacity: OutgoingBuffer.maxMessages)
    private let pointers = UnsafeMutablePointer<UnsafePointer<bourse_message>?>.allocate(
        capacity: OutgoingBuffer.maxMessages)

    init(initialCapacity: Int = 64 * 1024) {
        state = .allocate(capacity: 1)
        state.initialize(to: State(
            storage: UnsafeMutableRawPointer.allocate(byteCount: initialCapacity, alignment: OutgoingBuffer.alignment),
            capacity: initialCapacity, usedBytes: 0, count: 0))
    }

    deinit {
        state.pointee.storage.deallocate()
        state.deallocate()
        offsets.deallocate()
        pointers.deallocate()
    }

    /// Pending records.
    @inlinable var count: Int { state.pointee.count }

    /// True when the buffer holds ``maxMessages`` records.
    @inlinable var isFull: Bool { state.pointee.count >= OutgoingBuffer.maxMessages }

    /// True when appending a record of `size` bytes should wait for a flush first.
    @inlinable @inline(__always) func needsFlush(before size: Int) -> Bool {
        state.pointee.count > 0 && (isFull || state.pointee.usedBytes + size > OutgoingBuffer.maxBytes)
    }

    /// Reserves `size` bytes (a multiple of 8) for one more record and returns
    /// where to write it. The caller must not exceed `maxMessages`.
    @inlinable @inline(__always) func append(size: Int) -> UnsafeMutableRawPointer {
        precondition(state.pointee.count < OutgoingBuffer.maxMessages)
        let offset = state.pointee.usedBytes
        if offset + size > state.pointee.capacity {
            grow(toAtLeast: offset + size)
        }
        offsets[state.pointee.count] = offset
        state.pointee.count += 1
        state.pointee.usedBytes = offset + size
        return state.pointee.storage + offset
    }

    /// Drops the most recently appended record (used when encoding it failed).
    func removeLast() {
        guard state.pointee.count > 0 else { return }
        state.pointee.count -= 1
        state.pointee.usedBytes = offsets[state.pointee.count]
    }

    /// Calls `body` with the pointer array of the pending records, then empties the buffer
    /// (also when `body` throws).
    func drain<R>(_ body: (UnsafePointer<UnsafePointer<bourse_message>?>, Int) throws -> R) rethrows -> R {
        let storage = state.pointee.storage
        let pending = state.pointee.count
        for index in 0..<pending {
            pointers[index] = UnsafeRawPointer(storage + offsets[index]).assumingMemoryBound(to: bourse_message.self)
        }
        defer {
            state.pointee.count = 0
            state.pointee.usedBytes = 0
        }
        return try body(UnsafePointer(pointers), pending)
    }

    /// Reallocates the storage to hold at least `needed` bytes, keeping the pending records.
    @usableFromInline func grow(toAtLeast needed: Int) {
        var newCapacity = state.pointee.capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: OutgoingBuffer.alignment)
        newStorage.copyMemory(from: state.pointee.storage, byteCount: state.pointee.usedBytes)
        state.pointee.storage.deallocate()
        state.pointee.storage = newStorage
        state.pointee.capacity = newCapacity
    }
}
