// A file (plain, gzip or zip) read through a codec's decoder, chunk by chunk.
import BourseBarFiles

/// What can go wrong reading a ``DecodedFile``: the file itself, or the codec.
public enum DecodedFileError: Error, CustomStringConvertible {
    /// Reading the bytes failed (I/O, a corrupt archive).
    case file(BarFileError)
    /// The codec refused the stream, or a record under the `stop` policy.
    case codec(CodecError)

    /// The underlying error's message.
    public var description: String {
        switch self {
        case .file(let error): return error.description
        case .codec(let error): return "\(error)"
        }
    }
}

/// The messages of one file, decoded with a codec: the file is read in
/// 64 KiB chunks as the decoder needs them. Used by the `file` source and by
/// the `failover` group's `file` children.
public final class DecodedFile {
    /// The opened bytes (``ByteSource/displayName`` names the file in messages).
    public let source: ByteSource
    private let decoder: any MessageDecoder
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)
    private var inputEnded = false

    /// Opens `path` (plain, gzip or zip, recognised by content) for `codec`.
    /// - Throws: ``BarFileError`` when the file cannot be opened.
    public init(path: String, codec: any Codec) throws(BarFileError) {
        source = try openByteSource(path: path)
        decoder = codec.makeDecoder(sourceName: source.displayName)
    }

    /// The next decoded message or skipped record; nil at the end of the file.
    public func next() throws(DecodedFileError) -> DecodedItem? {
        while true {
            let item: DecodedItem?
            do {
                item = try decoder.next()
            } catch {
                throw .codec(error)
            }
            if let item { return item }
            if inputEnded { return nil }
            let source = self.source
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { buffer in
                    Result { () throws(BarFileError) in try source.read(into: buffer) }
                }.get()
            } catch {
                throw .file(error)
            }
            if count == 0 {
                inputEnded = true
                decoder.finishInput()
            } else {
                chunk.withUnsafeBytes { decoder.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
        }
    }

    /// Closes the file; ``next()`` then drains what the decoder holds and ends.
    public func close() {
        source.close()
    }
}
