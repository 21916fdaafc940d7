// The buffer published messages are encoded into before they go to host->publish.

internal import CBourseABI

/// Contiguous storage for outgoing records plus the pointer array handed to
/// `host->publish`. Both are reused from batch to batch, so publishing does
/// not allocate once the buffer has grown to its working size.
@usableFromInline final class OutgoingBuffer {
    /// A batch is handed to the host as soon as it holds this many messages.
    static let maxMessages = 256
    /// A non-empty batch is handed over before it would grow past this many bytes.
    static let maxBytes = 4 << 20
    private static let alignment = 16

    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var usedBytes = 0
    private(set) var count = 0
    private let offsets = UnsafeMutablePointer<Int>.allocate(capacity: OutgoingBuffer.maxMessages)
    private let pointers = UnsafeMutablePointer<UnsafePointer<bourse_message>?>.allocate(
        capacity: OutgoingBuffer.maxMessages)

    init(initialCapacity: Int = 64 * 1024) {
        capacity = initialCapacity
        storage = UnsafeMutableRawPointer.allocate(byteCount: initialCapacity, alignment: OutgoingBuffer.alignment)
    }

    deinit {
        storage.deallocate()
        offsets.deallocate()
        pointers.deallocate()
    }

    @usableFromInline var isFull: Bool { count >= OutgoingBuffer.maxMessages }

    /// True when appending a record of `size` bytes should wait for a flush first.
    @usableFromInline func needsFlush(before size: Int) -> Bool {
        count > 0 && (isFull || usedBytes + size > OutgoingBuffer.maxBytes)
    }

    /// Reserves `size` bytes (a multiple of 8) for one more record and returns
    /// where to write it. The caller must not exceed `maxMessages`.
    @usableFromInline func append(size: Int) -> UnsafeMutableRawPointer {
        precondition(count < OutgoingBuffer.maxMessages)
        if usedBytes + size > capacity {
            grow(toAtLeast: usedBytes + size)
        }
        let offset = usedBytes
        offsets[count] = offset
        count += 1
        usedBytes += size
        return storage + offset
    }

    /// Drops the most recently appended record (used when encoding it failed).
    func removeLast() {
        guard count > 0 else { return }
        count -= 1
        usedBytes = offsets[count]
    }

    /// Calls `body` with the pointer array of the pending records, then empties the buffer
    /// (also when `body` throws).
    func drain<R>(_ body: (UnsafePointer<UnsafePointer<bourse_message>?>, Int) throws -> R) rethrows -> R {
        for index in 0..<count {
            pointers[index] = UnsafeRawPointer(storage + offsets[index]).assumingMemoryBound(to: bourse_message.self)
        }
        let pending = count
        defer {
            count = 0
            usedBytes = 0
        }
        return try body(UnsafePointer(pointers), pending)
    }

    private func grow(toAtLeast needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: OutgoingBuffer.alignment)
        newStorage.copyMemory(from: storage, byteCount: usedBytes)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }
}
