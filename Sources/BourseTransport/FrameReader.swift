#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CBourseRing

/// The consumer end of a shared ring.
///
/// Frames are read in place with `next()` and given back in batches with
/// `release()` (one store; the writer is woken only if it sleeps). Every
/// frame header and every position the writer publishes is validated: a
/// hostile or broken writer makes calls throw `.invalidMessage`, never read
/// outside the ring. Use one reader from one thread at a time.
///
///     while try reader.waitForData(timeoutNanoseconds: 100_000_000) == .ready {
///         while let frame = try reader.next() { handle(frame) }
///         reader.release()
///     }
public final class FrameReader: RingEnd, @unchecked Sendable {
    /// Attaches as the consumer of the ring at `offset` in `region`, using at
    /// most `byteCount` bytes from there (the rest of the region when nil).
    /// Throws `.invalidMessage` when no valid ring is there.
    public init(region: SharedRegion, offset: Int = 0, byteCount: Int? = nil, name: String = "ring") throws(BourseError) {
        try super.init(region: region, offset: offset, byteCount: byteCount, name: name, role: BOURSE_RING_CONSUMER)
    }

    /// The next frame, read in place and valid until `release()`; nil when
    /// none is available now (or the writer closed: `waitForData` tells).
    /// Throws `.invalidMessage` when the writer published impossible data.
    @inline(__always)
    public func next() throws(BourseError) -> Frame? {
        var frame = bourse_ring_frame()
        let status = bourse_ring_next(handle, &frame)
        if status == 0 { return Frame(frame) }
        if status == Int32(BOURSE_RING_AGAIN.rawValue) || status == Int32(BOURSE_RING_CLOSED.rawValue) { return nil }
        throw RingEnd.error(status, name: name, what: "reading a frame")
    }

    /// Gives the space of every frame read so far back to the writer; those
    /// frames must not be used afterwards.
    @inline(__always)
    public func release() {
        bourse_ring_release(handle)
    }

    /// Waits until a frame can be read: spins briefly, then sleeps on the
    /// futex. A nil timeout waits without limit; prefer a finite one and
    /// check between waits that the writer's process is alive. Returns
    /// `.closed` once the writer closed and every frame was read.
    public func waitForData(timeoutNanoseconds: Int64?) throws(BourseError) -> WaitResult {
        let status = bourse_ring_wait_data(handle, timeoutNanoseconds ?? -1)
        return try waitResult(status, what: "waiting for data")
    }

    /// Reads up to `maxFrames` frames available now, hands each to `body`,
    /// then releases them all at once (also when `body` throws). Returns how
    /// many frames were read.
    @discardableResult
    public func drain(maxFrames: Int = .max, _ body: (Frame) throws -> Void) throws -> Int {
        var count = 0
        defer { release() }
        while count < maxFrames, let frame = try next() {
            count += 1
            try body(frame)
        }
        return count
    }
}

/// A message joined from the frames of one `FrameWriter.send`.
public struct AssembledMessage: Equatable, Sendable {
    /// The frames' type.
    public var type: UInt16
    /// The last frame's flags (without `Frame.moreFlag`).
    public var flags: UInt16
    /// The message bytes, copied out of the ring.
    public var bytes: [UInt8]
}

/// Joins chunked messages: frames carrying `Frame.moreFlag` are collected
/// until a frame without it ends the message. The total size is bounded by
/// `limit`, so a hostile writer cannot make the reader allocate without end.
public struct MessageAssembler: Sendable {
    /// Largest message accepted, in bytes.
    public let limit: Int
    private var bytes: [UInt8] = []
    private var type: UInt16?

    /// Creates an assembler accepting messages of up to `limit` bytes.
    public init(limit: Int) { self.limit = limit }

    /// True when no partial message is held.
    public var isEmpty: Bool { type == nil }

    /// Copies `frame` in. Returns the whole message when `frame` ends one.
    /// Throws `.invalidMessage` when the message grows beyond `limit` or its
    /// chunks change type; the partial message is dropped then.
    public mutating func add(_ frame: Frame) throws(BourseError) -> AssembledMessage? {
        if let type, type != frame.type {
            reset()
            throw BourseError(.invalidMessage, "a chunked message of type \(type) continued with a frame of type \(frame.type)")
        }
        guard frame.payload.count <= limit - bytes.count else {
            reset()
            throw BourseError(.invalidMessage, "a chunked message exceeds the limit of \(limit) bytes")
        }
        type = frame.type
        bytes.append(contentsOf: frame.payload)
        if frame.flags & Frame.moreFlag != 0 { return nil }
        let message = AssembledMessage(type: frame.type, flags: frame.flags, bytes: bytes)
        reset()
        return message
    }

    private mutating func reset() {
        bytes = []
        type = nil
    }
}
