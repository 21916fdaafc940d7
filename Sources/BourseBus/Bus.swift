import BourseCore
import CBourseABI

/// The in-process publish/subscribe bus.
///
/// Build it in two phases. While wiring a graph, declare publishers (each
/// with the concrete topics it publishes) and subscribers (each with its
/// patterns and a bounded queue); topics and instruments are interned to
/// integer ids then. `seal()` computes, once, which queues each topic
/// reaches. After that, publishing is a table lookup and a copy per
/// subscriber, with no string work per message.
///
/// Ordering: messages of one topic reach each subscriber in publish order.
/// Back-pressure: a publisher blocks while a subscriber's queue is full.
public final class Bus: @unchecked Sendable {
    /// Topic names ↔ ids. Ids are dense from 1.
    public let topics = Interner()
    /// Instrument symbols ↔ ids. Ids are dense from 1.
    public let instruments = Interner()

    private var publishers: [Publisher] = []
    private var subscriptions: [Subscription] = []
    private var sealed = false

    /// Creates an empty bus.
    public init() {}

    /// Declares a publisher of `topics` (concrete names). Each topic may have
    /// only one publisher, so per-topic order and sequence numbers are
    /// well defined. Call before `seal()`.
    public func addPublisher(name: String, nodeID: UInt32, topics names: [TopicName]) throws -> Publisher {
        precondition(!sealed, "addPublisher after seal")
        var ids: [UInt32] = []
        for topic in names {
            let id = topics.intern(topic.rawValue)
            if let other = publishers.first(where: { $0.topicIDs.contains(id) }) {
                throw BourseError(.duplicatePublisher, "topic '\(topic)' is published by both '\(other.name)' and '\(name)'; each topic has one publisher", input: topic.rawValue)
            }
            ids.append(id)
        }
        let publisher = Publisher(bus: self, name: name, nodeID: nodeID, topicIDs: ids)
        publishers.append(publisher)
        return publisher
    }

    /// Declares a subscriber with its patterns and a queue of `queueBytes`.
    /// A message whose topic matches several patterns is delivered once.
    public func addSubscription(name: String, patterns: [TopicPattern], queueBytes: Int) -> Subscription {
        precondition(!sealed, "addSubscription after seal")
        let subscription = Subscription(name: name, patterns: patterns, queue: MessageQueue(name: name, capacity: queueBytes))
        subscriptions.append(subscription)
        return subscription
    }

    /// Computes routes from every declared topic to the matching queues, and
    /// registers each publisher as a producer of the queues it reaches.
    public func seal() {
        precondition(!sealed, "seal twice")
        sealed = true
        let topicCount = topics.count
        var routes = Array(repeating: [MessageQueue](), count: topicCount + 1)
        for id in 1...max(1, topicCount) where id <= topicCount {
            guard let name = topics.name(of: UInt32(id)), let topic = try? TopicName(name) else { continue }
            for subscription in subscriptions where subscription.patterns.contains(where: { $0.matches(topic) }) {
                routes[id].append(subscription.queue)
                subscription.matchedTopics.append(topic)
            }
        }
        for publisher in publishers {
            var reached: [ObjectIdentifier: MessageQueue] = [:]
            for id in publisher.topicIDs {
                publisher.routes[Int(id)] = routes[Int(id)]
                for queue in routes[Int(id)] { reached[ObjectIdentifier(queue)] = queue }
            }
            publisher.downstream = Array(reached.values)
            for queue in publisher.downstream { queue.addProducer() }
        }
    }

    /// Stops everything at once: blocked publishers and consumers wake up
    /// and fail. Messages still queued are dropped; use only when a graceful
    /// drain is impossible.
    public func abort() {
        for subscription in subscriptions { subscription.queue.abort() }
    }

    /// All subscriptions, in declaration order.
    public var allSubscriptions: [Subscription] { subscriptions }
}

/// One subscriber's patterns and its bounded queue.
public final class Subscription: @unchecked Sendable {
    /// The subscriber's name (its node id).
    public let name: String
    /// Patterns as declared.
    public let patterns: [TopicPattern]
    /// Where its messages wait.
    public let queue: MessageQueue
    /// Topics that matched a pattern when the bus was sealed.
    public internal(set) var matchedTopics: [TopicName] = []

    init(name: String, patterns: [TopicPattern], queue: MessageQueue) {
        self.name = name
        self.patterns = patterns
        self.queue = queue
    }
}
