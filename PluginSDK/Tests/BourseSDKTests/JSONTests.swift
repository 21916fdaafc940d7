import BourseSDK
import Testing

@Suite("JSON parser")
struct JSONTests {
    @Test func parsesScalars() throws {
        #expect(try JSONValue(parsing: "null") == .null)
        #expect(try JSONValue(parsing: " true ") == .bool(true))
        #expect(try JSONValue(parsing: "false") == .bool(false))
        #expect(try JSONValue(parsing: "0") == .number(0))
        #expect(try JSONValue(parsing: "-0") == .number(-0.0))
        #expect(try JSONValue(parsing: "-12.5e2") == .number(-1250))
        #expect(try JSONValue(parsing: "1.5E-3") == .number(0.0015))
        #expect(try JSONValue(parsing: "1e+2") == .number(100))
        #expect(try JSONValue(parsing: "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"") == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
    }

    @Test func parsesUnicode() throws {
        #expect(try JSONValue(parsing: #""\u00e9\u4e2D""#) == .string("é中"))
        #expect(try JSONValue(parsing: #""\uD83D\uDE00""#) == .string("😀"))
        #expect(try JSONValue(parsing: "\"héllo 😀\"") == .string("héllo 😀"))
    }

    @Test func parsesContainersAndKeepsKeyOrder() throws {
        let value = try JSONValue(parsing: #" { "z": [1, [], {}], "a": {"n": null}, "m": "x" } "#)
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["z", "a", "m"])
        #expect(value["z"] == .array([.number(1), .array([]), .object([])]))
        #expect(value["a"]?["n"] == .null)
        #expect(value["missing"] == nil)
        #expect(value.description == #"{"z":[1,[],{}],"a":{"n":null},"m":"x"}"#)
        // Object equality ignores order.
        #expect(try JSONValue(parsing: #"{"a":1,"b":2}"#) == JSONValue(parsing: #"{"b":2,"a":1}"#))
    }

    @Test func rendersStrings() throws {
        let value = JSONValue.string("q\"\\\n\u{1}é")
        #expect(value.description == #""q\"\\\n\u0001é""#)
        #expect(try JSONValue(parsing: value.description) == value)
        #expect(JSONValue.number(1.5).description == "1.5")
        #expect(JSONValue.number(-3).description == "-3")
    }

    @Test(arguments: [
        ("", 0, "expected a value"),
        ("   ", 3, "expected a value"),
        ("{", 1, "expected a string key"),
        (#"{"a":1,}"#, 7, "expected a string key"),
        (#"{"a" 1}"#, 5, "expected ':'"),
        (#"{"a":1 "b":2}"#, 7, "expected ',' or '}'"),
        ("[1,2", 4, "expected ',' or ']'"),
        ("[1,]", 3, "expected a value"),
        ("[1 2]", 3, "expected ',' or ']'"),
        ("01", 1, "leading zeros"),
        ("-", 1, "expected a digit"),
        ("1.", 2, "after the decimal point"),
        ("1e", 2, "in the exponent"),
        (".5", 0, "expected a value"),
        ("+1", 0, "expected a value"),
        ("1 2", 2, "after the JSON value"),
        ("{} x", 3, "after the JSON value"),
        ("NaN", 0, "expected a value"),
        ("-Infinity", 1, "expected a digit"),
        ("1e400", 0, "out of range"),
        ("tru", 3, "invalid literal"),
        ("nul", 3, "invalid literal"),
        ("trUe", 2, "invalid literal"),
        (#""abc"#, 4, "unterminated string"),
        (#""a\x""#, 2, "invalid escape"),
        (#""\u12G4""#, 5, "hex digit"),
        (#""\uD800""#, 1, "lone high surrogate"),
        (#""ab\uD800\u0041""#, 3, "not followed by a low surrogate"),
        (#""\uDC00""#, 1, "lone low surrogate"),
        ("\"a\u{1}\"", 2, "control character"),
        ("\"a\tb\"", 2, "control character"),
        (#"{"a":1,"a":2}"#, 7, "duplicate key"),
        ("'a'", 0, "expected a value"),
    ] as [(String, Int, String)])
    func rejectsInvalidDocuments(text: String, offset: Int, reason: String) {
        do {
            let value = try JSONValue(parsing: text)
            Issue.record("accepted \(text) as \(value)")
        } catch let error as JSONParseError {
            #expect(error.offset == offset, "\(text): \(error)")
            #expect(error.reason.contains(reason), "\(text): \(error)")
            #expect(error.description.hasPrefix("invalid JSON at byte \(offset): "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func rejectsInvalidUTF8WithOffset() {
        let cases: [([UInt8], Int)] = [
            ([0x22, 0x61, 0xFF, 0x22], 2),        // invalid lead byte
            ([0x22, 0xC3, 0x22], 2),              // truncated sequence
            ([0x22, 0xC0, 0xAF, 0x22], 1),        // overlong
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 2),  // encoded surrogate
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 2),  // above U+10FFFF
            ([0xEF, 0xBB, 0xBF, 0x31], 0),        // byte order mark
        ]
        for (bytes, offset) in cases {
            let error = #expect(throws: JSONParseError.self) {
                try bytes.withUnsafeBytes { try JSONValue(parsing: $0) }
            }
            #expect(error?.offset == offset, "\(bytes): \(String(describing: error))")
        }
    }

    @Test func limitsNesting() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        _ = try JSONValue(parsing: ok)
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        let error = #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
        #expect(error?.offset == 512)
        #expect(error?.reason.contains("nesting") == true)
    }
}
