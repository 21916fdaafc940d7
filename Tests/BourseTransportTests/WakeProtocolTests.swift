import BourseTransport
import CBourseRing
import Testing

/// Runs `action` on the peer's handle once, when the waiting end reaches `stage`.
private final class HookContext {
    let peer: UnsafeMutablePointer<bourse_ring>
    let stage: Int32
    let action: (UnsafeMutablePointer<bourse_ring>) -> Void
    var fired = false

    init(peer: UnsafeMutablePointer<bourse_ring>, stage: bourse_ring_wait_stage, action: @escaping (UnsafeMutablePointer<bourse_ring>) -> Void) {
        self.peer = peer
        self.stage = Int32(stage.rawValue)
        self.action = action
    }
}

private let hook: bourse_ring_test_hook = { _, stage, context in
    let box = Unmanaged<HookContext>.fromOpaque(context!).takeUnretainedValue()
    if stage == box.stage && !box.fired {
        box.fired = true
        box.action(box.peer)
    }
}

/// Both ends of one ring, through the C API.
private struct RawRing {
    let region: SharedRegion
    let producer = UnsafeMutablePointer<bourse_ring>.allocate(capacity: 1)
    let consumer = UnsafeMutablePointer<bourse_ring>.allocate(capacity: 1)

    init() throws {
        region = try SharedRegion.create(name: "raw", size: Ring.regionSize(capacity: 256))
        try Ring.initialize(in: region, offset: 0, capacity: 256)
        #expect(bourse_ring_attach(producer, region.base, region.size, BOURSE_RING_PRODUCER) == 0)
        #expect(bourse_ring_attach(consumer, region.base, region.size, BOURSE_RING_CONSUMER) == 0)
    }

    func free() {
        producer.deallocate()
        consumer.deallocate()
    }
}

private let ok = Int32(BOURSE_RING_OK.rawValue)
private let twoSeconds: Int64 = 2_000_000_000

/// The peer acts at the exact points of a futex wait where a badly ordered
/// protocol loses the wake-up; a lost wake-up shows as a timed-out wait.
@Suite("Wait/wake protocol")
struct WakeProtocolTests {
    @Test("a commit at any point of the consumer's wait wakes it", arguments: [BOURSE_RING_STAGE_ANNOUNCED, BOURSE_RING_STAGE_SLEEPING])
    func consumerWakeNotLost(stage: bourse_ring_wait_stage) throws {
        let ring = try RawRing()
        defer { ring.free() }
        let box = HookContext(peer: ring.producer, stage: stage) { producer in
            var value: UInt64 = 7
            _ = bourse_ring_write(producer, 1, 0, &value, 8)
            bourse_ring_commit(producer)
        }
        ring.consumer.pointee.spin_limit = 0
        ring.consumer.pointee.test_hook = hook
        ring.consumer.pointee.test_context = Unmanaged.passUnretained(box).toOpaque()
        #expect(bourse_ring_wait_data(ring.consumer, twoSeconds) == ok)
        #expect(box.fired)
        #expect(ring.producer.pointee.wakes == 1)  // it saw the announcement
        #expect(ring.consumer.pointee.sleeps == (stage == BOURSE_RING_STAGE_SLEEPING ? 1 : 0))
        #expect(ring.consumer.pointee.sleep_timeouts == 0)  // a lost wake-up sleeps until the timeout
        var frame = bourse_ring_frame()
        #expect(bourse_ring_next(ring.consumer, &frame) == ok && frame.length == 8)
    }

    @Test("a release at any point of the producer's wait wakes it", arguments: [BOURSE_RING_STAGE_ANNOUNCED, BOURSE_RING_STAGE_SLEEPING])
    func producerWakeNotLost(stage: bourse_ring_wait_stage) throws {
        let ring = try RawRing()
        defer { ring.free() }
        var value: UInt64 = 1
        while bourse_ring_write(ring.producer, 1, 0, &value, 8) == ok {}
        bourse_ring_commit(ring.producer)
        let box = HookContext(peer: ring.consumer, stage: stage) { consumer in
            var frame = bourse_ring_frame()
            _ = bourse_ring_next(consumer, &frame)
            bourse_ring_release(consumer)
        }
        ring.producer.pointee.spin_limit = 0
        ring.producer.pointee.test_hook = hook
        ring.producer.pointee.test_context = Unmanaged.passUnretained(box).toOpaque()
        #expect(bourse_ring_wait_space(ring.producer, 8, twoSeconds) == ok)
        #expect(box.fired)
        #expect(ring.consumer.pointee.wakes == 1)
        #expect(ring.producer.pointee.sleep_timeouts == 0)
        #expect(bourse_ring_write(ring.producer, 1, 0, &value, 8) == ok)
    }

    @Test("without a peer, the wait sleeps until its timeout and nobody is woken")
    func idleWaitSleeps() throws {
        let ring = try RawRing()
        defer { ring.free() }
        ring.consumer.pointee.spin_limit = 16
        #expect(bourse_ring_wait_data(ring.consumer, 5_000_000) == Int32(BOURSE_RING_TIMEDOUT.rawValue))
        #expect(ring.consumer.pointee.sleeps >= 1)
        #expect(ring.consumer.pointee.sleep_timeouts >= 1)
        #expect(ring.consumer.pointee.waits >= ring.consumer.pointee.sleeps)
        var value: UInt64 = 1
        _ = bourse_ring_write(ring.producer, 1, 0, &value, 8)
        bourse_ring_commit(ring.producer)
        #expect(ring.producer.pointee.wakes == 0)  // the consumer no longer waits
    }
}
