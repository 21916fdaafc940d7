// The first-party `prometheus` exporter in a real graph, sandboxed, scraped while the graph runs.
#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseGraph
import BourseRuntime
import BourseTestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
private func freeLocalPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    try #require(bound)
    return UInt16(bigEndian: address.sin_port)
}

/// GET with libcurl's HTTP client (URLSession): nil when the connection fails.
private func scrape(_ url: URL) -> (status: Int, contentType: String?, body: String)? {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: (Int, String?, String)?
    let task = URLSession.shared.dataTask(with: URLRequest(url: url, timeoutInterval: 10)) { data, response, _ in
        if let http = response as? HTTPURLResponse, let data {
            result = (http.statusCode, http.value(forHTTPHeaderField: "Content-Type"), String(decoding: data, as: UTF8.self))
        }
        done.signal()
    }
    task.resume()
    done.wait()
    return result
}

/// The value of the sample line starting with `series ` in an exposition.
private func sample(_ series: String, in body: String) -> Double? {
    body.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
}

@Suite("prometheus exporter in a sandboxed graph", .serialized)
struct PrometheusGraphTests {
    @Test("scraped while a paced source runs: latest close and message count agree in every scrape")
    func scrapeWhileRunning() throws {
        let pluginDirectory = TestPaths.firstPartyPluginDirectory
        try #require(FileManager.default.fileExists(atPath: pluginDirectory + "/libbourse-prometheus.so"),
                     "build the first-party plugins first: swift build --package-path Plugins")
        _ = try FixturePlugins.build(name: "fixture-source", kind: "BOURSE_KIND_SOURCE")
        let port = try freeLocalPort()
        let directory = TemporaryDirectory()
        // The fixture source publishes bars with close = 1, 2, 3…: 4 bars every 2 ms, until stopped.
        let graphFile = try directory.write("graph.yaml", """
            version: 1
            name: prometheus scrape
            nodes:
              - id: feed
                plugin: fixture-source
                config: {count: 100000000, per_poll: 4, delay_us: 2000, instrument: TEST}
                publishes: bars.TEST.1m
              - id: metrics
                plugin: prometheus
                config: {listen: "127.0.0.1:\(port)", fields: [close]}
                subscribes: bars.>
                allow: [network, threads]
            """)
        var options = RuntimeOptions()
        options.pluginPath = [pluginDirectory, FixturePlugins.pluginDirectory]
        options.logLevel = .error
        options.isolation = .sandboxed
        options.workerExecutable = TestPaths.buildDirectory + "/bourse-worker"
        let (built, diagnostics) = GraphBuilder.build(fileAt: graphFile, options: options)
        let graph = try #require(built, "\(diagnostics)")
        let runner = GraphRunner(graph: graph)
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var summary: RunSummary?
        Thread.detachNewThread {
            summary = runner.run()
            finished.signal()
        }

        let url = URL(string: "http://127.0.0.1:\(port)/metrics")!
        let closeSeries = #"bourse_value{topic="bars.TEST.1m",instrument="TEST",field="close"}"#
        let countSeries = #"bourse_messages_total{topic="bars.TEST.1m"}"#
        var counts: [Double] = []
        // Until two scrapes have seen messages, the second more than the first (bounded: about a minute).
        for _ in 0..<1200 where counts.count < 2 || counts.last! <= counts.first! {
            guard let response = scrape(url) else {
                usleep(50_000)  // not listening yet
                continue
            }
            #expect(response.status == 200)
            #expect(response.contentType == "text/plain; version=0.0.4; charset=utf-8")
            guard let count = sample(countSeries, in: response.body) else {
                usleep(50_000)
                continue
            }
            // One batch is applied under one lock: the latest close (= bars so far) equals the count.
            #expect(sample(closeSeries, in: response.body) == count, "\(response.body)")
            counts.append(count)
            usleep(50_000)
        }
        #expect(scrape(URL(string: "http://127.0.0.1:\(port)/other")!)?.status == 404)
        runner.requestStop()
        finished.wait()
        graph.destroy()

        #expect(counts.count >= 2 && counts.last! > counts.first!, "\(counts)")
        let result = try #require(summary)
        #expect(result.succeeded, "\(result.nodes.map { "\($0.id): \($0.failure ?? "ok")" })")
        let metrics = try #require(result.nodes.first { $0.id == "metrics" })
        #expect((metrics.counters["scrapes_served"] ?? 0) >= Int64(counts.count))
        #expect(metrics.counters["requests_refused"] == 1)
        #expect(metrics.counters["messages_seen"] == Int64(metrics.statistics.messagesIn))
        #expect(scrape(url) == nil)  // the socket is closed at stop
    }
}
