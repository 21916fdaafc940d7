import BourseCore
import BourseTransport
import CBourseRing
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A hostile peer can write anything into the shared block: every bad value
/// must come back as `.invalidMessage`, never a crash or an endless loop.
@Suite("Ring corruption")
struct CorruptionTests {
    private func expectCorrupt(_ ring: TestRing, _ comment: Comment) {
        let error = #expect(throws: BourseError.self, comment) { _ = try ring.reader.next() }
        #expect(error?.code == .invalidMessage, comment)
        #expect(ring.reader.isBroken, comment)
        // Broken stays broken.
        #expect(throws: BourseError.self, comment) { _ = try ring.reader.waitForData(timeoutNanoseconds: 0) }
    }

    @Test("impossible tail positions are reported")
    func badTail() throws {
        for (tail, why) in [(UInt64(257 * 8), "beyond capacity"), (12, "not 8-aligned"), (UInt64.max - 7, "wrapped")] {
            let ring = try TestRing(capacity: 256)
            ring.poke64(BOURSE_RING_OFFSET_TAIL, tail)
            expectCorrupt(ring, Comment(rawValue: why))
        }
        // Tail moving back behind what the reader already read.
        let ring = try TestRing(capacity: 256)
        let bytes: [UInt8] = [1, 2, 3]
        for _ in 0..<2 { try bytes.withUnsafeBytes { _ = try ring.writer.write(type: 1, $0) } }
        ring.writer.commit()
        _ = try ring.reader.next()
        _ = try ring.reader.next()
        ring.poke64(BOURSE_RING_OFFSET_TAIL, 8)
        expectCorrupt(ring, "tail behind the read position")
    }

    @Test("frame headers with impossible lengths are reported")
    func badFrameHeaders() throws {
        // Length larger than the ring, larger than published, larger than max payload.
        for length: UInt32 in [UInt32.max, 1_000_000, 200, 121] {
            let ring = try TestRing(capacity: 256)
            ring.pokeHeader(at: 0, length: length, type: 1)
            ring.poke64(BOURSE_RING_OFFSET_TAIL, 128)
            expectCorrupt(ring, "length \(length)")
        }
        // Frame published only partly: header says 64 bytes, tail says 16.
        let short = try TestRing(capacity: 256)
        short.pokeHeader(at: 0, length: 56, type: 1)
        short.poke64(BOURSE_RING_OFFSET_TAIL, 16)
        expectCorrupt(short, "frame longer than what was published")
    }

    @Test("frames crossing the end and bad padding are reported")
    func crossingAndPadding() throws {
        func ringAt224() throws -> TestRing {
            let ring = try TestRing(capacity: 256)
            let payload = [UInt8](repeating: 0, count: 24)
            for _ in 0..<7 { try payload.withUnsafeBytes { _ = try ring.writer.write(type: 1, $0) } }
            ring.writer.commit()
            #expect(try ring.reader.drain { _ in } == 7)  // reader now at position 224
            return ring
        }
        let crossing = try ringAt224()
        crossing.pokeHeader(at: 224, length: 100, type: 1)
        crossing.poke64(BOURSE_RING_OFFSET_TAIL, 224 + 128)
        expectCorrupt(crossing, "frame crossing the end")

        let shortPad = try ringAt224()
        shortPad.pokeHeader(at: 224, length: 8, type: Ring.padType)
        shortPad.poke64(BOURSE_RING_OFFSET_TAIL, 224 + 128)
        expectCorrupt(shortPad, "padding that does not reach the end")

        let padAtZero = try TestRing(capacity: 256)
        padAtZero.pokeHeader(at: 0, length: 248, type: Ring.padType)
        padAtZero.poke64(BOURSE_RING_OFFSET_TAIL, 256)
        expectCorrupt(padAtZero, "padding at offset 0")

        // Valid padding is skipped.
        let valid = try ringAt224()
        valid.pokeHeader(at: 224, length: 24, type: Ring.padType)
        valid.pokeHeader(at: 0, length: 5, type: 9)
        valid.poke64(BOURSE_RING_OFFSET_TAIL, 224 + 32 + 16)
        let frame = try #require(try valid.reader.next())
        #expect(frame.type == 9 && frame.payload.count == 5)
    }

    @Test("an impossible head from the reader is reported to the writer")
    func badHead() throws {
        let ring = try TestRing(capacity: 256)
        while try ring.writer.reserve(56, type: 1) != nil {}
        ring.writer.commit()
        ring.poke64(BOURSE_RING_OFFSET_HEAD, 512)  // released more than was published
        let error = #expect(throws: BourseError.self) { try ring.writer.reserve(56, type: 1) }
        #expect(error?.code == .invalidMessage)
        #expect(ring.writer.isBroken)

        let misaligned = try TestRing(capacity: 256)
        while try misaligned.writer.reserve(56, type: 1) != nil {}
        misaligned.writer.commit()
        misaligned.poke64(BOURSE_RING_OFFSET_HEAD, 4)
        #expect(throws: BourseError.self) { try misaligned.writer.waitForSpace(56, timeoutNanoseconds: 0) }
    }

    @Test("attaching refuses regions that are not rings")
    func badAttach() throws {
        let region = try SharedRegion.create(name: "not-a-ring", size: 4096)
        #expect(throws: BourseError.self) { try FrameReader(region: region) }  // zero magic
        try Ring.initialize(in: region, offset: 0, capacity: 2048)
        _ = try FrameReader(region: region)
        (region.base + Int(BOURSE_RING_OFFSET_CAPACITY)).storeBytes(of: UInt64(1 << 20), as: UInt64.self)
        #expect(throws: BourseError.self) { try FrameReader(region: region) }  // larger than the mapping
        (region.base + Int(BOURSE_RING_OFFSET_CAPACITY)).storeBytes(of: UInt64(1000), as: UInt64.self)
        #expect(throws: BourseError.self) { try FrameWriter(region: region) }  // not a power of two
        try Ring.initialize(in: region, offset: 0, capacity: 2048)
        (region.base + Int(BOURSE_RING_OFFSET_VERSION)).storeBytes(of: UInt32(99), as: UInt32.self)
        #expect(throws: BourseError.self) { try FrameWriter(region: region) }
        #expect(throws: BourseError.self) { try FrameWriter(region: region, offset: 4000) }  // outside the region
    }

    @Test("random garbage in the control block and data never reads out of bounds")
    func fuzz() throws {
        var rng = SplitMix(state: 7)
        let ring = try TestRing(capacity: 512)
        let data = ring.data
        let dataStart = UInt(bitPattern: data.baseAddress)
        var corrupt = 0
        var frames = 0
        for round in 0..<3000 {
            // Scribble over the data area and the producer's control words.
            for _ in 0..<Int(rng.next() % 16) {
                let offset = Int(rng.next() % 64) * 8
                let word: UInt64 = rng.next() % 2 == 0 ? rng.next() : (rng.next() % 600) | (UInt64(rng.next() % 3 == 0 ? 0xFFFF : 1) << 32)
                data.baseAddress!.storeBytes(of: word, toByteOffset: offset, as: UInt64.self)
            }
            let tail = rng.next() % 4 == 0 ? rng.next() : (rng.next() % 80) * 8
            ring.poke64(BOURSE_RING_OFFSET_TAIL, tail)
            ring.poke64(BOURSE_RING_OFFSET_HEAD, round % 2 == 0 ? 0 : (rng.next() % 64) * 8)
            guard let reader = try? FrameReader(region: ring.region) else { corrupt += 1; continue }
            do {
                for _ in 0..<200 {
                    guard let frame = try reader.next() else { break }
                    let start = UInt(bitPattern: frame.payload.baseAddress)
                    #expect(start >= dataStart + 8 && start + UInt(frame.payload.count) <= dataStart + 512)
                    frames += 1
                }
            } catch {
                #expect(error.code == .invalidMessage)
                corrupt += 1
            }
        }
        #expect(corrupt > 100 && frames > 100)
    }

    @Test("a channel header with bad values is refused")
    func badChannelHeader() throws {
        let channel = try Channel.create(name: "bad-header", hostToWorkerCapacity: 4096, workerToHostCapacity: 4096)
        _ = try Channel.attach(region: channel.region, side: .worker)
        let base = channel.region.base
        let saved = base.load(as: bourse_channel_header.self)
        let edits: [(String, (inout bourse_channel_header) -> Void)] = [
            ("magic", { $0.magic = 1 }),
            ("version", { $0.version = 2 }),
            ("region size", { $0.region_size += 4096 }),
            ("unaligned ring", { $0.ring_offset.0 += 8 }),
            ("ring over the header", { $0.ring_offset.0 = 0 }),
            ("ring past the end", { $0.ring_size.1 = UInt64.max }),
            ("overlapping rings", { $0.ring_offset.1 = $0.ring_offset.0 }),
        ]
        for (what, edit) in edits {
            var header = saved
            edit(&header)
            base.storeBytes(of: header, as: bourse_channel_header.self)
            let error = #expect(throws: BourseError.self, Comment(rawValue: what)) { try Channel.attach(region: channel.region, side: .worker) }
            #expect(error?.code == .invalidMessage)
        }
    }

    @Test("the shared memory file is sealed: a peer cannot shrink it under us")
    func sealed() throws {
        let region = try SharedRegion.create(name: "sealed", size: 8192)
        #expect(ftruncate(region.fileDescriptor, 4096) == -1)
        #expect(errno == EPERM)
        #expect(ftruncate(region.fileDescriptor, 16384) == -1)
    }
}
