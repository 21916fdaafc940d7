import BourseCore
import BourseTransport
import CBourseRing
#if canImport(Glibc)
import Glibc
#endif

/// A region holding one ring, with both ends attached.
struct TestRing {
    let region: SharedRegion
    let writer: FrameWriter
    let reader: FrameReader

    init(capacity: Int, name: String = "test-ring") throws {
        region = try SharedRegion.create(name: name, size: Ring.regionSize(capacity: capacity))
        try Ring.initialize(in: region, offset: 0, capacity: capacity)
        writer = try FrameWriter(region: region, name: name)
        reader = try FrameReader(region: region, name: name)
    }

    /// Stores a 64-bit control word at `offset` in the control block.
    func poke64(_ offset: UInt32, _ value: UInt64) {
        (region.base + Int(offset)).storeBytes(of: value, as: UInt64.self)
    }

    /// Stores a frame header word at data offset `offset`.
    func pokeHeader(at offset: Int, length: UInt32, type: UInt16, flags: UInt16 = 0) {
        let word = UInt64(length) | UInt64(type) << 32 | UInt64(flags) << 48
        (region.base + Ring.controlSize + offset).storeBytes(of: word, as: UInt64.self)
    }

    /// The data area.
    var data: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: region.base + Ring.controlSize, count: region.size - Ring.controlSize)
    }
}

/// Deterministic pseudo-random numbers (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Fills `buffer` with bytes derived from `seed`.
func fillPattern(_ buffer: UnsafeMutableRawBufferPointer, seed: Int) {
    for i in 0..<buffer.count { buffer[i] = UInt8(truncatingIfNeeded: seed &* 31 &+ i) }
}

/// Whether `buffer` holds the bytes `fillPattern` wrote for `seed`.
func matchesPattern(_ buffer: UnsafeRawBufferPointer, seed: Int) -> Bool {
    for i in 0..<buffer.count where buffer[i] != UInt8(truncatingIfNeeded: seed &* 31 &+ i) { return false }
    return true
}

private final class ThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// Runs `body` on a new POSIX thread; join it with `pthread_join`.
func startThread(_ body: @escaping () -> Void) -> pthread_t {
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create failed")
    return thread
}

/// A counter shared between test threads.
final class SharedCounter: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var value = 0
    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }
    func add(_ n: Int) { pthread_mutex_lock(&lock); value += n; pthread_mutex_unlock(&lock) }
    var current: Int { pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }; return value }
}

/// Nanoseconds on the monotonic clock.
func nowNanoseconds() -> Int64 { Clock.monotonicNanoseconds() }
