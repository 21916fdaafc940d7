import BourseCore
import BourseTransport
import CBourseRing
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Blocking, waking and crossing process boundaries.
@Suite("Ring concurrency", .serialized)
struct ConcurrencyTests {
    /// Generous: only a lost wake-up can make a wait reach it.
    static let waitLimit: Int64 = 5_000_000_000

    @Test("no lost wake-up: 1 M frames ping-ponged between two threads over 64-byte rings, sleeping every time")
    func pingPongStress() throws {
        let count = 1_000_000
        let there = try TestRing(capacity: 64, name: "ping")
        let back = try TestRing(capacity: 64, name: "pong")
        for end: RingEnd in [there.writer, there.reader, back.writer, back.reader] { end.spinLimit = 0 }
        let echoTimeouts = SharedCounter()
        let echoErrors = SharedCounter()
        let thread = startThread {
            do {
                var echoed = 0
                while echoed < count {
                    guard let frame = try there.reader.next() else {
                        if try there.reader.waitForData(timeoutNanoseconds: Self.waitLimit) == .timedOut { echoTimeouts.add(1) }
                        continue
                    }
                    let value = frame.payload.load(as: UInt64.self)
                    there.reader.release()
                    var out: UnsafeMutableRawBufferPointer?
                    while true {
                        out = try back.writer.reserve(8, type: 2)
                        if out != nil { break }
                        if try back.writer.waitForSpace(8, timeoutNanoseconds: Self.waitLimit) == .timedOut { echoTimeouts.add(1) }
                    }
                    out!.storeBytes(of: value &+ 1, as: UInt64.self)
                    back.writer.commit()
                    echoed += 1
                }
            } catch {
                echoErrors.add(1)
            }
        }
        var timeouts = 0
        var wrong = 0
        for i in 0..<count {
            guard let out = try there.writer.reserve(8, type: 1) else {
                Issue.record("ring with one frame in flight is full")
                break
            }
            out.storeBytes(of: UInt64(i), as: UInt64.self)
            there.writer.commit()
            while true {
                if let frame = try back.reader.next() {
                    if frame.payload.load(as: UInt64.self) != UInt64(i) + 1 { wrong += 1 }
                    back.reader.release()
                    break
                }
                if try back.reader.waitForData(timeoutNanoseconds: Self.waitLimit) == .timedOut { timeouts += 1 }
            }
        }
        pthread_join(thread, nil)
        #expect(timeouts == 0 && echoTimeouts.current == 0 && echoErrors.current == 0 && wrong == 0)
        // Wake at most once per sleep: every FUTEX_WAKE answers one announced sleep.
        #expect(there.writer.statistics.wakes <= there.reader.statistics.waits)
        #expect(back.writer.statistics.wakes <= back.reader.statistics.waits)
        #expect(there.reader.statistics.sleeps <= there.reader.statistics.waits)
        for end: RingEnd in [there.writer, there.reader, back.writer, back.reader] { #expect(end.statistics.sleepTimeouts == 0) }
        #expect(there.reader.statistics.sleeps > 0 && back.reader.statistics.sleeps > 0)
    }

    @Test("no lost wake-up: 1 M frames streamed through a 64-byte ring, both sides sleeping")
    func streamStress() throws {
        let count = 1_000_000
        let ring = try TestRing(capacity: 64)
        ring.writer.spinLimit = 0
        ring.reader.spinLimit = 0
        let reader = ring.reader
        let readerTimeouts = SharedCounter()
        let outOfOrder = SharedCounter()
        let thread = startThread {
            var expected: UInt64 = 0
            while expected < UInt64(count) {
                do {
                    let n = try reader.drain { frame in
                        if frame.payload.load(as: UInt64.self) != expected { outOfOrder.add(1) }
                        expected += 1
                    }
                    if n == 0, try reader.waitForData(timeoutNanoseconds: Self.waitLimit) == .timedOut { readerTimeouts.add(1) }
                } catch {
                    outOfOrder.add(1)
                    return
                }
            }
        }
        var timeouts = 0
        for i in 0..<count {
            while true {
                if let out = try ring.writer.reserve(24, type: 1) {
                    out.storeBytes(of: UInt64(i), as: UInt64.self)
                    break
                }
                if try ring.writer.waitForSpace(24, timeoutNanoseconds: Self.waitLimit) == .timedOut { timeouts += 1 }
            }
            if i % 3 == 2 { ring.writer.commit() }
        }
        ring.writer.close()
        pthread_join(thread, nil)
        #expect(timeouts == 0 && readerTimeouts.current == 0 && outOfOrder.current == 0)
        #expect(ring.writer.statistics.wakes <= ring.reader.statistics.waits)
        #expect(ring.reader.statistics.wakes <= ring.writer.statistics.waits)
        #expect(ring.writer.statistics.sleeps > 0 && ring.reader.statistics.sleeps > 0)
        #expect(ring.writer.statistics.sleepTimeouts == 0 && ring.reader.statistics.sleepTimeouts == 0)
    }

    @Test("a forked child echoes frames through a channel, with futex wake-ups across processes")
    func crossProcessEcho() throws {
        let channel = try Channel.create(name: "echo", hostToWorkerCapacity: 4096, workerToHostCapacity: 4096)
        channel.reader.spinLimit = 0  // always sleep: the child's FUTEX_WAKE must reach us
        let layout = channel.layout
        let base = channel.region.base
        let count = 2000
        let pid = bourse_ring_fork_echo(base + layout.hostToWorker.lowerBound, layout.hostToWorker.count,
                                        base + layout.workerToHost.lowerBound, layout.workerToHost.count, UInt64(count))
        try #require(pid > 0)
        var rng = SplitMix(state: 3)
        var sent = 0
        var received = 0
        var timeouts = 0
        var mismatches = 0
        var lengths: [Int] = []
        while received < count {
            // Bursts of 1-20 frames, sometimes after a pause so the child falls asleep.
            if sent < count {
                if rng.next() % 4 == 0 { usleep(300) }
                for _ in 0..<Int(rng.next() % 20 + 1) where sent < count {
                    let length = Int(rng.next() % 300)
                    guard let payload = try channel.writer.reserve(length, type: UInt16(sent % 100), flags: 5) else { break }
                    fillPattern(payload, seed: sent)
                    lengths.append(length)
                    sent += 1
                }
                channel.writer.commit()
            }
            let waited = try channel.reader.waitForData(timeoutNanoseconds: Self.waitLimit)
            if waited == .timedOut { timeouts += 1 }
            if waited == .closed {
                Issue.record("the child closed its rings after \(received) frames")
                break
            }
            try channel.reader.drain { frame in
                let ok = frame.type == UInt16(received % 100) && frame.flags == 5 &&
                    frame.payload.count == lengths[received] && matchesPattern(frame.payload, seed: received)
                if !ok { mismatches += 1 }
                received += 1
            }
        }
        #expect(try ChildProcess.wait(pid) == .exited(Int32(BOURSE_RING_OK.rawValue)))
        #expect(timeouts == 0 && mismatches == 0)
        #expect(channel.reader.statistics.sleeps > 0)
        #expect(channel.writer.statistics.wakes > 0)  // the child slept and we woke it
        #expect(try channel.reader.waitForData(timeoutNanoseconds: 1_000_000) == .closed)
    }

    @Test("a dead peer shows as timed-out waits; the caller then sees it has exited")
    func deadPeer() throws {
        let channel = try Channel.create(name: "dead", hostToWorkerCapacity: 4096, workerToHostCapacity: 4096)
        let layout = channel.layout
        let base = channel.region.base
        let pid = bourse_ring_fork_echo(base + layout.hostToWorker.lowerBound, layout.hostToWorker.count,
                                        base + layout.workerToHost.lowerBound, layout.workerToHost.count, 1_000_000)
        try #require(pid > 0)
        kill(pid, SIGKILL)
        #expect(try channel.reader.waitForData(timeoutNanoseconds: 20_000_000) == .timedOut)
        #expect(try ChildProcess.wait(pid) == .signaled(SIGKILL))
    }

    @Test("the worker attaches a channel from the fd alone and both directions work")
    func channelFromDescriptor() throws {
        let host = try Channel.create(name: "fd-channel", hostToWorkerCapacity: 8192, workerToHostCapacity: 2048)
        let worker = try Channel.attach(fileDescriptor: dup(host.fileDescriptor))
        #expect(worker.region.base != host.region.base)  // a second, independent mapping
        #expect(worker.layout == host.layout)
        #expect(worker.reader.capacity == 8192 && worker.writer.capacity == 2048)
        let hello = Array("hello worker".utf8)
        try hello.withUnsafeBytes { _ = try host.writer.write(type: 1, $0) }
        host.writer.commit()
        #expect(try worker.reader.waitForData(timeoutNanoseconds: 1_000_000_000) == .ready)
        #expect(Array(try #require(try worker.reader.next()).payload) == hello)
        worker.reader.release()
        let reply = Array("hello host".utf8)
        try reply.withUnsafeBytes { _ = try worker.writer.write(type: 2, $0) }
        worker.close()
        #expect(Array(try #require(try host.reader.next()).payload) == reply)
        #expect(try host.reader.waitForData(timeoutNanoseconds: 0) == .closed)
        #expect(try host.writer.waitForSpace(8, timeoutNanoseconds: 0) == .ready)
        #expect(throws: BourseError.self) { try Channel.attach(fileDescriptor: -1) }
    }
}
