// The gauge table: written by the plugin thread, read by the HTTP thread.
import Synchronization

/// Identifies a series by the ids the writer uses (topic id, instrument id,
/// and a field number of the writer's choosing); labels are given once, when
/// the series is first seen.
public struct SeriesKey: Hashable, Sendable {
    /// The writer's topic id.
    public var topic: UInt32
    /// The writer's instrument id (0 = none).
    public var instrument: UInt32
    /// The writer's field number (ignored for event times).
    public var field: UInt32

    /// Creates a key.
    public init(topic: UInt32, instrument: UInt32, field: UInt32 = 0) {
        self.topic = topic
        self.instrument = instrument
        self.field = field
    }
}

/// The latest value of chosen fields, the latest event time per topic and
/// instrument, and message counts per topic, guarded by a mutex.
///
/// One thread writes batches with ``update(_:)``; any thread takes a
/// ``snapshot()``, which copies the tables under the lock (copy-on-write:
/// constant time) and sorts and labels them outside it, so a scrape never
/// holds up the writer for longer than that copy.
public final class LatestValueStore: Sendable {
    /// Most series (gauges plus event times) kept; new ones beyond are dropped and counted.
    public let maxSeries: Int
    private let state: Mutex<Tables>

    struct Tables {
        var gauges: [SeriesKey: GaugeSample] = [:]
        var eventTimes: [SeriesKey: EventTimeSample] = [:]
        var counts: [UInt32: TopicCount] = [:]
    }

    /// Creates an empty store keeping at most `maxSeries` series.
    public init(maxSeries: Int = 100_000) {
        self.maxSeries = maxSeries
        state = Mutex(Tables())
    }

    /// Applies one batch of updates under the lock; returns how many new
    /// series were dropped because the store was full.
    @discardableResult
    public func update(_ body: (inout Writer) -> Void) -> Int {
        state.withLock { tables in
            var writer = Writer(tables: tables, maxSeries: maxSeries)
            tables = Tables()  // keep the dictionaries uniquely referenced while the writer mutates them
            body(&writer)
            tables = writer.tables
            return writer.dropped
        }
    }

    /// A consistent copy of every table, sorted by labels.
    public func snapshot() -> MetricsSnapshot {
        let tables = state.withLock { $0 }
        return MetricsSnapshot(gauges: Array(tables.gauges.values), eventTimes: Array(tables.eventTimes.values),
                               messageCounts: Array(tables.counts.values))
    }

    /// Writes into the tables during ``LatestValueStore/update(_:)``.
    public struct Writer {
        var tables: Tables
        let maxSeries: Int
        var dropped = 0

        init(tables: Tables, maxSeries: Int) {
            self.tables = tables
            self.maxSeries = maxSeries
        }

        private var seriesCount: Int { tables.gauges.count + tables.eventTimes.count }

        /// Sets the latest value of a field; `labels` is called only for a new series.
        public mutating func setValue(_ value: Double, for key: SeriesKey,
                                      labels: () -> (topic: String, instrument: String, field: String)) {
            if tables.gauges[key] != nil {
                tables.gauges[key]!.value = value
            } else if seriesCount < maxSeries {
                let names = labels()
                tables.gauges[key] = GaugeSample(topic: names.topic, instrument: names.instrument,
                                                 field: names.field, value: value)
            } else {
                dropped += 1
            }
        }

        /// Sets the latest event time (ns since the epoch) of a topic and
        /// instrument (`key.field` is ignored); `labels` is called only for a new series.
        public mutating func setEventTime(_ nanoseconds: Int64, for key: SeriesKey,
                                          labels: () -> (topic: String, instrument: String)) {
            let key = SeriesKey(topic: key.topic, instrument: key.instrument)
            let seconds = Double(nanoseconds) / 1e9
            if tables.eventTimes[key] != nil {
                tables.eventTimes[key]!.seconds = seconds
            } else if seriesCount < maxSeries {
                let names = labels()
                tables.eventTimes[key] = EventTimeSample(topic: names.topic, instrument: names.instrument,
                                                         seconds: seconds)
            } else {
                dropped += 1
            }
        }

        /// Adds `count` messages to a topic's counter; `name` is called only for a new topic.
        public mutating func addMessages(_ count: UInt64, topic: UInt32, name: () -> String) {
            if tables.counts[topic] != nil {
                tables.counts[topic]!.count += count
            } else {
                tables.counts[topic] = TopicCount(topic: name(), count: count)
            }
        }
    }
}
