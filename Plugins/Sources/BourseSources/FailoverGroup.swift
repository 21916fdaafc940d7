// The failover state machine: N feeds in priority order, one active, with de-duplication across switches.

/// When the group gives up on a source.
public struct FailoverPolicy: Equatable, Sendable {
    /// A source that produces nothing for longer than this (ns, per the injected clock) is stalled.
    public var stallTimeout: Int64 = 5_000_000_000
    /// Largest relative move between consecutive items of a symbol; nil = no jump check.
    public var maxJump: Double?
    /// Consecutive valid items after which a faulted source is healthy again.
    public var recovery = 10
    /// Items kept per standby source to fill the gap at a switch.
    public var bufferLimit = 10_000
    /// A source that threw is asked again only after this long (ns).
    public var retryInterval: Int64 = 5_000_000_000
    /// At most this many `next` calls per standby per poll to catch up with the active source.
    public var standbyCallsPerPoll = 8

    /// The defaults: 5 s stall timeout and retry, no jump limit, recovery 10, 10,000 buffered items.
    public init() {}
}

/// Why the group switched sources.
public enum FailoverReason: Equatable, Sendable, CustomStringConvertible {
    /// The active source threw.
    case error(String)
    /// The active source produced nothing for this long (ns).
    case stalled(Int64)
    /// The active source produced an invalid item.
    case invalid(String)
    /// The active source ended while another still has data.
    case ended
    /// A higher-priority source produced this many consecutive valid items.
    case recovered(Int)

    /// `error`, `stall`, `invalid`, `ended` or `recovered` (the counter suffix).
    public var name: String {
        switch self {
        case .error: return "error"
        case .stalled: return "stall"
        case .invalid: return "invalid"
        case .ended: return "ended"
        case .recovered: return "recovered"
        }
    }

    /// A sentence for logs.
    public var description: String {
        switch self {
        case .error(let message): return "error: \(message)"
        case .stalled(let ns): return "stalled: nothing for \(ns / 1_000_000) ms"
        case .invalid(let why): return "invalid data: \(why)"
        case .ended: return "ended"
        case .recovered(let n): return "recovered: \(n) consecutive valid items"
        }
    }
}

/// One switch.
public struct FailoverSwitch: Equatable, Sendable, CustomStringConvertible {
    /// The source given up (nil for none).
    public var from: String?
    /// The new active source.
    public var to: String
    /// Why.
    public var reason: FailoverReason
    /// The clock's time of the switch.
    public var time: Int64

    /// `primary → backup (stalled: nothing for 5000 ms)`.
    public var description: String { "\(from ?? "none") → \(to) (\(reason))" }
}

/// What one ``FailoverGroup/poll(maxItems:)`` produced.
public struct FailoverStep: Equatable, Sendable {
    /// Items to publish, in order.
    public var items: [FeedItem] = []
    /// Switches made during the poll.
    public var switches: [FailoverSwitch] = []
    /// Children's skipped rows, invalid items and faults, prefixed with the child's name.
    public var problems: [FeedProblem] = []
    /// `.ended` once every source ended; `.idle` when nothing was published and the active source is idle.
    public var status: FeedStatus = .more
}

/// Counters of a group.
public struct FailoverStats: Equatable, Sendable {
    /// Items published.
    public var published = 0
    /// Items dropped because their series already had that event time (or a later one) published.
    public var duplicatesDropped = 0
    /// Invalid items (never published).
    public var invalidItems = 0
    /// Switches, and per reason name.
    public var switches = 0
    /// Switches per ``FailoverReason/name``.
    public var switchesByReason: [String: Int] = [:]
    /// Errors thrown by sources.
    public var errors = 0
    /// Stalls detected.
    public var stalls = 0
    /// Switches where the new source's buffer had already dropped items that were never published.
    public var gaps = 0

    /// All zero.
    public init() {}
}

/// Runs N feeds in priority order (index 0 first), publishing from one at a time.
///
/// - **Active source.** The highest-priority healthy source. It is given up
///   when it throws, stalls (no item for `stallTimeout`), produces an invalid
///   item (``FeedValidator``) or ends; the group then switches to the
///   highest-priority healthy source, or stays when there is none.
/// - **Standbys** are polled in lockstep: each is asked for items until its
///   latest event time passes the latest published one (at most
///   `standbyCallsPerPoll` calls per poll), so file replays advance together.
///   Their valid items wait in a bounded buffer (`bufferLimit`, oldest dropped
///   first; items older than what was published are pruned).
/// - **Switch.** The new source's buffer is published first, so the items the
///   old source missed are filled in; every item is de-duplicated by series
///   (symbol + kind) and event time: an item is published only when it is
///   later than the series' last published item (ticks of the source that
///   published that last one may share its timestamp).
/// - **Recovery.** A faulted source becomes healthy after `recovery`
///   consecutive valid items; a healthy source of higher priority than the
///   active one takes over at once (switch back).
/// - Every switch is returned (for logging) and counted in ``stats``.
///
/// Time comes only from the injected `clock`, so tests drive every scenario exactly.
public final class FailoverGroup {
    /// The policy.
    public let policy: FailoverPolicy
    /// Counters so far.
    public private(set) var stats = FailoverStats()
    /// The source names in priority order.
    public var names: [String] { members.map(\.name) }
    /// The active source's name.
    public var activeName: String? { active.map { members[$0].name } }

    private let members: [Member]
    private let clock: () -> Int64
    private var active: Int?
    private var lastPublished: [SeriesKey: (time: Int64, by: Int, epoch: Int)] = [:]
    private var frontier = Int64.min
    private var epoch = 0
    private var step = FailoverStep()

    /// Creates a group; `clock` returns monotonic nanoseconds.
    public init(children: [(name: String, feed: MarketFeed)], policy: FailoverPolicy, clock: @escaping () -> Int64) {
        self.policy = policy
        self.clock = clock
        let now = clock()
        members = children.enumerated().map { index, child in
            Member(index: index, name: child.name, feed: child.feed, validator: FeedValidator(maxJump: policy.maxJump), now: now)
        }
        active = members.isEmpty ? nil : 0
    }

    /// Polls the active source for up to `maxItems` items and the standbys to keep up, then switches if needed.
    public func poll(maxItems: Int) -> FailoverStep {
        step = FailoverStep()
        let now = clock()
        if let a = active {
            let m = members[a]
            if !m.ended, canPoll(m, now) {
                pollMember(m, maxItems: maxItems, now: now, asActive: true)
            }
        }
        for m in members where m.index != active && !m.ended && canPoll(m, now) {
            var calls = 0
            while m.frontier <= frontier, calls < policy.standbyCallsPerPoll, !m.ended, m.index != active {
                calls += 1
                if !pollMember(m, maxItems: maxItems, now: now, asActive: false) { break }
            }
            if m.frontier > frontier { m.lastProgress = now }  // caught up: waiting, not stalled
        }
        reconsider(now: now)
        if active == nil || (members[active!].ended && members.allSatisfy({ $0.ended }) && candidates(withData: true).isEmpty) {
            step.status = .ended
        } else if step.items.isEmpty {
            step.status = .idle
        }
        return step
    }

    /// Closes every feed.
    public func close() {
        for m in members { m.feed.close() }
    }

    // MARK: Polling

    /// One `next` call; false when the member produced nothing (idle, ended, threw).
    @discardableResult
    private func pollMember(_ m: Member, maxItems: Int, now: Int64, asActive: Bool) -> Bool {
        let batch: FeedBatch
        do {
            batch = try m.feed.next(maxItems: maxItems)
        } catch {
            stats.errors += 1
            m.retryAt = now + policy.retryInterval
            fault(m, .error(String(describing: error)), now: now)
            return false
        }
        step.problems += batch.problems.map { FeedProblem(rule: $0.rule, message: "\(m.name): \($0.message)") }
        for item in batch.items { process(item, from: m, now: now) }
        if !batch.items.isEmpty { m.lastProgress = now }
        if batch.status == .ended {
            for (bad, why) in m.validator.finish() { reject(bad, why, from: m, now: now) }
            m.ended = true
            if m.index == active { switchAway(.ended, now: now) }
            return false
        }
        if batch.items.isEmpty {
            let quiet = now - m.lastProgress
            if quiet > policy.stallTimeout, !(m.fault.map { if case .stalled = $0 { return true } else { return false } } ?? false) {
                stats.stalls += 1
                fault(m, .stalled(quiet), now: now)
            }
            return false
        }
        return true
    }

    private func canPoll(_ m: Member, _ now: Int64) -> Bool {
        guard let retryAt = m.retryAt else { return true }
        return now >= retryAt
    }

    private func process(_ item: FeedItem, from m: Member, now: Int64) {
        let verdict = m.validator.check(item)
        for (bad, why) in verdict.invalid { reject(bad, why, from: m, now: now) }
        for good in verdict.valid { accept(good, from: m) }
    }

    private func reject(_ item: FeedItem, _ why: String, from m: Member, now: Int64) {
        stats.invalidItems += 1
        step.problems.append(FeedProblem(rule: "invalid", message: "\(m.name): invalid item left out: \(why)"))
        m.streak = 0
        fault(m, .invalid(why), now: now)
    }

    private func accept(_ item: FeedItem, from m: Member) {
        m.frontier = max(m.frontier, item.eventTime)
        if m.fault != nil {
            m.streak += 1
            if m.streak >= policy.recovery { m.fault = nil }
        }
        if m.index == active {
            publish(item, from: m)
        } else {
            m.store(item, lastPublished: { self.lastPublished[$0]?.time }, limit: policy.bufferLimit)
        }
    }

    private func publish(_ item: FeedItem, from m: Member) {
        let key = SeriesKey(item)
        if let last = lastPublished[key] {
            let sameRun = last.by == m.index && last.epoch == epoch
            let tick: Bool = { if case .bar = item.payload { return false }; return true }()
            if item.eventTime < last.time || (item.eventTime == last.time && !(tick && sameRun)) {
                stats.duplicatesDropped += 1
                return
            }
        }
        lastPublished[key] = (item.eventTime, m.index, epoch)
        frontier = max(frontier, item.eventTime)
        stats.published += 1
        step.items.append(item)
    }

    // MARK: Faults and switches

    private func fault(_ m: Member, _ reason: FailoverReason, now: Int64) {
        m.fault = reason
        m.streak = 0
        if m.index == active { switchAway(reason, now: now) }
    }

    /// Sources to switch to, best first: healthy ones by priority, then the rest by priority. With
    /// `withData`, only those holding buffered items later than what was published.
    private func candidates(withData: Bool) -> [Member] {
        let usable = members.filter { m in
            m.index != active && (m.hasUnpublished { self.lastPublished[$0]?.time } || (!withData && !m.ended))
        }
        return usable.filter { $0.fault == nil } + usable.filter { $0.fault != nil }
    }

    /// Leaves the active source for the best candidate: a healthy one, or —
    /// when the active one ended — any that holds unpublished items. Stays
    /// when there is none (an ended source's standbys are polled on, and the
    /// group switches once one of them has data beyond what was published).
    private func switchAway(_ reason: FailoverReason, now: Int64) {
        guard let a = active else { return }
        let ended = members[a].ended
        let options = candidates(withData: ended)
        if let next = options.first(where: { $0.fault == nil }) ?? (ended ? options.first : nil) {
            activate(next, reason: reason, now: now)
        }
    }

    /// Switches back to a healthy higher-priority source, or away from a faulted or ended active one.
    private func reconsider(now: Int64) {
        guard let a = active else { return }
        let lastPublished = { (key: SeriesKey) in self.lastPublished[key]?.time }
        if let better = members.prefix(a).first(where: { $0.fault == nil && (!$0.ended || $0.hasUnpublished(lastPublished)) }) {
            activate(better, reason: .recovered(policy.recovery), now: now)
        } else if members[a].ended || members[a].fault != nil {
            switchAway(members[a].ended ? .ended : members[a].fault!, now: now)
        }
    }

    private func activate(_ m: Member, reason: FailoverReason, now: Int64) {
        let from = active.map { members[$0].name }
        step.switches.append(FailoverSwitch(from: from, to: m.name, reason: reason, time: now))
        stats.switches += 1
        stats.switchesByReason[reason.name, default: 0] += 1
        active = m.index
        epoch += 1
        for (key, dropped) in m.evicted where dropped > (lastPublished[key]?.time ?? .min) {
            stats.gaps += 1
            step.problems.append(FeedProblem(rule: "gap", message: "\(m.name): items of \(key) up to \(dropped) were dropped "
                + "from its standby buffer before this switch and are missing (raise buffer)"))
        }
        m.evicted.removeAll()
        let waiting = m.drain()
        for item in waiting { publish(item, from: m) }
    }
}

/// One child of the group.
final class Member {
    let index: Int
    let name: String
    let feed: MarketFeed
    var validator: FeedValidator
    var fault: FailoverReason?
    var streak = 0
    var ended = false
    var retryAt: Int64?
    var lastProgress: Int64
    var frontier = Int64.min
    /// Per series, the latest event time dropped from the buffer while still unpublished.
    var evicted: [SeriesKey: Int64] = [:]
    private var buffer: [FeedItem] = []
    private var head = 0

    init(index: Int, name: String, feed: MarketFeed, validator: FeedValidator, now: Int64) {
        (self.index, self.name, self.feed, self.validator, self.lastProgress) = (index, name, feed, validator, now)
    }

    /// Buffers a valid standby item: prunes items older than what was published, drops the oldest past `limit`.
    func store(_ item: FeedItem, lastPublished: (SeriesKey) -> Int64?, limit: Int) {
        buffer.append(item)
        while head < buffer.count, let published = lastPublished(SeriesKey(buffer[head])), buffer[head].eventTime < published {
            head += 1
        }
        while buffer.count - head > max(limit, 1) {
            let old = buffer[head]
            let key = SeriesKey(old)
            if old.eventTime > (lastPublished(key) ?? .min) { evicted[key] = max(evicted[key] ?? .min, old.eventTime) }
            head += 1
        }
        if head > 4096 && head * 2 > buffer.count {
            buffer.removeFirst(head)
            head = 0
        }
    }

    /// True when a buffered item is later than its series' last published one.
    func hasUnpublished(_ lastPublished: (SeriesKey) -> Int64?) -> Bool {
        buffer[head...].contains { $0.eventTime > (lastPublished(SeriesKey($0)) ?? .min) }
    }

    /// Takes the buffered items.
    func drain() -> [FeedItem] {
        defer {
            buffer.removeAll()
            head = 0
        }
        return Array(buffer[head...])
    }
}
