// The gauge table, and the HTTP server over real sockets on 127.0.0.1 (ephemeral ports).
import BourseMetrics
import Glibc
import Synchronization
import TestSupport
import Testing

@Suite struct LatestValueStoreTests {
    @Test func keepsLatestValuesAndAsksForLabelsOnce() {
        let store = LatestValueStore()
        let labelCalls = Atomic<Int>(0)
        for value in [1.0, 2.0, 3.0] {
            store.update { writer in
                writer.setValue(value, for: SeriesKey(topic: 1, instrument: 7, field: 1)) {
                    labelCalls.add(1, ordering: .relaxed)
                    return ("bars", "SPY", "close")
                }
                writer.setEventTime(Int64(value * 1e9), for: SeriesKey(topic: 1, instrument: 7, field: 99)) { ("bars", "SPY") }
                writer.addMessages(2, topic: 1) { "bars" }
            }
        }
        let snapshot = store.snapshot()
        #expect(snapshot.gauges == [GaugeSample(topic: "bars", instrument: "SPY", field: "close", value: 3)])
        #expect(snapshot.eventTimes == [EventTimeSample(topic: "bars", instrument: "SPY", seconds: 3)])
        #expect(snapshot.messageCounts == [TopicCount(topic: "bars", count: 6)])
        #expect(labelCalls.load(ordering: .relaxed) == 1)
    }

    @Test func snapshotsAreSortedAndIndependentOfLaterUpdates() {
        let store = LatestValueStore()
        store.update { writer in
            writer.setValue(1, for: SeriesKey(topic: 2, instrument: 1, field: 1)) { ("b", "SPY", "close") }
            writer.setValue(2, for: SeriesKey(topic: 1, instrument: 1, field: 1)) { ("a", "SPY", "close") }
            writer.setValue(3, for: SeriesKey(topic: 1, instrument: 2, field: 1)) { ("a", "QQQ", "close") }
        }
        let before = store.snapshot()
        store.update { $0.setValue(9, for: SeriesKey(topic: 2, instrument: 1, field: 1)) { ("b", "SPY", "close") } }
        #expect(before.gauges.map(\.value) == [3, 2, 1])  // a/QQQ, a/SPY, b/SPY
        #expect(store.snapshot().gauges.map(\.value) == [3, 2, 9])
    }

    @Test func newSeriesBeyondTheLimitAreDropped() {
        let store = LatestValueStore(maxSeries: 2)
        let dropped = store.update { writer in
            for field in 1...4 as ClosedRange<UInt32> {
                writer.setValue(Double(field), for: SeriesKey(topic: 1, instrument: 0, field: field)) { ("t", "", "f\(field)") }
            }
            writer.setValue(10, for: SeriesKey(topic: 1, instrument: 0, field: 1)) { ("t", "", "f1") }  // existing: updated
        }
        #expect(dropped == 2)
        #expect(store.snapshot().gauges.map(\.value) == [10, 2])
    }
}

/// The connection outcomes a server reported, in order.
private final class OutcomeLog: Sendable {
    private let entries = Mutex<[ConnectionOutcome]>([])
    func append(_ outcome: ConnectionOutcome) { entries.withLock { $0.append(outcome) } }
    var all: [ConnectionOutcome] { entries.withLock { $0 } }
}

/// A running server on an ephemeral port whose metrics text is fixed.
private func startServer(body: String = "m 1\n", timeoutMilliseconds: Int = 5000,
                         outcomes: OutcomeLog? = nil) throws -> MetricsHTTPServer {
    let server = MetricsHTTPServer(address: try ListenAddress(parsing: "127.0.0.1:0"),
                                   timeoutMilliseconds: timeoutMilliseconds,
                                   render: { body }, observe: { outcome in outcomes?.append(outcome) })
    try server.start()
    return server
}

@Suite struct MetricsHTTPServerTests {
    @Test func servesMetricsOnAnEphemeralPort() throws {
        let server = try startServer()
        defer { server.stop() }
        #expect(server.address.port != 0)
        let response = try HTTPTestClient.get(port: server.address.port)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.headers["connection"] == "close")
        #expect(response.body == "m 1\n")
    }

    @Test func servesOverIPv6() throws {
        let server = MetricsHTTPServer(address: try ListenAddress(parsing: "[::1]:0"), render: { "v6 1\n" })
        try server.start()
        defer { server.stop() }
        #expect(server.address.description == "[::1]:\(server.address.port)" && server.address.port != 0)
        let fd = try HTTPTestClient.connect(port: server.address.port, ipv6: true)
        defer { close(fd) }
        try HTTPTestClient.send(Array("GET /metrics HTTP/1.0\r\n\r\n".utf8), on: fd)
        #expect(try HTTPTestClient.parse(HTTPTestClient.readAll(fd)).body == "v6 1\n")
    }

    @Test func answersErrorsAndHTTP10() throws {
        let server = try startServer()
        defer { server.stop() }
        let port = server.address.port
        #expect(try HTTPTestClient.get(port: port, path: "/").status == 404)
        let post = try HTTPTestClient.parse(HTTPTestClient.exchange(
            port: port, "POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"))
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "GET, HEAD")
        let old = try HTTPTestClient.parse(HTTPTestClient.exchange(port: port, "GET /metrics HTTP/1.0\r\n\r\n"))
        #expect(old.status == 200 && old.body == "m 1\n")
        #expect(try HTTPTestClient.parse(HTTPTestClient.exchange(port: port, "GET /metrics HTTP/2.0\r\n\r\n")).status == 505)
        #expect(try HTTPTestClient.parse(HTTPTestClient.exchange(port: port, "nonsense\r\n\r\n")).status == 400)
        let head = String(decoding: try HTTPTestClient.exchange(port: port, "HEAD /metrics HTTP/1.0\r\n\r\n"), as: UTF8.self)
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.contains("Content-Length: 4\r\n") && head.hasSuffix("\r\n\r\n"))
    }

    @Test func requestSentByteByByteIsServed() throws {
        let server = try startServer()
        defer { server.stop() }
        let fd = try HTTPTestClient.connect(port: server.address.port)
        defer { close(fd) }
        for byte in Array("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n".utf8) {
            try HTTPTestClient.send([byte], on: fd)
        }
        #expect(try HTTPTestClient.parse(HTTPTestClient.readAll(fd)).body == "m 1\n")
    }

    @Test func slowClientGets408AndTheServerGoesOn() throws {
        let outcomes = OutcomeLog()
        let server = try startServer(timeoutMilliseconds: 200, outcomes: outcomes)
        defer { server.stop() }
        let fd = try HTTPTestClient.connect(port: server.address.port)
        defer { close(fd) }
        try HTTPTestClient.send(Array("GET /metrics HTTP/1.1\r\nHo".utf8), on: fd)  // and never finishes
        let response = try HTTPTestClient.parse(HTTPTestClient.readAll(fd))
        #expect(response.status == 408)
        #expect(try HTTPTestClient.get(port: server.address.port).status == 200)
        server.stop()
        #expect(outcomes.all == [.answered(.requestTimeout), .answered(.ok)])
    }

    @Test func clientLeavingEarlyIsDroppedWithoutHarm() throws {
        let outcomes = OutcomeLog()
        // A body far larger than the socket buffers, so the response cannot be written at once.
        let server = try startServer(body: String(repeating: "x 1\n", count: 4_000_000), outcomes: outcomes)
        defer { server.stop() }
        let port = server.address.port
        // 1: connects and leaves before sending a whole request.
        let quitter = try HTTPTestClient.connect(port: port)
        try HTTPTestClient.send(Array("GET /met".utf8), on: quitter)
        close(quitter)
        // 2: asks, reads a little, and leaves mid-response.
        let reader = try HTTPTestClient.connect(port: port)
        try HTTPTestClient.send(Array("GET /metrics HTTP/1.0\r\n\r\n".utf8), on: reader)
        var some = [UInt8](repeating: 0, count: 1000)
        #expect(some.withUnsafeMutableBytes { recv(reader, $0.baseAddress, $0.count, 0) } > 0)
        close(reader)
        // The server still answers, in full.
        let response = try HTTPTestClient.get(port: port)
        #expect(response.status == 200 && response.body.utf8.count == 16_000_000)
        server.stop()
        #expect(outcomes.all == [.closedByClient, .responseAborted(.ok), .answered(.ok)])
    }

    @Test func concurrentScrapesAllSucceed() async throws {
        let server = try startServer(body: String(repeating: "y 2\n", count: 10_000))
        defer { server.stop() }
        let port = server.address.port
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { try HTTPTestClient.get(port: port).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 8))
    }

    @Test func stopEndsTheThreadWhileAClientIsConnected() throws {
        let server = try startServer(timeoutMilliseconds: 600_000)
        let port = server.address.port
        let fd = try HTTPTestClient.connect(port: port)
        defer { close(fd) }
        try HTTPTestClient.send(Array("GET /metrics HTTP/1.1\r\n".utf8), on: fd)
        server.stop()  // returns although the request never completes
        server.stop()  // idempotent
        #expect(throws: HTTPTestClient.Failure.self) { _ = try HTTPTestClient.connect(port: port) }
    }

    @Test func portInUseIsAClearError() throws {
        let first = try startServer()
        defer { first.stop() }
        let second = MetricsHTTPServer(address: try ListenAddress(parsing: "127.0.0.1:\(first.address.port)"), render: { "" })
        #expect {
            try second.start()
        } throws: { error in
            "\(error)" == "cannot bind 127.0.0.1:\(first.address.port): Address already in use"
        }
    }
}
