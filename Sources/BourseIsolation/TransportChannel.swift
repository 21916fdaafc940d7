import BourseCore
import BourseTransport

/// `FrameChannel` over `BourseTransport.Channel` (two shared-memory rings).
final class TransportChannel: FrameChannel {
    private let channel: Channel

    init(_ channel: Channel) {
        self.channel = channel
    }

    var maximumPayload: Int { channel.writer.maximumPayload }
    var batchBudget: Int { channel.writer.capacity / 2 }

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

    func flush() { channel.writer.commit() }

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

    func release() { channel.reader.release() }
}

/// A new host-side channel with rings of `ringBytes` each: the channel, the
/// descriptor to pass to the worker, and a closer.
func makeTransportChannel(ringBytes: Int) throws -> (FrameChannel, Int32, () -> Void) {
    let channel = try Channel.create(name: "bourse-worker", hostToWorkerCapacity: ringBytes, workerToHostCapacity: ringBytes)
    return (TransportChannel(channel), channel.fileDescriptor, { channel.close() })
}

/// The worker-side channel from the inherited descriptor 3.
func attachWorkerChannel(fileDescriptor: Int32 = 3) throws -> FrameChannel {
    TransportChannel(try Channel.attach(fileDescriptor: fileDescriptor, name: "bourse-worker"))
}
