#if canImport(Glibc)
import Glibc
#endif
import BourseBus
import BourseCore
import BourseGraph
import BoursePluginHost
import Synchronization

/// Runs a built graph: one thread per node, sources started last and
/// stopped first, every queue drained before the graph ends.
///
/// Lifecycle: `run()` starts every node (sinks first, sources last), then
/// waits. Sources poll until end of stream or until `requestStop()`; each
/// finished node flushes, stops and closes its outputs, so downstream nodes
/// see end of stream only after they have received everything. `run()`
/// returns once every node has stopped, with a summary.
public final class GraphRunner: @unchecked Sendable {
    /// States of a runner.
    public enum State: Sendable, Equatable {
        /// Built, not started.
        case idle
        /// Nodes running.
        case running
        /// Stop requested: sources are finishing, the rest drains.
        case draining
        /// Every node stopped.
        case finished
    }

    private let graph: BuiltGraph
    private let stopRequested = Atomic<Bool>(false)
    private let stateLock = Mutex(State.idle)

    /// Creates a runner for `graph`.
    public init(graph: BuiltGraph) {
        self.graph = graph
    }

    /// The runner's current state.
    public var state: State { stateLock.withLock { $0 } }

    /// Asks sources to stop producing; everything already published is
    /// still delivered (graceful drain). Safe from any thread or a signal
    /// handler's dispatch queue. Idempotent.
    public func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        stateLock.withLock { if $0 == .running { $0 = .draining } }
    }

    /// Gives up on draining: wakes every blocked queue and drops what is
    /// queued. For a second Ctrl-C when a plugin is stuck.
    public func abort() {
        requestStop()
        graph.bus.abort()
    }

    /// Runs the graph to completion.
    public func run() -> RunSummary {
        let started = Clock.monotonicNanoseconds()
        stateLock.withLock { $0 = .running }
        if stopRequested.load(ordering: .acquiring) { stateLock.withLock { $0 = .draining } }
        let log = graph.logSink
        // Start sinks first, sources last (reverse topological order).
        var startFailure: BourseError?
        var startedNodes: [RuntimeNode] = []
        for node in graph.nodes.reversed() {
            do {
                try node.instance?.start()
                startedNodes.append(node)
            } catch let error as BourseError {
                startFailure = error
                node.failure = error
                node.statistics.errors += 1
                break
            } catch {}
        }
        if let startFailure {
            log.log(.error, "bourse", "start failed: \(startFailure); stopping the nodes already started")
            // No consumer runs: abort the queues so a flush that publishes
            // fails at once instead of blocking on a full queue.
            graph.bus.abort()
            for node in startedNodes {
                for (name, call) in [("flush", node.instance?.flush), ("stop", node.instance?.stop)] {
                    do { try call?() } catch {
                        node.statistics.errors += 1
                        log.log(.error, node.definition.id, "\(name) after a failed start: \(error)")
                    }
                }
            }
            for node in graph.nodes { node.publisher?.close() }
            stateLock.withLock { $0 = .finished }
            return summary(started: started)
        }

        var threads: [NodeThread] = []
        for node in graph.nodes {
            do {
                threads.append(try NodeThread(name: "bourse:" + node.definition.id) { [self] in
                    runNode(node)
                })
            } catch {
                // No thread for this node: make sure nobody waits for it.
                // Its inbox refuses further messages and its outputs end.
                let failure = error as? BourseError ?? BourseError(.io, "\(error)", input: node.definition.id)
                log.log(.error, "bourse", "\(failure)")
                node.failure = failure
                node.statistics.errors += 1
                requestStop()
                node.subscription?.queue.abort()
                node.publisher?.close()
            }
        }
        for thread in threads { thread.join() }
        stateLock.withLock { $0 = .finished }
        return summary(started: started)
    }

    private func summary(started: Int64) -> RunSummary {
        RunSummary(
            graph: graph.definition.name ?? graph.definition.file,
            wallNanoseconds: Clock.monotonicNanoseconds() - started,
            interrupted: stopRequested.load(ordering: .acquiring),
            nodes: graph.nodes.map { node in
                NodeSummary(id: node.definition.id, plugin: node.info.name, version: node.info.version,
                            kind: node.info.kind.description, statistics: node.statistics,
                            counters: Dictionary(node.counterValues.map { ($0.name, $0.value) }, uniquingKeysWith: +),
                            failure: node.failure?.description, quarantined: node.quarantined)
            })
    }

    /// The body of one node's thread.
    private func runNode(_ node: RuntimeNode) {
        let wallStart = Clock.monotonicNanoseconds()
        let cpuStart = Clock.threadCPUNanoseconds()
        if node.info.kind == .source {
            runSource(node)
        } else {
            runProcessor(node)
        }
        finish(node)
        node.statistics.restarts = node.instance?.workerRestarts ?? 0
        node.statistics.cpuNanoseconds = Clock.threadCPUNanoseconds() - cpuStart
        node.statistics.wallNanoseconds = Clock.monotonicNanoseconds() - wallStart
    }

    private func runSource(_ node: RuntimeNode) {
        guard let instance = node.instance else { return }
        // Back-off when a poll yields nothing (idle, an error under
        // on_error: continue, or "produced" without publishing): 0.1 ms,
        // doubling to 10 ms, so an idle or failing source never spins.
        var idleSleep: Int64 = 100_000
        while !stopRequested.load(ordering: .acquiring) {
            let before = Clock.monotonicNanoseconds()
            let publishedBefore = node.statistics.messagesOut
            var status = PollStatus.idle
            do {
                status = try instance.poll(maxMessages: node.definition.batchSize)
            } catch {
                if !handle(error, in: node) { return }
            }
            node.statistics.busyNanoseconds += Clock.monotonicNanoseconds() - before
            node.statistics.calls += 1
            if status == .endOfStream { return }
            if status == .produced, node.statistics.messagesOut > publishedBefore {
                idleSleep = 100_000
            } else {
                sleepNanoseconds(idleSleep)
                idleSleep = min(idleSleep * 2, 10_000_000)
            }
        }
    }

    private func runProcessor(_ node: RuntimeNode) {
        guard let queue = node.subscription?.queue else { return }
        var failed = false
        while true {
            let result = queue.consume(maxMessages: node.definition.batchSize) { batch in
                if failed {
                    node.statistics.discarded += batch.count
                    return
                }
                let before = Clock.monotonicNanoseconds()
                do {
                    try node.instance?.deliver(batch)
                    node.statistics.messagesIn += batch.count
                } catch {
                    node.statistics.messagesIn += batch.count
                    if !handle(error, in: node) { failed = true }
                }
                node.statistics.busyNanoseconds += Clock.monotonicNanoseconds() - before
                node.statistics.calls += 1
            }
            if result == .ended { break }
        }
    }

    /// Records a plugin error; returns true when the node should go on.
    /// A quarantined node (its worker kept failing) stops calling its
    /// plugin but the rest of the graph goes on.
    private func handle(_ error: Error, in node: RuntimeNode) -> Bool {
        node.statistics.errors += 1
        let bourseError = error as? BourseError ?? BourseError(.pluginCallFailed, "\(error)", input: node.definition.id)
        node.statistics.lastError = bourseError.message
        if bourseError.code == .quarantined {
            if !node.quarantined, let lost = node.instance?.undeliveredMessages, lost > 0 {
                // Counted in when delivered, but never handled: discarded.
                node.statistics.messagesIn -= lost
                node.statistics.discarded += lost
            }
            graph.logSink.log(.error, node.definition.id, "\(bourseError.message); the rest of the graph goes on")
            if node.failure == nil { node.failure = bourseError }
            node.quarantined = true
            return false
        }
        if node.definition.onError == .continue {
            graph.logSink.log(.warning, node.definition.id, "\(bourseError.message) (on_error: continue)")
            return true
        }
        graph.logSink.log(.error, node.definition.id, "\(bourseError.message); stopping the graph (on_error: stop)")
        if node.failure == nil { node.failure = bourseError }
        requestStop()
        return false
    }

    /// Final flush and stop of a node, then end of its output streams.
    private func finish(_ node: RuntimeNode) {
        if let instance = node.instance, !node.quarantined {
            let before = Clock.monotonicNanoseconds()
            do { try instance.flush() } catch { _ = handle(error, in: node) }
            do { try instance.stop() } catch { _ = handle(error, in: node) }
            node.statistics.busyNanoseconds += Clock.monotonicNanoseconds() - before
        }
        node.publisher?.close()
    }
}

/// Sleeps, resuming after signals.
func sleepNanoseconds(_ ns: Int64) {
    var request = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
