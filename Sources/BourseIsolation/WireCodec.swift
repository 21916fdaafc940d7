import BourseCore

/// Appends little-endian integers and length-prefixed strings to a byte
/// array: the payload of a control frame between host and worker.
struct WireEncoder {
    private(set) var bytes: [UInt8] = []

    init() {}

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }

    /// A string as u32 byte count + UTF-8 bytes.
    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        u32(UInt32(utf8.count))
        bytes += utf8
    }

    /// A list as u32 count + each element.
    mutating func list<T>(_ values: [T], _ each: (inout WireEncoder, T) -> Void) {
        u32(UInt32(values.count))
        for value in values { each(&self, value) }
    }
}

/// Reads what `WireEncoder` wrote, checking every length against the bytes
/// actually there: the worker is untrusted, so a malformed frame is an
/// error, never an out-of-bounds read.
struct WireDecoder {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    /// Upper bound on any list a frame may carry (topics, fields...).
    static let maximumListCount = 1 << 20

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - offset else {
            throw BourseError(.invalidMessage, "malformed frame: needs \(count) more bytes at offset \(offset) of \(bytes.count)")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func u8() throws -> UInt8 { try take(1)[0] }
    mutating func u16() throws -> UInt16 { UInt16(littleEndian: try take(2).loadUnaligned(as: UInt16.self)) }
    mutating func u32() throws -> UInt32 { UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    mutating func i32() throws -> Int32 { Int32(bitPattern: try u32()) }
    mutating func u64() throws -> UInt64 { UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self)) }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }

    mutating func string() throws -> String {
        let count = Int(try u32())
        return String(decoding: try take(count), as: UTF8.self)
    }

    mutating func list<T>(_ each: (inout WireDecoder) throws -> T) throws -> [T] {
        let count = Int(try u32())
        guard count <= WireDecoder.maximumListCount, count <= bytes.count - offset else {
            throw BourseError(.invalidMessage, "malformed frame: list of \(count) entries in \(bytes.count - offset) bytes")
        }
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try each(&self)) }
        return values
    }

    /// Throws unless every byte was read.
    func finish() throws {
        guard offset == bytes.count else {
            throw BourseError(.invalidMessage, "malformed frame: \(bytes.count - offset) unexpected trailing bytes")
        }
    }
}
