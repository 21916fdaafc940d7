// The Prometheus text exposition format, version 0.0.4.
//
// https://prometheus.io/docs/instrumenting/exposition_formats/ : one family
// = `# HELP name text`, `# TYPE name gauge|counter`, then its samples
// `name{label="value",…} number`, every line ending in `\n`. In label
// values `\`, `"` and newline are escaped as `\\`, `\"`, `\n`; in HELP text
// `\` and newline as `\\`, `\n`. Numbers are Go floats: `NaN`, `+Inf`, `-Inf`.

/// Renders a ``MetricsSnapshot`` as Prometheus text (format 0.0.4).
public struct PrometheusExposition: Sendable {
    /// The `Content-Type` of the output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Prefix of every metric name (validated with ``MetricName/isValidPrefix(_:)``).
    public let prefix: String
    /// When true, each field gets its own gauge family `<prefix><field>`
    /// (sanitised); otherwise every field shares `<prefix>value`.
    public let perFieldMetrics: Bool

    /// Creates a renderer. `prefix` must be valid (empty or a valid metric name).
    public init(prefix: String = "bourse_", perFieldMetrics: Bool = false) {
        self.prefix = prefix
        self.perFieldMetrics = perFieldMetrics
    }

    /// The shared gauge family of field values (`<prefix>value`).
    public var valueFamily: String { prefix + "value" }
    /// The family of latest event times (`<prefix>last_event_time_seconds`).
    public var eventTimeFamily: String { prefix + "last_event_time_seconds" }
    /// The counter family of messages per topic (`<prefix>messages_total`).
    public var messagesFamily: String { prefix + "messages_total" }

    /// The gauge family a field's samples go to: ``valueFamily``, or with
    /// ``perFieldMetrics`` `<prefix><sanitised field>` — plus `_value` when
    /// that would collide with one of the other families.
    public func family(ofField field: String) -> String {
        guard perFieldMetrics else { return valueFamily }
        let name = prefix + MetricName.sanitised(field)
        return name == eventTimeFamily || name == messagesFamily ? name + "_value" : name
    }

    /// The whole exposition: field gauges (families in name order), then
    /// latest event times, then message counters. The families of the
    /// default layout are always present, with no samples when nothing arrived.
    public func render(_ snapshot: MetricsSnapshot) -> String {
        var out = ""
        out.reserveCapacity(128 + 96 * (snapshot.gauges.count + snapshot.eventTimes.count + snapshot.messageCounts.count))
        if perFieldMetrics {
            var families: [String: (fields: [String], samples: [GaugeSample])] = [:]
            for sample in snapshot.gauges {
                let name = family(ofField: sample.field)
                var entry = families[name] ?? ([], [])
                if !entry.fields.contains(sample.field) { entry.fields.append(sample.field) }
                entry.samples.append(sample)
                families[name] = entry
            }
            for name in families.keys.sorted() {
                let entry = families[name]!
                let quoted = entry.fields.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                header(&out, name, "gauge", "Latest value of field \(quoted) of the messages on a topic, per instrument.")
                for sample in entry.samples { gaugeLine(&out, name, sample) }
            }
        } else {
            header(&out, valueFamily, "gauge",
                   "Latest value of a chosen field of the messages on a topic, per instrument.")
            for sample in snapshot.gauges { gaugeLine(&out, valueFamily, sample) }
        }
        header(&out, eventTimeFamily, "gauge",
               "Event time of the latest message on a topic, per instrument, in seconds since the Unix epoch.")
        for sample in snapshot.eventTimes {
            line(&out, eventTimeFamily, [("topic", sample.topic), ("instrument", sample.instrument)],
                 Self.formatNumber(sample.seconds))
        }
        header(&out, messagesFamily, "counter", "Messages received per topic.")
        for sample in snapshot.messageCounts {
            line(&out, messagesFamily, [("topic", sample.topic)], String(sample.count))
        }
        return out
    }

    private func header(_ out: inout String, _ name: String, _ type: String, _ help: String) {
        out += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type)\n"
    }

    private func gaugeLine(_ out: inout String, _ name: String, _ sample: GaugeSample) {
        line(&out, name, [("topic", sample.topic), ("instrument", sample.instrument), ("field", sample.field)],
             Self.formatNumber(sample.value))
    }

    private func line(_ out: inout String, _ name: String, _ labels: [(String, String)], _ value: String) {
        out += name
        out += "{"
        for (index, label) in labels.enumerated() {
            if index > 0 { out += "," }
            out += label.0
            out += "=\""
            out += Self.escapeLabelValue(label.1)
            out += "\""
        }
        out += "} "
        out += value
        out += "\n"
    }

    /// A label value escaped for the text format: `\` → `\\`, `"` → `\"`, newline → `\n`.
    public static func escapeLabelValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else { return value }
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// HELP text escaped for the text format: `\` → `\\`, newline → `\n`.
    public static func escapeHelp(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x5C || $0 == 0x0A }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A sample value as Prometheus (Go's `ParseFloat`) reads it: `NaN`,
    /// `+Inf`, `-Inf`, integers without a fraction below 2^53, else Swift's
    /// shortest round-trip form (`0.1`, `1e-05`, `2.5e+20`).
    public static func formatNumber(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            return value == 0 ? "0" : String(Int64(value))
        }
        return "\(value)"
    }
}
