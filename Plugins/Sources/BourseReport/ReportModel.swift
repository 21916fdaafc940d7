// What a report holds: per instrument, bounded series, anomaly markers and counts.

/// An anomaly marker: an alert at a bar.
public struct AnomalyMarker: Equatable, Sendable {
    /// Event time of the alert (the bar it is about), ns.
    public var time: Int64
    /// The detector's score.
    public var score: Double
    /// `info`, `warning` or `critical`.
    public var severity: String
    /// The alert's reason text.
    public var reason: String

    /// A marker.
    public init(time: Int64, score: Double, severity: String, reason: String) {
        self.time = time
        self.score = score
        self.severity = severity
        self.reason = reason
    }
}

/// Settings shared by every instrument of a report.
public struct ReportSettings: Equatable, Sendable {
    /// The page title.
    public var title: String
    /// Name of the price series (a bar field, e.g. `close`).
    public var priceName: String
    /// Value fields drawn on the price panel.
    public var series: [String]
    /// Value fields drawn on a second panel with its own scale.
    public var lowerSeries: [String]
    /// Most points per series.
    public var maxPoints: Int
    /// Most anomaly markers per instrument (the highest scores are kept).
    public var maxMarkers: Int

    /// Settings.
    public init(title: String = "Bourse report", priceName: String = "close", series: [String] = [],
                lowerSeries: [String] = [], maxPoints: Int = 2000, maxMarkers: Int = 200) {
        self.title = title
        self.priceName = priceName
        self.series = series
        self.lowerSeries = lowerSeries
        self.maxPoints = maxPoints
        self.maxMarkers = maxMarkers
    }
}

/// Everything the report knows about one instrument.
public struct InstrumentReport: Equatable, Sendable {
    /// The instrument's symbol.
    public let symbol: String
    /// The price series (``ReportSettings/priceName``), then one per configured field.
    public private(set) var series: [String: DownsampledSeries] = [:]
    /// The anomaly markers kept, at most ``ReportSettings/maxMarkers``.
    public private(set) var markers: [AnomalyMarker] = []
    /// Bars received.
    public private(set) var bars = 0
    /// Alerts received, by severity name.
    public private(set) var alerts: [String: Int] = [:]
    /// Event time of the first and the last bar.
    public private(set) var firstTime: Int64?, lastTime: Int64?
    /// The price of the last bar.
    public private(set) var lastPrice: Double?
    private let maxMarkers: Int
    private let capacity: Int

    /// An empty report for `symbol`.
    public init(symbol: String, settings: ReportSettings) {
        self.symbol = symbol
        maxMarkers = max(0, settings.maxMarkers)
        capacity = settings.maxPoints
    }

    /// Records a bar's price (a non-finite price is counted but not drawn).
    public mutating func addBar(time: Int64, price: Double, name: String) {
        bars += 1
        firstTime = min(firstTime ?? time, time)
        lastTime = max(lastTime ?? time, time)
        guard price.isFinite else { return }
        lastPrice = price
        add(name, time: time, value: price)
    }

    /// Records a finite value of a named series.
    public mutating func add(_ name: String, time: Int64, value: Double) {
        guard value.isFinite else { return }
        series[name, default: DownsampledSeries(capacity: capacity)].append(time: time, value: value)
    }

    /// Records an alert; beyond ``ReportSettings/maxMarkers`` the lowest score
    /// (the latest among equal scores) is dropped.
    public mutating func addAlert(_ marker: AnomalyMarker) {
        alerts[marker.severity, default: 0] += 1
        guard maxMarkers > 0 else { return }
        markers.append(marker)
        if markers.count > maxMarkers {
            var weakest = 0
            for i in markers.indices.dropFirst() where isWeaker(markers[i], than: markers[weakest]) { weakest = i }
            markers.remove(at: weakest)
        }
    }

    private func isWeaker(_ a: AnomalyMarker, than b: AnomalyMarker) -> Bool {
        a.score < b.score || (a.score == b.score && a.time > b.time)
    }

    /// Alerts received in total.
    public var alertCount: Int { alerts.values.reduce(0, +) }
}

/// The whole report: instruments by symbol.
public struct Report: Equatable, Sendable {
    /// The settings.
    public let settings: ReportSettings
    /// Instruments by symbol.
    public private(set) var instruments: [String: InstrumentReport] = [:]

    /// An empty report.
    public init(settings: ReportSettings) {
        self.settings = settings
    }

    /// Runs `body` on the instrument's report, creating it when new.
    public mutating func update(_ symbol: String, _ body: (inout InstrumentReport) -> Void) {
        body(&instruments[symbol, default: InstrumentReport(symbol: symbol, settings: settings)])
    }

    /// Instruments sorted by symbol (the order of the page).
    public var sortedInstruments: [InstrumentReport] {
        instruments.values.sorted { $0.symbol < $1.symbol }
    }
}
