// What a scrape shows: the latest field values, event times and message counts, with their labels.

/// The latest value of one field of the messages of one topic and instrument.
public struct GaugeSample: Equatable, Sendable {
    /// The topic name (`topic` label).
    public var topic: String
    /// The instrument's symbol, "" for messages about no instrument (`instrument` label).
    public var instrument: String
    /// The field name as the message declares it (`field` label).
    public var field: String
    /// The latest value (NaN and ±∞ are kept as they are).
    public var value: Double

    /// Creates a sample.
    public init(topic: String, instrument: String, field: String, value: Double) {
        self.topic = topic
        self.instrument = instrument
        self.field = field
        self.value = value
    }
}

/// The event time of the latest message of one topic and instrument.
public struct EventTimeSample: Equatable, Sendable {
    /// The topic name.
    public var topic: String
    /// The instrument's symbol, "" for none.
    public var instrument: String
    /// Event time in seconds since the Unix epoch (UTC).
    public var seconds: Double

    /// Creates a sample.
    public init(topic: String, instrument: String, seconds: Double) {
        self.topic = topic
        self.instrument = instrument
        self.seconds = seconds
    }
}

/// How many messages arrived on one topic.
public struct TopicCount: Equatable, Sendable {
    /// The topic name.
    public var topic: String
    /// Messages received since the start.
    public var count: UInt64

    /// Creates a count.
    public init(topic: String, count: UInt64) {
        self.topic = topic
        self.count = count
    }
}

/// Everything one scrape renders, each list sorted by its labels
/// (topic, then instrument, then field) so that output is deterministic.
public struct MetricsSnapshot: Equatable, Sendable {
    /// Latest field values.
    public var gauges: [GaugeSample]
    /// Latest event times.
    public var eventTimes: [EventTimeSample]
    /// Messages per topic.
    public var messageCounts: [TopicCount]

    /// Creates a snapshot from lists in any order; they are sorted.
    public init(gauges: [GaugeSample] = [], eventTimes: [EventTimeSample] = [], messageCounts: [TopicCount] = []) {
        self.gauges = gauges.sorted {
            ($0.topic, $0.instrument, $0.field) < ($1.topic, $1.instrument, $1.field)
        }
        self.eventTimes = eventTimes.sorted { ($0.topic, $0.instrument) < ($1.topic, $1.instrument) }
        self.messageCounts = messageCounts.sorted { $0.topic < $1.topic }
    }
}
