#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CBourseRing

/// Lays out single-producer/single-consumer rings in shared memory.
///
/// A ring is a control block (`Ring.controlSize` bytes: magic, version,
/// capacity, and the head and tail positions with their futex words on
/// separate cache lines) followed by `capacity` data bytes holding frames.
/// `bourse_ring.h` documents the exact layout and the wait/wake protocol.
public enum Ring {
    /// Bytes of the control block before the data area.
    public static let controlSize = Int(BOURSE_RING_CONTROL_SIZE)
    /// Smallest accepted capacity.
    public static let minimumCapacity = Int(BOURSE_RING_MIN_CAPACITY)
    /// Largest accepted capacity.
    public static let maximumCapacity = Int(BOURSE_RING_MAX_CAPACITY)
    /// Frame type reserved for padding; frames use 0...0xFFFE.
    public static let padType = UInt16(BOURSE_RING_FRAME_PAD)

    /// Bytes a ring with `capacity` data bytes occupies (control block +
    /// data), after rounding `capacity` up to a power of two within
    /// `minimumCapacity...maximumCapacity`.
    public static func regionSize(capacity: Int) -> Int {
        Int(bourse_ring_region_size(UInt64(roundedCapacity(capacity))))
    }

    /// `capacity` rounded up to a power of two, clamped to the accepted range.
    public static func roundedCapacity(_ capacity: Int) -> Int {
        var size = minimumCapacity
        while size < min(capacity, maximumCapacity) { size <<= 1 }
        return size
    }

    /// The largest frame payload a ring of `capacity` bytes accepts
    /// (capacity / 2 - 8): larger messages must be chunked (see `FrameWriter.send`).
    public static func maximumPayload(capacity: Int) -> Int {
        roundedCapacity(capacity) / 2 - Int(BOURSE_RING_FRAME_HEADER)
    }

    /// Writes an empty ring of `capacity` (rounded up to a power of two)
    /// data bytes at `offset` in `region`. Only the creator does this, before
    /// any peer attaches. `offset` must be a multiple of 64.
    public static func initialize(in region: SharedRegion, offset: Int, capacity: Int) throws(BourseError) {
        let rounded = roundedCapacity(capacity)
        let size = regionSize(capacity: rounded)
        let memory = try region.pointer(at: offset, byteCount: size)
        guard bourse_ring_init(memory, size, UInt64(rounded)) == Int32(BOURSE_RING_OK.rawValue) else {
            throw BourseError(.invalidValue, "cannot lay out a ring of \(rounded) bytes at offset \(offset) of '\(region.name)' (offsets must be multiples of 64)", input: region.name)
        }
    }
}

/// Outcome of a timed wait on a ring.
public enum WaitResult: Equatable, Sendable {
    /// The condition holds: a frame can be read, or the requested space is free.
    case ready
    /// The timeout passed first. Check that the peer is alive, then wait again.
    case timedOut
    /// The peer closed its end (for a reader: and every frame was read).
    case closed
}

/// A frame read in place from a ring.
///
/// `payload` points into shared memory and is valid only until the reader's
/// next `release()`. Its length was checked against the ring, but a hostile
/// peer can still change the bytes while you read them: copy a payload
/// before validating what it contains.
public struct Frame {
    /// Caller-defined type (never `Ring.padType`).
    public let type: UInt16
    /// Caller-defined flags; `Frame.moreFlag` is used by chunked sends.
    public let flags: UInt16
    /// The payload bytes, in place.
    public let payload: UnsafeRawBufferPointer

    /// Flag set by `FrameWriter.send` on every chunk of a large message but
    /// the last. Callers must not use this bit themselves.
    public static let moreFlag: UInt16 = 0x8000

    init(_ frame: bourse_ring_frame) {
        type = frame.type
        flags = frame.flags
        payload = UnsafeRawBufferPointer(start: frame.payload, count: Int(frame.length))
    }
}

/// Counters of one ring end.
public struct RingStatistics: Equatable, Sendable {
    /// Times this end announced that it would sleep. The peer wakes it at
    /// most once per announcement, so the peer's `wakes` never exceeds this.
    public var waits: UInt64
    /// FUTEX_WAIT calls this end made while waiting (at most `waits`).
    public var sleeps: UInt64
    /// FUTEX_WAIT calls that slept until their timeout: the peer was idle
    /// or gone (a lost wake-up would show here too).
    public var sleepTimeouts: UInt64
    /// FUTEX_WAKE calls this end made to wake its peer.
    public var wakes: UInt64
}

/// The parts `FrameWriter` and `FrameReader` share: the process-private
/// `bourse_ring` handle and the mapping it points into.
public class RingEnd: @unchecked Sendable {
    /// The region holding the ring (kept alive while this end exists).
    public let region: SharedRegion
    /// Name used in errors.
    public let name: String
    let handle: UnsafeMutablePointer<bourse_ring>

    init(region: SharedRegion, offset: Int, byteCount: Int?, name: String, role: bourse_ring_role) throws(BourseError) {
        self.region = region
        self.name = name
        let available = byteCount ?? (region.size - max(0, offset))
        let memory = try region.pointer(at: offset, byteCount: max(available, Ring.controlSize))
        handle = .allocate(capacity: 1)
        let status = bourse_ring_attach(handle, memory, available, role)
        guard status == Int32(BOURSE_RING_OK.rawValue) else {
            handle.deallocate()
            throw RingEnd.error(status, name: name, what: "attaching at offset \(offset) of '\(region.name)'")
        }
        capacity = Int(handle.pointee.capacity)
        maximumPayload = Int(bourse_ring_max_payload(handle))
    }

    deinit { handle.deallocate() }

    /// Data bytes of the ring (a power of two), as validated when attaching.
    public let capacity: Int

    /// The largest payload one frame can carry: `capacity / 2 - 8`.
    public let maximumPayload: Int

    /// Spin iterations (one pause instruction each) before a wait sleeps on
    /// the futex. 0 sleeps at once; the default suits cross-core hand-offs.
    public var spinLimit: Int {
        get { Int(handle.pointee.spin_limit) }
        set { handle.pointee.spin_limit = UInt32(clamping: newValue) }
    }

    /// How often this end slept and woke its peer.
    public var statistics: RingStatistics {
        RingStatistics(waits: handle.pointee.waits, sleeps: handle.pointee.sleeps,
                       sleepTimeouts: handle.pointee.sleep_timeouts, wakes: handle.pointee.wakes)
    }

    /// Whether corruption was detected; every later call then fails.
    public var isBroken: Bool { handle.pointee.broken != 0 }

    /// Closes this end and wakes the peer; later calls fail or report closed.
    public func close() { bourse_ring_close(handle) }

    /// Maps a `bourse_ring_status` other than OK to an error.
    static func error(_ status: Int32, name: String, what: String, length: Int = 0, maximum: Int = 0, errno code: Int32 = 0) -> BourseError {
        switch status {
        case Int32(BOURSE_RING_CORRUPT.rawValue):
            return BourseError(.invalidMessage, "shared ring '\(name)' is corrupt (\(what)): the peer wrote impossible positions or frame headers", input: name)
        case Int32(BOURSE_RING_TOO_BIG.rawValue):
            return BourseError(.invalidMessage, "a frame of \(length) payload bytes does not fit ring '\(name)' (at most \(maximum)); it must be chunked", input: name)
        case Int32(BOURSE_RING_CLOSED.rawValue):
            return BourseError(.queueClosed, "the peer closed ring '\(name)' (\(what))", input: name)
        case Int32(BOURSE_RING_SYSTEM.rawValue):
            return SystemCall.error("futex", errno: code, input: name)
        case Int32(BOURSE_RING_INVALID.rawValue):
            return BourseError(.invalidMessage, "ring '\(name)' refused the call (\(what)): not a valid ring of this version, wrong end, or a reserved frame type", input: name)
        default:
            return BourseError(.invalidMessage, "ring '\(name)' returned status \(status) (\(what))", input: name)
        }
    }

    /// Turns a wait status into a `WaitResult` or an error.
    func waitResult(_ status: Int32, what: String, length: Int = 0) throws(BourseError) -> WaitResult {
        switch status {
        case Int32(BOURSE_RING_OK.rawValue): return .ready
        case Int32(BOURSE_RING_TIMEDOUT.rawValue): return .timedOut
        case Int32(BOURSE_RING_CLOSED.rawValue): return .closed
        default:
            throw RingEnd.error(status, name: name, what: what, length: length, maximum: maximumPayload, errno: handle.pointee.sys_errno)
        }
    }
}
