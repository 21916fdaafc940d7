import BourseSDK
import Testing

@Suite("Plugin configuration")
struct ConfigTests {
    let config: PluginConfig

    init() throws {
        config = try PluginConfig(json: #"""
            {"name": "sma", "period": 20, "ratio": 0.5, "enabled": true, "symbols": ["SPY", "QQQ"],
             "nothing": null, "risk": {"limit": 1.5, "mode": "strict"}, "big": 1e300, "neg": -3}
            """#)
    }

    @Test func readsTypedValues() throws {
        #expect(config.keys == ["name", "period", "ratio", "enabled", "symbols", "nothing", "risk", "big", "neg"])
        #expect(try config.string("name") == "sma")
        #expect(try config.requiredString("name") == "sma")
        #expect(try config.int("period", default: 1) == 20)
        #expect(try config.int("neg") == -3)
        #expect(try config.double("period", default: 0) == 20)
        #expect(try config.double("ratio", default: 0) == 0.5)
        #expect(try config.bool("enabled", default: false) == true)
        #expect(try config.stringArray("symbols") == ["SPY", "QQQ"])
        #expect(config.value("nothing") == .null)
        #expect(config.value("absent") == nil)
        #expect(config.contains("name"))
        #expect(!config.contains("nothing"))
    }

    @Test func usesDefaultsForAbsentAndNullKeys() throws {
        #expect(try config.string("absent") == nil)
        #expect(try config.string("absent", default: "x") == "x")
        #expect(try config.string("nothing", default: "y") == "y")
        #expect(try config.int("nothing", default: 7) == 7)
        #expect(try config.double("absent", default: 2.5) == 2.5)
        #expect(try config.bool("absent", default: true) == true)
        #expect(try config.stringArray("absent") == nil)
        #expect(try config.stringArray("absent", default: ["a"]) == ["a"])
        #expect(try config.object("absent") == nil)
    }

    @Test func nestedObjectsNameTheirPath() throws {
        let risk = try #require(try config.object("risk"))
        #expect(risk.path == "risk")
        #expect(try risk.double("limit", default: 0) == 1.5)
        let error = #expect(throws: PluginError.self) { try risk.int("limit", default: 0) }
        #expect(error?.message == "config key 'risk.limit' must be an integer, got a number 1.5")
        let unknown = #expect(throws: PluginError.self) { try risk.rejectUnknownKeys(allowed: ["limit"]) }
        #expect(unknown?.message == "unknown config key 'risk.mode' (allowed keys: limit)")
    }

    @Test func typeMismatchesNameKeyAndExpectedType() {
        func message(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch {
                return (error as? PluginError)?.message
            }
        }
        #expect(message { _ = try config.string("period") } == "config key 'period' must be a string, got a number 20")
        #expect(message { _ = try config.int("ratio", default: 0) } == "config key 'ratio' must be an integer, got a number 0.5")
        #expect(message { _ = try config.int("big", default: 0) }?.contains("must be an integer") == true)
        #expect(message { _ = try config.int("name", default: 0) } == "config key 'name' must be an integer, got a string \"sma\"")
        #expect(message { _ = try config.double("enabled", default: 0) } == "config key 'enabled' must be a number, got a boolean true")
        #expect(message { _ = try config.bool("name", default: false) } == "config key 'name' must be a boolean, got a string \"sma\"")
        #expect(message { _ = try config.stringArray("name") } == "config key 'name' must be an array of strings, got a string \"sma\"")
        #expect(message { _ = try config.object("symbols") } == "config key 'symbols' must be an object, got an array")
        #expect(message { _ = try config.requiredString("absent") } == "missing required config key 'absent' (a string)")
        #expect(message { _ = try config.requiredString("nothing") } == "missing required config key 'nothing' (a string)")
    }

    @Test func stringArrayRejectsOtherElements() throws {
        let config = try PluginConfig(json: #"{"list": ["a", 2]}"#)
        let error = #expect(throws: PluginError.self) { try config.stringArray("list") }
        #expect(error?.message == "config key 'list' must be an array of strings, but element 1 is a number")
    }

    @Test func rejectsUnknownKeys() throws {
        try config.rejectUnknownKeys(allowed: Set(config.keys))
        let one = #expect(throws: PluginError.self) {
            try PluginConfig(json: #"{"period": 3, "perod": 4}"#).rejectUnknownKeys(allowed: ["period", "input"])
        }
        #expect(one?.message == "unknown config key 'perod' (allowed keys: input, period)")
        let two = #expect(throws: PluginError.self) {
            try PluginConfig(json: #"{"a": 1, "b": 2}"#).rejectUnknownKeys(allowed: [])
        }
        #expect(two?.message == "unknown config keys 'a', 'b' (allowed keys: none)")
    }

    @Test func configMustBeAValidObject() {
        let notObject = #expect(throws: PluginError.self) { try PluginConfig(json: "[1]") }
        #expect(notObject?.message == "config must be a JSON object, got an array")
        let invalid = #expect(throws: PluginError.self) { try PluginConfig(json: #"{"a": 1,,}"#) }
        #expect(invalid?.message == "invalid config: invalid JSON at byte 8: expected a string key, found character ','")
        #expect(PluginConfig().keys.isEmpty)
        #expect(PluginConfig().description == "{}")
    }
}
