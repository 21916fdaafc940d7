import BourseCore

/// A frame read in place from the peer: valid until `release()`.
struct ReceivedFrame {
    /// The frame kind as sent (unchecked: the receiver validates it).
    var kind: UInt16
    /// The payload bytes, inside the shared ring.
    var payload: UnsafeRawBufferPointer
}

/// One end of a host ↔ worker channel: sends frames on one shared ring and
/// receives on the other. Implemented over `BourseTransport`'s rings.
protocol FrameChannel: AnyObject {
    /// Largest payload one frame may carry.
    var maximumPayload: Int { get }
    /// Bytes a batch of frames may occupy before it must be flushed and consumed.
    var batchBudget: Int { get }
    /// Appends a frame, not yet visible to the peer. Waits for space (up to
    /// `timeoutNanoseconds`, then throws) if the ring is full.
    func send(_ kind: FrameKind, _ payload: UnsafeRawBufferPointer, timeoutNanoseconds: Int64) throws
    /// Makes every frame sent so far visible, waking the peer if it sleeps.
    func flush()
    /// The next frame, or nil after `timeoutNanoseconds` without one.
    func receive(timeoutNanoseconds: Int64) throws -> ReceivedFrame?
    /// Gives back the space of every frame received so far.
    func release()
}

extension FrameChannel {
    /// Sends a frame whose payload is `bytes`.
    func send(_ kind: FrameKind, bytes: [UInt8], timeoutNanoseconds: Int64) throws {
        try bytes.withUnsafeBytes { try send(kind, $0, timeoutNanoseconds: timeoutNanoseconds) }
    }
}
