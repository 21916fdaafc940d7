#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CBourseRing

/// Two rings in one shared memory file: ring 0 carries frames from the host
/// to the worker, ring 1 from the worker to the host.
///
/// The host creates the channel, starts the worker with `fileDescriptor`
/// inherited, and the worker attaches from that fd alone: the region starts
/// with a `bourse_channel_header` saying where each ring lies.
///
///     region: [header 64 B | pad to 4 KiB][ring 0: control 512 B + data][pad][ring 1 ...]
///
/// The host never re-reads the header (the worker could have rewritten it);
/// it keeps the layout it wrote. The worker validates the header before use.
public final class Channel: @unchecked Sendable {
    /// Which process this end belongs to.
    public enum Side: String, Sendable {
        /// The Bourse host: writes ring 0, reads ring 1.
        case host
        /// The plugin worker: writes ring 1, reads ring 0.
        case worker
    }

    /// Where the rings lie in the region.
    public struct Layout: Equatable, Sendable {
        /// Bytes of the whole region.
        public var regionSize: Int
        /// Bytes of ring 0 (host → worker): control block + data.
        public var hostToWorker: Range<Int>
        /// Bytes of ring 1 (worker → host): control block + data.
        public var workerToHost: Range<Int>

        /// The layout for two rings of the given data capacities (each
        /// rounded up to a power of two), each starting on a 4 KiB boundary.
        public init(hostToWorkerCapacity: Int, workerToHostCapacity: Int) {
            let alignment = Int(BOURSE_CHANNEL_ALIGNMENT)
            func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
            let first = Ring.regionSize(capacity: hostToWorkerCapacity)
            let second = Ring.regionSize(capacity: workerToHostCapacity)
            hostToWorker = alignment..<(alignment + first)
            let start = align(hostToWorker.upperBound)
            workerToHost = start..<(start + second)
            regionSize = align(workerToHost.upperBound)
        }

        init(regionSize: Int, hostToWorker: Range<Int>, workerToHost: Range<Int>) {
            self.regionSize = regionSize
            self.hostToWorker = hostToWorker
            self.workerToHost = workerToHost
        }

        /// The header describing this layout.
        var header: bourse_channel_header {
            var header = bourse_channel_header()
            header.magic = BOURSE_CHANNEL_MAGIC
            header.version = BOURSE_CHANNEL_VERSION
            header.header_size = UInt32(MemoryLayout<bourse_channel_header>.size)
            header.region_size = UInt64(regionSize)
            header.ring_offset = (UInt64(hostToWorker.lowerBound), UInt64(workerToHost.lowerBound))
            header.ring_size = (UInt64(hostToWorker.count), UInt64(workerToHost.count))
            return header
        }

        /// Reads the header at the start of `region` once and checks it:
        /// magic, version, sizes, and rings that are aligned, inside the
        /// region, clear of the header and of each other.
        static func read(from region: SharedRegion) throws(BourseError) -> Layout {
            func bad(_ why: String) -> BourseError {
                BourseError(.invalidMessage, "shared region '\(region.name)' is not a valid channel: \(why)", input: region.name)
            }
            let headerSize = MemoryLayout<bourse_channel_header>.size
            guard region.size >= headerSize else { throw bad("only \(region.size) bytes") }
            let header = region.base.loadUnaligned(as: bourse_channel_header.self)
            guard header.magic == BOURSE_CHANNEL_MAGIC else { throw bad("wrong magic number") }
            guard header.version == BOURSE_CHANNEL_VERSION else { throw bad("layout version \(header.version), expected \(BOURSE_CHANNEL_VERSION)") }
            guard Int(header.header_size) == headerSize else { throw bad("header of \(header.header_size) bytes") }
            guard header.region_size == UInt64(region.size) else { throw bad("header says \(header.region_size) bytes, the file has \(region.size)") }
            let alignment = UInt64(BOURSE_CHANNEL_ALIGNMENT)
            var rings: [Range<Int>] = []
            for (offset, size) in [(header.ring_offset.0, header.ring_size.0), (header.ring_offset.1, header.ring_size.1)] {
                guard offset % alignment == 0, offset >= alignment, offset <= header.region_size,
                      size >= UInt64(Ring.controlSize), size <= header.region_size - offset else {
                    throw bad("ring at offset \(offset) of \(size) bytes does not fit")
                }
                rings.append(Int(offset)..<Int(offset + size))
            }
            guard !rings[0].overlaps(rings[1]) else { throw bad("the rings overlap") }
            return Layout(regionSize: region.size, hostToWorker: rings[0], workerToHost: rings[1])
        }
    }

    /// The shared memory holding both rings.
    public let region: SharedRegion
    /// This end's side.
    public let side: Side
    /// Where the rings lie (as written by the host, or validated by the worker).
    public let layout: Layout
    /// Frames this side sends: ring 0 for the host, ring 1 for the worker.
    public let writer: FrameWriter
    /// Frames this side receives: ring 1 for the host, ring 0 for the worker.
    public let reader: FrameReader

    private init(region: SharedRegion, side: Side, layout: Layout) throws(BourseError) {
        self.region = region
        self.side = side
        self.layout = layout
        let outgoing = side == .host ? layout.hostToWorker : layout.workerToHost
        let incoming = side == .host ? layout.workerToHost : layout.hostToWorker
        writer = try FrameWriter(region: region, offset: outgoing.lowerBound, byteCount: outgoing.count,
                                 name: "\(region.name) \(side == .host ? "host→worker" : "worker→host")")
        reader = try FrameReader(region: region, offset: incoming.lowerBound, byteCount: incoming.count,
                                 name: "\(region.name) \(side == .host ? "worker→host" : "host→worker")")
    }

    /// Host side: creates the shared memory file, lays out the header and
    /// two empty rings with the given data capacities (rounded up to powers
    /// of two), and attaches to them. Pass `fileDescriptor` to the worker.
    public static func create(name: String, hostToWorkerCapacity: Int, workerToHostCapacity: Int) throws(BourseError) -> Channel {
        let layout = Layout(hostToWorkerCapacity: hostToWorkerCapacity, workerToHostCapacity: workerToHostCapacity)
        let region = try SharedRegion.create(name: name, size: layout.regionSize)
        try Ring.initialize(in: region, offset: layout.hostToWorker.lowerBound, capacity: hostToWorkerCapacity)
        try Ring.initialize(in: region, offset: layout.workerToHost.lowerBound, capacity: workerToHostCapacity)
        region.base.storeBytes(of: layout.header, as: bourse_channel_header.self)
        return try Channel(region: region, side: .host, layout: layout)
    }

    /// Worker side: maps the shared memory file behind `fileDescriptor`
    /// (taking ownership of the fd), validates the header and attaches to
    /// both rings. Throws `.invalidMessage` when the region is not a channel.
    public static func attach(fileDescriptor: Int32, name: String = "channel") throws(BourseError) -> Channel {
        let region = try SharedRegion.attach(fileDescriptor: fileDescriptor, name: name)
        return try Channel(region: region, side: .worker, layout: Layout.read(from: region))
    }

    /// Both sides: attaches `side` to a channel region already mapped here
    /// (tests, or a second handle in the host), validating the header.
    public static func attach(region: SharedRegion, side: Side) throws(BourseError) -> Channel {
        try Channel(region: region, side: side, layout: Layout.read(from: region))
    }

    /// The memfd to hand to the worker.
    public var fileDescriptor: Int32 { region.fileDescriptor }

    /// Closes both ends: the peer's reader sees `.closed` after the last
    /// frame, the peer's writer sees `.closed` when it waits for space.
    public func close() {
        writer.close()
        reader.close()
    }
}
