import BourseCore
import BourseTransport

/// A frame read in place from the peer: valid until `release()`.
struct ReceivedFrame {
    /// The frame kind as sent (unchecked: the receiver validates it).
    var kind: UInt16
    /// The payload bytes, inside the shared ring.
    var payload: UnsafeRawBufferPointer
}

/// One end of a host ↔ worker channel over `BourseTransport.Channel` (two
/// shared-memory rings): sends frames on one ring and receives on the other.
final class FrameChannel {
    private let channel: Channel

    init(_ channel: Channel) {
        self.channel = channel
    }

    /// Largest payload one frame may carry.
    var maximumPayload: Int { channel.writer.maximumPayload }
    /// Bytes a batch of frames may occupy before it must be flushed and consumed.
    var batchBudget: Int { channel.writer.capacity / 2 }

    /// Appends a frame, not yet visible to the peer. Waits for space (up to
    /// `timeoutNanoseconds`, then throws) if the ring is full.
    func send(_ kind: FrameKind, _ payload: UnsafeRawBufferPointer, timeoutNanoseconds: Int64) throws {
        guard payload.count <= maximumPayload else {
            throw BourseError(.invalidMessage, "a \(kind) frame of \(payload.count) bytes exceeds the channel's \(maximumPayload)-byte frames", input: "\(kind)")
        }
        // Fast path: room now (no clock read).
        if let space = try channel.writer.reserve(payload.count, type: kind.rawValue) {
            if payload.count > 0 { space.baseAddress!.copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
            return
        }
        let deadline = Clock.monotonicNanoseconds() + timeoutNanoseconds
        while true {
            if let space = try channel.writer.reserve(payload.count, type: kind.rawValue) {
                if payload.count > 0 { space.baseAddress!.copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
                return
            }
            let remaining = deadline - Clock.monotonicNanoseconds()
            guard remaining > 0 else {
                throw BourseError(.interrupted, "no room in the channel for \(timeoutNanoseconds / 1_000_000) ms: the peer is not reading", input: "\(kind)")
            }
            switch try channel.writer.waitForSpace(payload.count, timeoutNanoseconds: min(remaining, 20_000_000)) {
            case .ready, .timedOut: continue
            case .closed: throw BourseError(.queueClosed, "the peer closed the channel", input: "\(kind)")
            }
        }
    }

    /// Appends a `.message` frame per record of `batch` (not yet visible).
    func sendMessages(_ batch: CopiedBatch, timeoutNanoseconds: Int64) throws {
        let writer = channel.writer
        try batch.forEachRecord { record in
            if let space = try writer.reserve(record.count, type: FrameKind.message.rawValue) {
                space.baseAddress!.copyMemory(from: record.baseAddress!, byteCount: record.count)
            } else {
                try send(.message, record, timeoutNanoseconds: timeoutNanoseconds)
            }
        }
    }

    /// Makes every frame sent so far visible, waking the peer if it sleeps.
    func flush() { channel.writer.commit() }

    /// The next frame if one is readable now, else nil (no wait).
    @inline(__always)
    func receiveNow() throws -> ReceivedFrame? {
        guard let frame = try channel.reader.next() else { return nil }
        return ReceivedFrame(kind: frame.type, payload: frame.payload)
    }

    /// The next frame, or nil after `timeoutNanoseconds` without one.
    func receive(timeoutNanoseconds: Int64) throws -> ReceivedFrame? {
        if let frame = try channel.reader.next() { return ReceivedFrame(kind: frame.type, payload: frame.payload) }
        switch try channel.reader.waitForData(timeoutNanoseconds: timeoutNanoseconds) {
        case .ready:
            return try channel.reader.next().map { ReceivedFrame(kind: $0.type, payload: $0.payload) }
        case .timedOut:
            return nil
        case .closed:
            throw BourseError(.queueClosed, "the peer closed the channel")
        }
    }

    /// Gives back the space of every frame received so far.
    func release() { channel.reader.release() }

    /// Sends a frame whose payload is `bytes`.
    func send(_ kind: FrameKind, bytes: [UInt8], timeoutNanoseconds: Int64) throws {
        try bytes.withUnsafeBytes { try send(kind, $0, timeoutNanoseconds: timeoutNanoseconds) }
    }
}

/// A new host-side channel with rings of `ringBytes` each: the channel, the
/// descriptor to pass to the worker, and a closer.
func makeFrameChannel(ringBytes: Int) throws -> (FrameChannel, Int32, () -> Void) {
    let channel = try Channel.create(name: "bourse-worker", hostToWorkerCapacity: ringBytes, workerToHostCapacity: ringBytes)
    return (FrameChannel(channel), channel.fileDescriptor, { channel.close() })
}

/// The worker-side channel from the inherited descriptor 3.
func attachWorkerChannel(fileDescriptor: Int32 = 3) throws -> FrameChannel {
    FrameChannel(try Channel.attach(fileDescriptor: fileDescriptor, name: "bourse-worker"))
}
