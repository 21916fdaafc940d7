import BourseSDK
import BourseSDKTesting
import CBourseABI
import Testing

@Suite("Plugins through the harness")
struct PluginTests {
    @Test func sourceRunsToEndOfStream() throws {
        let harness = try PluginHarness(CountingSource.self, config: #"{"count": 5, "symbol": "AAPL"}"#,
                                        outputs: ["bars.AAPL.1m"])
        #expect(harness.kind == .source)
        #expect(try harness.poll(maxMessages: 2) == .produced)
        #expect(harness.published.count == 2)
        try harness.pollUntilEnd()
        #expect(try harness.poll() == .endOfStream)
        let published = harness.published(on: "bars.AAPL.1m")
        #expect(published.count == 5)
        #expect(published.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(published.allSatisfy { harness.symbol(of: $0.instrument) == "AAPL" })
        guard case .bar(let last) = published.last?.payload else {
            Issue.record("expected a bar")
            return
        }
        #expect(last.close == 104)
        #expect(last.intervalNanoseconds == 60_000_000_000)
        #expect(harness.counter("bars_out") == 5)
        #expect(harness.logs.map(\.message) == ["starting with 5 bars"])
        #expect(harness.logs.first?.level == .info)
        try harness.stop()
        #expect(throws: PluginError.self) { try harness.poll() }
    }

    @Test func indicatorComputesMovingAverage() throws {
        let harness = try PluginHarness(SMAIndicator.self, config: #"{"period": 2}"#, outputs: ["sma.SPY"],
                                        topics: ["bars.SPY"])
        #expect(harness.fields(of: "sma.SPY") == ["sma", "count"])
        for (time, close) in [10.0, 20, 40].enumerated() {
            try harness.send(.bar(Bar(open: close, high: close, low: close, close: close, volume: 1)),
                             topic: "bars.SPY", instrument: "SPY", eventTime: Int64(time))
        }
        let values = harness.published.compactMap { message -> IndicatorValues? in
            guard case .values(let values) = message.payload else { return nil }
            return values
        }
        #expect(values.count == 3)
        #expect(values[0][0].isNaN)
        #expect(values[0][1] == 1)
        #expect(values[1] == (try IndicatorValues([15, 2])))
        #expect(values[2] == (try IndicatorValues([30, 2])))
        #expect(harness.published.map(\.eventTime) == [0, 1, 2])
        try harness.stop()
    }

    @Test func codecRepublishesWholeMessages() throws {
        let harness = try PluginHarness(TradeCodec.self, outputs: ["trades"], topics: ["raw"])
        #expect(harness.kind == .codec)
        let raw = withUnsafeBytes(of: 101.5) { Array($0) } + withUnsafeBytes(of: 2.0) { Array($0) }
        try harness.send([
            Message(topic: harness.topic("raw"), instrument: harness.instrument("ES"), eventTime: 5, createdTime: 9,
                    flags: 0x10, payload: .bytes(raw)),
            Message(topic: harness.topic("raw"), eventTime: 6, createdTime: 10, payload: .quote(
                Quote(bidPrice: 1, bidSize: 2, askPrice: 3, askSize: 4))),
        ])
        let published = harness.published(on: "trades")
        #expect(published.map(\.payload) == [
            .trade(Trade(price: 101.5, size: 2, side: .buy)),
            .quote(Quote(bidPrice: 1, bidSize: 2, askPrice: 3, askSize: 4)),
        ])
        #expect(published.map(\.createdTime) == [9, 10])
        #expect(published.map(\.flags) == [0x10, 0])
        #expect(published.map(\.sequence) == [1, 2])
        #expect(harness.symbol(of: published[0].instrument) == "ES")
        #expect(published[1].instrument == .none)
    }

    @Test func publishesAreBatchedBy256() throws {
        let harness = try PluginHarness(CountingSource.self, config: #"{"count": 600}"#)
        #expect(try harness.poll(maxMessages: 1_000) == .produced)
        #expect(harness.published.count == 600)
        #expect(harness.publishCallCount == 3)
        #expect(harness.published.last?.sequence == 600)
    }

    @Test func errorsInCreateSurfaceWithMessageAndCode() {
        let error = #expect(throws: PluginError.self) {
            try PluginHarness(FailingIndicator.self, config: #"{"failIn": "create", "message": "bad period"}"#)
        }
        #expect(error == PluginError("bad period", code: 42))
        let config = #expect(throws: PluginError.self) {
            try PluginHarness(SMAIndicator.self, config: #"{"period": 2, "perod": 3}"#)
        }
        #expect(config?.message == "unknown config key 'perod' (allowed keys: period)")
        let invalidJSON = #expect(throws: PluginError.self) { try PluginHarness(SMAIndicator.self, config: "{") }
        #expect(invalidJSON?.message.hasPrefix("invalid config: invalid JSON at byte 1") == true)
        let custom = #expect(throws: PluginError.self) {
            try PluginHarness(FailingIndicator.self, config: #"{"failIn": "create", "message": "custom"}"#)
        }
        #expect(custom == PluginError("custom failure", code: 1))
    }

    @Test(arguments: ["start", "messages", "flush", "stop"])
    func errorsInCallsSurface(place: String) throws {
        let harness = try PluginHarness(FailingIndicator.self, config: #"{"failIn": "\#(place)", "message": "failed in \#(place)"}"#,
                                        topics: ["in"])
        let error = #expect(throws: PluginError.self) {
            switch place {
            case "start": try harness.start()
            case "flush": try harness.flush()
            case "stop": try harness.stop()
            default: try harness.send(.bytes([1]), topic: "in", eventTime: 0)
            }
        }
        #expect(error == PluginError("failed in \(place)", code: 42))
    }

    @Test func longErrorMessagesAreCutSafely() throws {
        let long = String(repeating: "é", count: 600) + "tail"  // 1204 bytes
        let error = #expect(throws: PluginError.self) {
            try PluginHarness(FailingIndicator.self, config: #"{"failIn": "create", "message": "\#(long)"}"#)
        }
        let message = try #require(error?.message)
        #expect(message.utf8.count == 1022)  // 511 whole "é", never half of one
        #expect(message == String(repeating: "é", count: 511))
    }

    @Test func publishingToAnUndeclaredTopicIsRejected() throws {
        let harness = try PluginHarness(EchoModel.self, config: #"{"target": "elsewhere"}"#, outputs: ["out"],
                                        topics: ["in", "elsewhere"])
        let error = #expect(throws: PluginError.self) { try harness.send(.bytes([1]), topic: "in", eventTime: 0) }
        #expect(error?.message == "cannot publish on topic 'elsewhere': it is not an output of this node (outputs: out)")
        #expect(harness.published.isEmpty)
    }

    @Test func publishErrorsAreThrownAtTheCallSite() throws {
        // The SDK checks the topic when publish is called, so a plugin can catch the error.
        let harness = try PluginHarness(EchoModel.self, config: #"{"target": "elsewhere", "swallow": true}"#,
                                        topics: ["in", "elsewhere"])
        try harness.send(.bytes([1]), topic: "in", eventTime: 0)
        #expect(harness.published.isEmpty)
        #expect(harness.logs.first?.level == .warning)
        #expect(harness.logs.first?.message.contains("not an output") == true)
    }

    @Test func malformedPayloadsAreHostRuleViolations() throws {
        // A bar payload of the wrong length gets past the SDK but not past the host.
        let harness = try PluginHarness(EchoModel.self, topics: ["in"])
        let error = #expect(throws: PluginError.self) {
            try harness.send(.other(type: 1, bytes: [1, 2, 3]), topic: "in", eventTime: 0)
        }
        #expect(error?.code == PluginHarness.hostRuleViolationCode)
        #expect(error?.message == "host rule violated: publish: message 0: bar payload of 3 bytes is shorter than the required 48")
        let reserved = #expect(throws: PluginError.self) {
            try harness.send(.other(type: 300, bytes: []), topic: "in", eventTime: 0)
        }
        #expect(reserved?.message.contains("unknown message type 300 (types below 32768 are reserved)") == true)
        // Longer than the struct is fine (a later minor version may append fields).
        try harness.send(.other(type: 1, bytes: [UInt8](repeating: 0, count: 56)), topic: "in", eventTime: 0)
        try harness.send(.other(type: 0x8000, bytes: [1]), topic: "in", eventTime: 0)
        #expect(harness.published.map(\.payload) == [
            .bar(Bar(open: 0, high: 0, low: 0, close: 0, volume: 0)), .other(type: 0x8000, bytes: [1]),
        ])
    }

    @Test func moreThanSixteenValuesAreRejected() throws {
        let harness = try PluginHarness(FailingIndicator.self, config: #"{"failIn": "too-many-values"}"#, topics: ["in"])
        let error = #expect(throws: PluginError.self) { try harness.send(.bytes([1]), topic: "in", eventTime: 0) }
        #expect(error?.message.contains("at most 16") == true)
        // Bypassing IndicatorValues with a raw payload is caught by the harness host.
        let raw = try PluginHarness(FailingIndicator.self, config: #"{"failIn": "raw-values"}"#, topics: ["in"])
        let rawError = #expect(throws: PluginError.self) { try raw.send(.bytes([1]), topic: "in", eventTime: 0) }
        #expect(rawError?.code == PluginHarness.hostRuleViolationCode)
        #expect(rawError?.message.contains("count 17") == true)
    }

    @Test func oversizedPayloadsAreRejected() throws {
        let harness = try PluginHarness(FailingIndicator.self, config: #"{"failIn": "too-large"}"#, topics: ["in"])
        let error = #expect(throws: PluginError.self) { try harness.send(.bytes([1]), topic: "in", eventTime: 0) }
        #expect(error?.message == "payload of 65537 bytes is larger than the maximum of 65536 bytes")
    }

    @Test func fieldsMayOnlyBeDeclaredInCreate() throws {
        let harness = try PluginHarness(FailingIndicator.self, config: #"{"failIn": "late-fields"}"#, topics: ["in"])
        let error = #expect(throws: PluginError.self) { try harness.send(.bytes([1]), topic: "in", eventTime: 0) }
        #expect(error?.code == PluginHarness.hostRuleViolationCode)
        #expect(error?.message == "host rule violated: declare_fields called outside create (node 'failing') (called in on_messages)")
    }

    @Test(arguments: [("bad-fields", "field name \"bad name\" is invalid"), ("duplicate-fields", "\"a\" is declared twice")])
    func invalidFieldNamesAreRejected(failIn: String, reason: String) throws {
        let error = #expect(throws: PluginError.self) {
            try PluginHarness(FailingIndicator.self, config: #"{"failIn": "\#(failIn)"}"#)
        }
        #expect(error?.code == PluginHarness.hostRuleViolationCode)
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func publishingInCreateOrStartIsRefused() throws {
        let inCreate = #expect(throws: PluginError.self) {
            try PluginHarness(FailingIndicator.self, config: #"{"failIn": "publish-in-create"}"#)
        }
        #expect(inCreate?.message.hasPrefix("publish is not allowed in init: no consumer runs yet") == true)
        let harness = try PluginHarness(FailingIndicator.self, config: #"{"failIn": "publish-in-start"}"#)
        let inStart = #expect(throws: PluginError.self) { try harness.start() }
        #expect(inStart?.message.hasPrefix("publish is not allowed in start") == true)
    }

    @Test func exportersNeverPublish() throws {
        let harness = try PluginHarness(RecorderExporter.self, config: #"{"key": "exporters-never-publish"}"#,
                                        topics: ["in"])
        let error = #expect(throws: PluginError.self) { try harness.send(.bytes([0xEE]), topic: "in", eventTime: 0) }
        #expect(error?.message.contains("exporters never publish") == true)
    }

    @Test func publishOutsideACallIsRejected() throws {
        let key = "publish-outside"
        let harness = try PluginHarness(RecorderExporter.self, config: #"{"key": "\#(key)"}"#)
        let context = try #require(TestStore.shared.context(key))
        #expect(context.nodeName == "recorder")
        #expect(context.nodeID == 1)
        #expect(context.outputs == [harness.topic("out")])
        let error = #expect(throws: PluginError.self) {
            try context.publish(.bytes([1]), topic: context.outputs[0], eventTime: 0)
        }
        #expect(error?.message == "publish is only allowed during a call from the host: poll, onMessages, flush or stop")
    }

    @Test func contextLooksUpNamesAndFields() throws {
        let key = "context-lookups"
        let harness = try PluginHarness(RecorderExporter.self, config: #"{"key": "\#(key)"}"#, outputs: [],
                                        topics: ["bars.SPY", "sma.SPY"])
        harness.setFields(["sma", "count"], for: "sma.SPY")
        harness.wallClockNanoseconds = 1_234
        let context = try #require(TestStore.shared.context(key))
        #expect(context.outputs.isEmpty)
        let bars = try #require(context.topic(named: "bars.SPY"))
        #expect(context.name(of: bars) == "bars.SPY")
        #expect(context.topic(named: "unknown") == nil)
        let spy = try context.instrument(named: "SPY")
        #expect(context.symbol(of: spy) == "SPY")
        #expect(try context.instrument(named: "SPY") == spy)
        #expect(context.symbol(of: .none) == nil)
        #expect(throws: PluginError.self) { try context.instrument(named: "") }
        #expect(context.fields(of: context.topic(named: "sma.SPY")!) == ["sma", "count"])
        #expect(context.fields(of: bars).isEmpty)
        #expect(context.wallClockNanoseconds == 1_234)
        let before = context.monotonicNanoseconds
        #expect(context.monotonicNanoseconds >= before)
        context.counter("hits").add()
        context.counter("hits").add(4)
        #expect(harness.counter("hits") == 5)
        context.log(.debug, "hello")
        #expect(harness.logs.last?.level == .debug)
        #expect(harness.logs.last?.message == "hello")
    }

    @Test func batchesDecodeLazilyAndKeepCopies() throws {
        let key = "batch-copies"
        let harness = try PluginHarness(RecorderExporter.self, config: #"{"key": "\#(key)"}"#, topics: ["in"])
        try harness.send([
            Message(topic: harness.topic("in"), eventTime: 1, payload: .other(type: 1, bytes: [1, 2, 3])),
            Message(topic: harness.topic("in"), eventTime: 2, sequence: 99, payload: .trade(Trade(price: 5, size: 1))),
        ])
        let received = TestStore.shared.messages(key)
        #expect(received.count == 2)
        #expect(received[0].payload == .other(type: 1, bytes: [1, 2, 3]))
        #expect(received[0].sequence == 1)
        #expect(received[1].sequence == 99)
        #expect(received[1].payload == .trade(Trade(price: 5, size: 1)))
    }

    @Test func destroyIsCalledExactlyOnce() throws {
        let key = "destroy-once"
        do {
            let harness = try PluginHarness(RecorderExporter.self, config: #"{"key": "\#(key)"}"#)
            try harness.start()
            try harness.stop()
            #expect(TestStore.shared.count(key + ".destroyed") == 0)
        }
        #expect(TestStore.shared.count(key + ".destroyed") == 1)
    }

    @Test func misuseOfTheHarnessIsReported() throws {
        let source = try PluginHarness(CountingSource.self)
        #expect(throws: PluginError.self) { try source.send(.bytes([1]), topic: "out", eventTime: 0) }
        let indicator = try PluginHarness(SMAIndicator.self)
        #expect(throws: PluginError.self) { try indicator.poll() }
        try indicator.start()
        #expect(throws: PluginError.self) { try indicator.start() }
        let badName = #expect(throws: PluginError.self) { try PluginHarness(BadlyNamedPlugin.self) }
        #expect(badName?.message.contains("plugin name \"Bad_Name\" is invalid") == true)
        let badTopic = #expect(throws: PluginError.self) { try PluginHarness(SMAIndicator.self, outputs: ["a..b"]) }
        #expect(badTopic?.message == "invalid topic name \"a..b\"")
    }

    @Test func restartCountComesFromTheHostAndIsZeroWithAnOlderHost() throws {
        #expect(try PluginHarness(SMAIndicator.self).logs.contains { $0.message == "restart count 0" })
        #expect(try PluginHarness(SMAIndicator.self, restartCount: 3).logs.contains { $0.message == "restart count 3" })
        // An ABI 1.1 host's table ends before restart_count: the SDK reads no further.
        #expect(try PluginHarness(SMAIndicator.self, runID: 77).logs.contains { $0.message == "run id 77" })
        let older = try PluginHarness(SMAIndicator.self, restartCount: 3, runID: 77, hostABIMinor: 1)
        #expect(older.logs.contains { $0.message == "restart count 0" })
        #expect(older.logs.contains { $0.message == "run id 0" })
    }

    @Test func exportPluginReturnsAStableDescriptor() throws {
        let first = exportPlugin(SMAIndicator.self)
        #expect(exportPlugin(SMAIndicator.self) == first)
        let source = exportPlugin(CountingSource.self)
        #expect(source != first)

        let descriptor = first.assumingMemoryBound(to: bourse_plugin_descriptor.self).pointee
        #expect(descriptor.struct_size == UInt32(MemoryLayout<bourse_plugin_descriptor>.size))
        #expect(descriptor.abi_major == 1)
        #expect(descriptor.abi_minor == UInt16(BOURSE_ABI_MINOR))
        #expect(descriptor.abi_minor == 2)
        #expect(descriptor.permissions == nil)
        #expect(descriptor.kind == BOURSE_KIND_INDICATOR.rawValue)
        #expect(String(cString: descriptor.name) == "sma")
        #expect(String(cString: descriptor.version) == "0.3.1-beta.2+build.7")
        #expect(String(cString: descriptor.toolchain) == "swift-6.3.1")
        #expect(String(cString: descriptor.toolchain) == BourseABI.toolchain)
        #expect(descriptor.description == nil)
        #expect(descriptor.plugin_data != nil)
        let api = descriptor.api.pointee
        #expect(api.struct_size == UInt32(MemoryLayout<bourse_plugin_api>.size))
        #expect(api.on_messages != nil && api.poll == nil)
        #expect(api.create != nil && api.start != nil && api.flush != nil && api.stop != nil && api.destroy != nil)

        let sourceDescriptor = source.assumingMemoryBound(to: bourse_plugin_descriptor.self).pointee
        #expect(sourceDescriptor.kind == BOURSE_KIND_SOURCE.rawValue)
        #expect(String(cString: sourceDescriptor.description) == "Publishes N synthetic bars")
        #expect(sourceDescriptor.api.pointee.poll != nil && sourceDescriptor.api.pointee.on_messages == nil)
        #expect(sourceDescriptor.plugin_data != descriptor.plugin_data)

        let kinds = [exportPlugin(EchoModel.self), exportPlugin(RecorderExporter.self)].map {
            $0.assumingMemoryBound(to: bourse_plugin_descriptor.self).pointee.kind
        }
        #expect(kinds == [BOURSE_KIND_MODEL.rawValue, BOURSE_KIND_EXPORTER.rawValue])
    }

    @Test func theCThunksNeverLetErrorsEscape() throws {
        // Drive the C table directly with bad arguments: every call must return BOURSE_ERROR with a message.
        let descriptor = exportPlugin(SMAIndicator.self).assumingMemoryBound(to: bourse_plugin_descriptor.self)
        let api = descriptor.pointee.api.pointee
        var error = bourse_error()
        var instance: UnsafeMutableRawPointer?
        #expect(api.create(descriptor, nil, nil, nil, 0, &instance, &error) == Int32(BOURSE_ERROR.rawValue))
        #expect(instance == nil)
        let message = withUnsafeBytes(of: &error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(message == "create called with a NULL host table")
        error = bourse_error()
        #expect(api.start(nil, &error) == Int32(BOURSE_ERROR.rawValue))
        #expect(error.code == 1)
        #expect(api.start(nil, nil) == Int32(BOURSE_ERROR.rawValue))
        api.destroy(nil)
    }
}
