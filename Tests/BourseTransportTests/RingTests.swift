import BourseCore
import BourseTransport
import CBourseRing
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Ring frames")
struct RingTests {
    @Test("shared layout constants match the C header")
    func layout() {
        #expect(Ring.controlSize == 512)
        #expect(MemoryLayout<bourse_channel_header>.size == 64)
        #expect(MemoryLayout<bourse_ring_frame>.size == 16)
        #expect(BOURSE_RING_OFFSET_TAIL == 128 && BOURSE_RING_OFFSET_HEAD == 256)
        #expect(Ring.regionSize(capacity: 1000) == 512 + 1024)
        #expect(Ring.maximumPayload(capacity: 4096) == 2040)
    }

    @Test("frames of varying sizes round-trip through many wrap-arounds")
    func roundTripWithWrapAround() throws {
        let ring = try TestRing(capacity: 256)
        #expect(ring.writer.maximumPayload == 120)
        var rng = SplitMix(state: 42)
        var sent = 0
        var received = 0
        var pending: [(seed: Int, length: Int, type: UInt16, flags: UInt16)] = []
        // 2000 frames through a 256-byte ring: the tail wraps hundreds of times,
        // with padding whenever a frame would cross the end.
        while received < 2000 {
            let burst = Int(rng.next() % 5) + 1
            for _ in 0..<burst where sent < 2000 {
                let length = Int(rng.next() % 121)
                let type = UInt16(truncatingIfNeeded: rng.next() % 0xFFFF)
                let flags = UInt16(truncatingIfNeeded: rng.next())
                guard let payload = try ring.writer.reserve(length, type: type, flags: flags) else { break }
                #expect(Int(bitPattern: payload.baseAddress) % 8 == 0)
                fillPattern(payload, seed: sent)
                pending.append((sent, length, type, flags))
                sent += 1
            }
            ring.writer.commit()
            while let frame = try ring.reader.next() {
                let expected = pending.removeFirst()
                #expect(frame.payload.count == expected.length)
                #expect(frame.type == expected.type && frame.flags == expected.flags)
                #expect(matchesPattern(frame.payload, seed: expected.seed))
                received += 1
            }
            ring.reader.release()
        }
        #expect(pending.isEmpty)
        #expect(ring.writer.statistics.wakes == 0)
    }

    @Test("reserved frames stay invisible until one commit publishes them all")
    func batchCommit() throws {
        let ring = try TestRing(capacity: 4096)
        for i in 0..<3 {
            let bytes: [UInt8] = [UInt8(i), 1, 2]
            let written = try bytes.withUnsafeBytes { try ring.writer.write(type: 7, $0) }
            #expect(written)
        }
        #expect(try ring.reader.next() == nil)
        #expect(try ring.reader.waitForData(timeoutNanoseconds: 0) == .timedOut)
        ring.writer.commit()
        var seen: [UInt8] = []
        let count = try ring.reader.drain { seen.append($0.payload[0]) }
        #expect(count == 3 && seen == [0, 1, 2])
    }

    @Test("a full ring refuses reservations; waitForSpace wakes when the reader releases")
    func fullRingWaitsForSpace() throws {
        let ring = try TestRing(capacity: 1024)
        ring.writer.spinLimit = 0
        var written = 0
        while try ring.writer.reserve(100, type: 1) != nil { written += 1 }
        #expect(written == 9)  // 9 × 112 bytes = 1008 of 1024
        ring.writer.commit()
        #expect(try ring.writer.waitForSpace(100, timeoutNanoseconds: 0) == .timedOut)
        let reader = ring.reader
        let thread = startThread {
            usleep(20_000)  // let the writer fall asleep on the futex
            _ = try? reader.drain(maxFrames: 1) { _ in }
        }
        #expect(try ring.writer.waitForSpace(100, timeoutNanoseconds: 10_000_000_000) == .ready)
        pthread_join(thread, nil)
        #expect(try ring.writer.reserve(100, type: 1) != nil)
        #expect(ring.writer.statistics.sleeps >= 1)
        #expect(ring.reader.statistics.wakes == 1)
    }

    @Test("waits time out when nothing happens")
    func timeouts() throws {
        let ring = try TestRing(capacity: 256)
        var start = nowNanoseconds()
        #expect(try ring.reader.waitForData(timeoutNanoseconds: 20_000_000) == .timedOut)
        #expect(nowNanoseconds() - start >= 19_000_000)
        while try ring.writer.reserve(56, type: 1) != nil {}
        start = nowNanoseconds()
        #expect(try ring.writer.waitForSpace(56, timeoutNanoseconds: 20_000_000) == .timedOut)
        #expect(nowNanoseconds() - start >= 19_000_000)
    }

    @Test("an idle wait sleeps instead of burning the CPU, and an unlimited timeout still wakes")
    func idleWaitSleeps() throws {
        let ring = try TestRing(capacity: 256)
        let cpu = Clock.threadCPUNanoseconds()
        #expect(try ring.reader.waitForData(timeoutNanoseconds: 100_000_000) == .timedOut)
        #expect(Clock.threadCPUNanoseconds() - cpu < 20_000_000)  // spins ~25 µs, then sleeps
        #expect(ring.reader.statistics.sleeps >= 1)
        let writer = ring.writer
        let thread = startThread {
            usleep(10_000)
            let byte: [UInt8] = [1]
            _ = byte.withUnsafeBytes { try? writer.write(type: 1, $0) }
            writer.commit()
        }
        #expect(try ring.reader.waitForData(timeoutNanoseconds: .max) == .ready)
        pthread_join(thread, nil)
    }

    @Test("closing the writer ends the stream after the last frame")
    func closeEndsStream() throws {
        let ring = try TestRing(capacity: 256)
        let byte: [UInt8] = [9]
        try byte.withUnsafeBytes { _ = try ring.writer.write(type: 2, $0) }
        ring.writer.close()  // commits the pending frame
        #expect(try ring.reader.waitForData(timeoutNanoseconds: 1_000_000) == .ready)
        #expect(try ring.reader.next()?.payload.first == 9)
        #expect(try ring.reader.next() == nil)
        #expect(try ring.reader.waitForData(timeoutNanoseconds: 1_000_000) == .closed)
    }

    @Test("a closed reader makes a blocked writer return closed")
    func closedReader() throws {
        let ring = try TestRing(capacity: 256)
        while try ring.writer.reserve(56, type: 1) != nil {}
        ring.writer.commit()
        ring.reader.close()
        #expect(try ring.writer.waitForSpace(56, timeoutNanoseconds: 1_000_000) == .closed)
        #expect(throws: BourseError.self) { try ring.writer.reserve(56, type: 1) }
    }

    @Test("frames larger than the ring allows are refused, never truncated")
    func oversized() throws {
        let ring = try TestRing(capacity: 256)
        #expect(try ring.writer.reserve(120, type: 1) != nil)
        for length in [121, 256, 1 << 20, -1] {
            let error = #expect(throws: BourseError.self) { try ring.writer.reserve(length, type: 1) }
            #expect(error?.code == .invalidMessage)
        }
        #expect(throws: BourseError.self) { try ring.writer.waitForSpace(4096, timeoutNanoseconds: 0) }
        #expect(throws: BourseError.self) { try ring.writer.reserve(8, type: Ring.padType) }
        #expect(!ring.writer.isBroken)
    }

    @Test("send chunks large messages and MessageAssembler joins them")
    func chunkedSend() throws {
        let ring = try TestRing(capacity: 1024)  // 504-byte frames
        let message = (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let reader = ring.reader
        let received = SharedCounter()
        let thread = startThread {
            var assembler = MessageAssembler(limit: 1 << 20)
            var done = false
            while !done, (try? reader.waitForData(timeoutNanoseconds: 5_000_000_000)) == .ready {
                _ = try? reader.drain { frame in
                    if let whole = try assembler.add(frame) {
                        if whole.bytes == message && whole.type == 3 && whole.flags == 1 { received.add(1) }
                        done = true
                    }
                }
            }
        }
        try message.withUnsafeBytes { try ring.writer.send(type: 3, flags: 1, $0) }
        ring.writer.commit()
        pthread_join(thread, nil)
        #expect(received.current == 1)
        #expect(throws: BourseError.self) {
            try message.withUnsafeBytes { try ring.writer.send(type: 3, flags: Frame.moreFlag, $0) }
        }
    }

    @Test("MessageAssembler bounds what a peer can make it hold")
    func assemblerLimit() throws {
        let ring = try TestRing(capacity: 1024)
        let chunk = [UInt8](repeating: 1, count: 400)
        for _ in 0..<2 { try chunk.withUnsafeBytes { _ = try ring.writer.write(type: 1, flags: Frame.moreFlag, $0) } }
        ring.writer.commit()
        var assembler = MessageAssembler(limit: 700)
        #expect(try assembler.add(try #require(try ring.reader.next())) == nil)
        let error = #expect(throws: BourseError.self) { try assembler.add(try #require(try ring.reader.next())) }
        #expect(error?.code == .invalidMessage)
        #expect(assembler.isEmpty)
    }
}
