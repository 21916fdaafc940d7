#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CBourseRing

/// The producer end of a shared ring.
///
/// Frames are reserved and filled in place, then published in batches:
/// `commit()` makes every frame reserved since the previous commit visible
/// with one store, and wakes the reader only if it announced that it sleeps.
/// Use one writer from one thread at a time.
///
///     if let payload = try writer.reserve(112, type: 1) { fill(payload) }
///     ...
///     writer.commit()
public final class FrameWriter: RingEnd, @unchecked Sendable {
    /// Attaches as the producer of the ring at `offset` in `region`, using at
    /// most `byteCount` bytes from there (the rest of the region when nil).
    /// Throws `.invalidMessage` when no valid ring is there.
    public init(region: SharedRegion, offset: Int = 0, byteCount: Int? = nil, name: String = "ring") throws(BourseError) {
        try super.init(region: region, offset: offset, byteCount: byteCount, name: name, role: BOURSE_RING_PRODUCER)
    }

    /// Reserves a frame of `length` payload bytes and returns its payload
    /// (8-byte aligned, in shared memory) to fill before the next `commit()`;
    /// nil when the ring has no room now (commit, then `waitForSpace`).
    /// Throws `.invalidMessage` when `length` exceeds `maximumPayload` (never
    /// truncated) or the ring is corrupt, `.queueClosed` when it is full and
    /// the reader closed. `type` must not be `Ring.padType`.
    @inline(__always)
    public func reserve(_ length: Int, type: UInt16, flags: UInt16 = 0) throws(BourseError) -> UnsafeMutableRawBufferPointer? {
        try checkLength(length)
        var payload: UnsafeMutableRawPointer?
        let status = bourse_ring_reserve(handle, UInt32(truncatingIfNeeded: length), type, flags, &payload)
        if status == 0 { return UnsafeMutableRawBufferPointer(start: payload, count: length) }
        if status == Int32(BOURSE_RING_AGAIN.rawValue) { return nil }
        throw failure(status, length: length, what: "reserving a frame")
    }

    /// Copies `bytes` into a new frame (uncommitted). Returns false when the
    /// ring has no room now; throws like `reserve`.
    @discardableResult
    public func write(type: UInt16, flags: UInt16 = 0, _ bytes: UnsafeRawBufferPointer) throws(BourseError) -> Bool {
        guard let payload = try reserve(bytes.count, type: type, flags: flags) else { return false }
        if let source = bytes.baseAddress, bytes.count > 0 {
            payload.baseAddress!.copyMemory(from: source, byteCount: bytes.count)
        }
        return true
    }

    /// Publishes every frame reserved since the last commit (one store of
    /// the tail) and wakes the reader if, and only if, it sleeps.
    @inline(__always)
    public func commit() {
        bourse_ring_commit(handle)
    }

    /// Commits pending frames, then waits until a frame of `length` payload
    /// bytes can be reserved: spins briefly, then sleeps on the futex. A nil
    /// timeout waits without limit; prefer a finite one and check between
    /// waits that the reader's process is alive.
    public func waitForSpace(_ length: Int, timeoutNanoseconds: Int64?) throws(BourseError) -> WaitResult {
        try checkLength(length)
        let status = bourse_ring_wait_space(handle, UInt32(truncatingIfNeeded: length), timeoutNanoseconds ?? -1)
        return try waitResult(status, what: "waiting for space", length: length)
    }

    /// Writes `bytes` as one message, in one frame or, when larger than
    /// `maximumPayload`, as several frames of which all but the last carry
    /// `Frame.moreFlag` (a `MessageAssembler` joins them). Waits for space
    /// in slices of `waitSliceNanoseconds`, asking `keepWaiting` after each
    /// slice; when it returns false the send throws `.interrupted` (the
    /// ring may then hold part of the message: treat the channel as
    /// broken). Throws `.queueClosed` when the reader closed. Frames are
    /// left pending: call `commit()` (waits commit as needed).
    public func send(type: UInt16, flags: UInt16 = 0, _ bytes: UnsafeRawBufferPointer,
                     waitSliceNanoseconds: Int64 = 100_000_000,
                     keepWaiting: () -> Bool = { true }) throws(BourseError) {
        guard flags & Frame.moreFlag == 0 else {
            throw BourseError(.invalidValue, "frame flag 0x8000 is reserved for chunking on ring '\(name)'", input: name)
        }
        let chunk = maximumPayload
        var offset = 0
        repeat {
            let length = min(chunk, bytes.count - offset)
            let last = offset + length == bytes.count
            let chunkFlags = last ? flags : flags | Frame.moreFlag
            while true {
                if let payload = try reserve(length, type: type, flags: chunkFlags) {
                    if length > 0 { payload.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: length) }
                    break
                }
                switch try waitForSpace(length, timeoutNanoseconds: waitSliceNanoseconds) {
                case .ready: continue
                case .closed: throw RingEnd.error(Int32(BOURSE_RING_CLOSED.rawValue), name: name, what: "sending")
                case .timedOut:
                    if !keepWaiting() { throw BourseError(.interrupted, "gave up waiting for space in ring '\(name)'", input: name) }
                }
            }
            offset += length
        } while offset < bytes.count
    }

    @inline(__always)
    private func checkLength(_ length: Int) throws(BourseError) {
        if length < 0 || length > maximumPayload {
            throw failure(Int32(BOURSE_RING_TOO_BIG.rawValue), length: length, what: "reserving a frame")
        }
    }

    private func failure(_ status: Int32, length: Int, what: String) -> BourseError {
        RingEnd.error(status, name: name, what: what, length: length, maximum: maximumPayload, errno: handle.pointee.sys_errno)
    }
}
