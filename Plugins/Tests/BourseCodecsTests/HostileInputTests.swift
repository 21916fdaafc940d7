// Hostile input: every problem is a clear error naming where, never a crash.
import BourseBarFiles
import BourseCodecs
import BourseSDK
import Foundation
import Testing
import TestSupport

/// The error `decodeAll` throws, or nil.
func decodeError(_ codec: any Codec, _ bytes: [UInt8], chunk: Int = 1 << 20) -> CodecError? {
    do {
        _ = try decodeAll(codec, bytes, chunk: chunk)
        return nil
    } catch let error as CodecError {
        return error
    } catch {
        Issue.record("unexpected error type \(error)")
        return nil
    }
}

func stopping(_ name: String) throws -> any Codec {
    var options = CodecOptions()
    options.onBadRecord = .stop
    return try Codecs.named(name, options: options)
}

func sampleMessages() -> [CodecMessage] {
    [
        CodecMessage(topic: "bars.SPY.1d", instrument: "SPY", eventTime: 1_000,
                     payload: .bar(Bar(open: 1, high: 2, low: 0.5, close: 1.5, volume: 10))),
        CodecMessage(topic: "ind", instrument: "SPY", eventTime: 2_000, payload: .values(try! IndicatorValues([1, .nan])),
                     fieldNames: ["a", "b"]),
        CodecMessage(topic: "alerts", eventTime: 3_000, payload: .alert(Alert(score: 2, reason: "ünïcode 🚀"))),
    ]
}

@Test func binaryTruncatedAtEveryLengthIsATruncationError() throws {
    let codec = try Codecs.named("binary")
    let bytes = try encodeAll(codec, sampleMessages())
    for length in 1..<bytes.count {
        let prefix = Array(bytes.prefix(length))
        let error = decodeError(codec, prefix, chunk: 5)
        // A prefix that ends exactly between frames is a valid shorter stream.
        if let error {
            #expect(error.code == .truncated, "length \(length): \(error)")
            #expect(error.offset != nil && error.source == "test")
        }
    }
    #expect(decodeError(codec, Array(bytes.prefix(5)))?.description == "test@0: the stream ends inside its 8-byte header (5 bytes) [truncated]")
    #expect(try decodeAll(codec, []).messages.isEmpty)  // an empty stream holds no messages
}

@Test func binaryRefusesOtherMagicAndVersionsClearly() throws {
    let codec = try Codecs.named("binary")
    var bytes = try encodeAll(codec, sampleMessages())
    var future = bytes
    future[4] = 2
    let error = decodeError(codec, future)
    #expect(error?.code == .unsupportedVersion)
    #expect(error?.message == "binary stream version 2 is not supported: this codec reads version 1")
    #expect(error?.field == "version")
    bytes[0] = UInt8(ascii: "X")
    #expect(decodeError(codec, bytes)?.code == .badHeader)
    #expect(decodeError(codec, Array("time,topic,instrument\n".utf8))?.message.contains("not a Bourse binary stream") == true)
}

@Test func binaryBadFramesAreNamedByOffset() throws {
    let codec = try Codecs.named("binary")
    let header: [UInt8] = Array("BRSM".utf8) + [1, 0, 0, 0]
    // A length of 0, and one beyond the limit: the stream ends.
    #expect(decodeError(codec, header + [0, 0, 0, 0])?.code == .badFrame)
    let huge = decodeError(codec, header + [0xFF, 0xFF, 0xFF, 0x7F])
    #expect(huge?.code == .badFrame && huge?.offset == 8)
    // A message referring to an undefined string: skipped, or thrown under stop.
    var frame: [UInt8] = [2, 1, 0, 0, 0, 5, 0]  // message, type 1, flags 0, topic ref 5 (undefined)
    frame += [UInt8](repeating: 0, count: 9) + [UInt8](repeating: 0, count: 48)
    let stream = header + [UInt8(frame.count), 0, 0, 0] + frame
    let skipped = try decodeAll(codec, stream).skipped
    #expect(skipped.count == 1 && skipped[0].code == .badRecord && skipped[0].field == "topic" && skipped[0].offset == 8)
    #expect(decodeError(try stopping("binary"), stream)?.message == "topic refers to string 5, but only 0 are defined")
    // A bar payload one byte short decodes as another type; a values payload whose count disagrees is refused.
    var values: [UInt8] = [2, 4, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 9) + [9, 0, 0, 0, 0, 0, 0, 0]
    values += [UInt8](repeating: 0, count: 16)
    let bad = try decodeAll(codec, header + [UInt8(values.count), 0, 0, 0] + values).skipped
    #expect(bad.first?.message.contains("inconsistent") == true)
}

@Test func binaryGarbageNeverCrashes() throws {
    var random = SeededRandom(seed: 42)
    let codec = try Codecs.named("binary")
    let valid = try encodeAll(codec, sampleMessages())
    for _ in 0..<2000 {
        var bytes = valid
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
        }
        _ = decodeError(codec, bytes, chunk: Int.random(in: 1...64, using: &random))
    }
}

@Test func csvErrorsNameLineAndField() throws {
    let codec = try stopping("csv")
    let header = "time,topic,instrument,open,high,low,close,volume\n"
    let columns = decodeError(codec, Array((header + "1970-01-01T00:00:00Z,t,X,1,2,3\n").utf8))
    #expect(columns?.code == .columnCount && columns?.line == 2)
    #expect(columns?.description == "test:2: expected 8 columns, found 6 [column_count]")
    let number = decodeError(codec, Array((header + "1970-01-01T00:00:00Z,t,X,1,2,x,4,5\n").utf8))
    #expect(number?.code == .badField && number?.field == "low" && number?.line == 2)
    let time = decodeError(codec, Array((header + "yesterday,t,X,1,2,3,4,5\n").utf8))
    #expect(time?.field == "time")
    let quote = decodeError(codec, Array((header + "1970-01-01T00:00:00Z,\"t,X,1,2,3,4,5\n").utf8))
    #expect(quote?.code == .truncated)
    let tooMany = "time,topic,instrument," + (0..<17).map { "v\($0)" }.joined(separator: ",") + "\n"
    #expect(decodeError(codec, Array(tooMany.utf8))?.code == .badHeader)
    let side = "time,topic,instrument,price,size,side,exchange\n1970-01-01T00:00:00Z,t,X,1,2,sideways,3\n"
    #expect(decodeError(codec, Array(side.utf8))?.message == "side 'sideways' must be one of unknown, buy, sell")
    // Under skip, bad rows are reported and the rest decodes.
    let mixed = header + "1970-01-01T00:00:00Z,t,X,1,2,3\n1970-01-01T00:00:01Z,t,X,1,2,0.5,1.5,5\n"
    let result = try decodeAll(try Codecs.named("csv"), Array(mixed.utf8))
    #expect(result.messages.count == 1 && result.skipped.count == 1 && result.skipped[0].line == 2)
}

@Test func csvCRLFAndLFDecodeAlike() throws {
    let codec = try Codecs.named("csv")
    let lf = try encodeAll(codec, [sampleMessages()[0], sampleMessages()[0]])
    let crlf = Array(String(decoding: lf, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8)
    let a = try decodeAll(codec, lf), b = try decodeAll(codec, crlf, chunk: 3)
    #expect(b.skipped.isEmpty && a.messages.count == 2)
    expectSame(b.messages, a.messages, "crlf")
    // A quoted CR LF inside a reason survives; the record keeps its first line's number.
    let alert = CodecMessage(topic: "a", eventTime: 0, payload: .alert(Alert(score: 1, reason: "x\r\ny")))
    let two = try encodeAll(codec, [alert, alert])
    expectSame(try decodeAll(codec, two, chunk: 2).messages, [alert, alert], "quoted crlf")
}

@Test func jsonLinesErrorsNameLineAndField() throws {
    let codec = try stopping("jsonl")
    #expect(decodeError(codec, Array("{\"time\": \n".utf8))?.code == .badRecord)
    #expect(decodeError(codec, Array("[1]\n".utf8))?.message == "a line must hold a JSON object, got an array")
    let type = decodeError(codec, Array(#"{"time":"1970-01-01T00:00:00Z","type":"tick"}"#.utf8))
    #expect(type?.field == "type" && type?.line == 1)
    let missing = decodeError(codec, Array("\n\(#"{"time":"1970-01-01T00:00:00Z","type":"bar","open":1}"#)\n".utf8))
    #expect(missing?.description == "test:2: missing key \"high\" (line 2) [bad_field]" || missing?.field == "high")
    #expect(missing?.line == 2)
    let range = decodeError(codec, Array(#"{"time":"1970-01-01T00:00:00Z","type":"trade","price":1,"size":1,"side":"buy","exchange":-1}"#.utf8))
    #expect(range?.field == "exchange")
    let tooLong = decodeError(try Codecs.named("jsonl"), Array(repeating: UInt8(ascii: "x"), count: (1 << 20) + 10))
    #expect(tooLong?.code == .recordTooLong)
}

@Test func unknownCodecNameIsAnOptionError() {
    #expect(throws: CodecError.self) { try Codecs.named("xml") }
}

@Test func csvCodecReadsBarFilesAsCSVBarsDoes() throws {
    let path = TestData.fixture("yahoo_bom_crlf_nofinal.csv")
    let expected = try BarFileReader(path: path).readAll().bars
    var options = CodecOptions()
    options.instrument = "F"
    options.intervalNanoseconds = 86_400_000_000_000
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    let decoded = try decodeAll(try Codecs.named("csv", options: options), bytes, chunk: 7, name: path)
    #expect(decoded.skipped.isEmpty)
    #expect(decoded.messages.map(\.eventTime) == expected.map(\.time))
    #expect(decoded.messages.allSatisfy { $0.instrument == "F" && $0.topic == "" })
    guard case .bar(let first)? = decoded.messages.first?.payload else { Issue.record("no bar"); return }
    #expect(first.close == 11.13 && first.intervalNanoseconds == 86_400_000_000_000)
    // Broken rows go through the same rules, reported with their line.
    let broken = TestData.fixture("broken_rows.csv")
    let reference = try BarFileReader(path: broken).readAll()
    let viaCodec = try decodeAll(try Codecs.named("csv"), Array(try Data(contentsOf: URL(fileURLWithPath: broken))),
                                 name: broken)
    #expect(viaCodec.messages.count == reference.bars.count)
    #expect(viaCodec.skipped.map(\.line) == reference.skipped.map(\.line))
}

@Test(arguments: ["csv", "jsonl"])
func textGarbageNeverCrashes(codec name: String) throws {
    var random = SeededRandom(seed: 7)
    var options = CodecOptions()
    options.intervalColumn = true
    let codec = try Codecs.named(name, options: options)
    var factory = MessageFactory(seed: 11, textSafe: true)
    let valid = try encodeAll(codec, (0..<20).map { _ in factory.message(.alert) })
    let alphabet: [UInt8] = Array(",\"\n\r{}[]:0123456789.-eEnul \\".utf8) + [0xFF, 0xC3, 0x00, 0xE2]
    for _ in 0..<1500 {
        var bytes = valid
        for _ in 0..<Int.random(in: 1...8, using: &random) {
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: bytes[at] = alphabet.randomElement(using: &random)!
            case 1: bytes.remove(at: at)
            default: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
            }
        }
        _ = decodeError(codec, bytes, chunk: Int.random(in: 1...200, using: &random))
    }
}
