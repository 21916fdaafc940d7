// Many indicators of one instrument updated together from bars.

/// A configured set of indicators: the template from which one
/// ``IndicatorSetState`` per instrument is made.
///
/// ```swift
/// let set = try IndicatorSet(IndicatorSpec.referenceSet)
/// let state = set.makeState()
/// if state.update(bar) == nil { print(state.values[0]) }   // sma20, NaN in its warm-up
/// ```
public final class IndicatorSet: Sendable {
    /// The indicators, in output order.
    public let specs: [IndicatorSpec]
    /// Every output name, in order (``IndicatorSetState/values`` has the same order).
    public let fieldNames: [String]
    /// For each spec, the index of its first output in ``fieldNames``.
    public let offsets: [Int]
    /// Fresh indicators, copied into every new state.
    private let templates: [any BarSlotTemplate]

    /// Builds the set.
    /// - Throws: ``IndicatorError`` when a parameter is out of range, the set is
    ///   empty or two outputs have the same name.
    public init(_ specs: [IndicatorSpec]) throws(IndicatorError) {
        guard !specs.isEmpty else {
            throw IndicatorError(code: .parameterOutOfRange, message: "an indicator set needs at least one indicator",
                                 parameter: "indicators", value: "")
        }
        var names: [String] = []
        var offsets: [Int] = []
        var templates: [any BarSlotTemplate] = []
        for spec in specs {
            offsets.append(names.count)
            names += spec.outputNames
            templates.append(try IndicatorSet.template(for: spec))
        }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw IndicatorError(code: .parameterOutOfRange,
                                 message: "output \"\(name)\" appears twice in the indicator set; list each indicator once",
                                 parameter: "indicators", value: name)
        }
        self.specs = specs
        fieldNames = names
        self.offsets = offsets
        self.templates = templates
    }

    /// A fresh state (one per instrument).
    public func makeState() -> IndicatorSetState {
        IndicatorSetState(slots: templates.map { $0.makeSlot() }, offsets: offsets, width: fieldNames.count)
    }

    /// The bar adapter of one spec.
    private static func template(for spec: IndicatorSpec) throws(IndicatorError) -> any BarSlotTemplate {
        let p = spec.parameters
        func close<I: ScalarIndicator>(_ indicator: I) -> any BarSlotTemplate {
            SlotTemplate(FieldIndicator(indicator, field: .close))
        }
        switch spec.kind {
        case .sma: return close(try SMA(period: spec.int(0)))
        case .ema: return close(try EMA(period: spec.int(0)))
        case .wma: return close(try WMA(period: spec.int(0)))
        case .dema: return close(try DEMA(period: spec.int(0)))
        case .tema: return close(try TEMA(period: spec.int(0)))
        case .kama: return close(try KAMA(period: spec.int(0)))
        case .rsi: return close(try RSI(period: spec.int(0)))
        case .roc: return close(try ROC(period: spec.int(0)))
        case .mom: return close(try Momentum(period: spec.int(0)))
        case .stddev: return close(try StandardDeviation(period: spec.int(0), deviations: p[1]))
        case .macd: return SlotTemplate(FieldIndicator(try MACD(fast: spec.int(0), slow: spec.int(1), signal: spec.int(2)), field: .close))
        case .bbands:
            return SlotTemplate(FieldIndicator(try BollingerBands(period: spec.int(0), deviationsUp: p[1], deviationsDown: p[2]),
                                               field: .close))
        case .atr: return SlotTemplate(try ATR(period: spec.int(0)))
        case .natr: return SlotTemplate(try NATR(period: spec.int(0)))
        case .stoch: return SlotTemplate(try Stochastic(fastK: spec.int(0), slowK: spec.int(1), slowD: spec.int(2)))
        case .kdj: return SlotTemplate(try KDJ(period: spec.int(0), kSmoothing: spec.int(1), dSmoothing: spec.int(2)))
        case .willr: return SlotTemplate(try WilliamsR(period: spec.int(0)))
        case .obv: return SlotTemplate(OBV())
        case .vwap: return SlotTemplate(VWAP())
        case .vwapSession:
            try IndicatorError.checkInteger("session_start_minutes", spec.int(0), in: 0...1439, indicator: "VWAP_SESSION")
            return SlotTemplate(try VWAP(sessionStart: Int64(spec.int(0)) * 60_000_000_000))
        case .cci: return SlotTemplate(try CCI(period: spec.int(0)))
        case .adx: return SlotTemplate(try ADX(period: spec.int(0)))
        case .aroon: return SlotTemplate(try Aroon(period: spec.int(0)))
        case .mfi: return SlotTemplate(try MFI(period: spec.int(0)))
        case .sar: return SlotTemplate(try ParabolicSAR(acceleration: p[0], maximum: p[1]))
        case .keltner: return SlotTemplate(try KeltnerChannels(period: spec.int(0), atrPeriod: spec.int(1), multiplier: p[2]))
        case .donchian: return SlotTemplate(try DonchianChannels(period: spec.int(0)))
        }
    }
}

/// The indicators of an ``IndicatorSet`` for one instrument, and the values
/// of the last accepted bar.
public final class IndicatorSetState {
    private let slots: [any BarSlot]
    private let offsets: [Int]
    private let storage: UnsafeMutableBufferPointer<Double>
    /// Bars that reached the indicators.
    public private(set) var acceptedCount = 0
    /// Bars rejected because a value was NaN or infinite.
    public private(set) var nonFiniteCount = 0
    /// Bars rejected as bad prints (price ≤ 0, high < low, negative volume).
    public private(set) var badPrintCount = 0

    init(slots: [any BarSlot], offsets: [Int], width: Int) {
        self.slots = slots
        self.offsets = offsets
        storage = .allocate(capacity: width)
        storage.initialize(repeating: .nan)
    }

    deinit { storage.deallocate() }

    /// The outputs after the last accepted bar, in ``IndicatorSet/fieldNames``
    /// order; NaN for an indicator still in its warm-up.
    public var values: UnsafeBufferPointer<Double> { UnsafeBufferPointer(storage) }

    /// Feeds one bar to every indicator. A bar with a ``PriceBar/defect`` is
    /// rejected (state and ``values`` untouched, counted) and its defect returned.
    @discardableResult
    public func update(_ bar: PriceBar) -> PriceBarDefect? {
        if let defect = bar.defect {
            if defect == .nonFinite { nonFiniteCount += 1 } else { badPrintCount += 1 }
            return defect
        }
        acceptedCount += 1
        let base = storage.baseAddress!
        for index in slots.indices {
            slots[index].update(bar, base + offsets[index])
        }
        return nil
    }
}

/// Output types that an indicator set can store: a fixed number of doubles.
public protocol IndicatorOutput {
    /// Number of doubles.
    static var width: Int { get }
    /// Writes the doubles at `destination`.
    func write(to destination: UnsafeMutablePointer<Double>)
}

extension Double: IndicatorOutput {
    /// 1.
    public static var width: Int { 1 }
    /// Writes the value.
    @inline(__always) public func write(to destination: UnsafeMutablePointer<Double>) { destination.pointee = self }
}

extension MACD.Output: IndicatorOutput {
    /// 3: line, signal, histogram.
    public static var width: Int { 3 }
    /// Writes line, signal, histogram.
    public func write(to d: UnsafeMutablePointer<Double>) { d[0] = macd; d[1] = signal; d[2] = histogram }
}

extension BollingerBands.Output: IndicatorOutput {
    /// 3: upper, middle, lower.
    public static var width: Int { 3 }
    /// Writes upper, middle, lower.
    public func write(to d: UnsafeMutablePointer<Double>) { d[0] = upper; d[1] = middle; d[2] = lower }
}

extension Stochastic.Output: IndicatorOutput {
    /// 2: slow %K, slow %D.
    public static var width: Int { 2 }
    /// Writes %K, %D.
    public func write(to d: UnsafeMutablePointer<Double>) { d[0] = k; d[1] = self.d }
}

extension KDJ.Output: IndicatorOutput {
    /// 3: K, D, J.
    public static var width: Int { 3 }
    /// Writes K, D, J.
    public func write(to d: UnsafeMutablePointer<Double>) { d[0] = k; d[1] = self.d; d[2] = j }
}

extension ADX.Output: IndicatorOutput {
    /// 3: ADX, +DI, −DI.
    public static var width: Int { 3 }
    /// Writes ADX, +DI, −DI.
    public func write(to d: UnsafeMutablePointer<Double>) { d[0] = adx; d[1] = plusDI; d[2] = minusDI }
}

extension Aroon.Output: IndicatorOutput {
    /// 2: down, up.
    public static var width: Int { 2 }
    /// Writes down, up.
    public func write(to d: UnsafeMutablePointer<Double>) { d[0] = down; d[1] = up }
}

extension KeltnerChannels.Output: IndicatorOutput {
    /// 3: upper, middle, lower.
    public static var width: Int { 3 }
    /// Writes upper, middle, lower.
    public func write(to d: UnsafeMutablePointer<Double>) { d[0] = upper; d[1] = middle; d[2] = lower }
}

extension DonchianChannels.Output: IndicatorOutput {
    /// 3: upper, middle, lower.
    public static var width: Int { 3 }
    /// Writes upper, middle, lower.
    public func write(to d: UnsafeMutablePointer<Double>) { d[0] = upper; d[1] = middle; d[2] = lower }
}

/// Makes fresh slots of one indicator.
protocol BarSlotTemplate: Sendable {
    func makeSlot() -> any BarSlot
}

/// One live indicator of a state, fed whole bars.
protocol BarSlot: AnyObject {
    /// Updates and writes the outputs (NaN during the warm-up) at `destination`.
    func update(_ bar: PriceBar, _ destination: UnsafeMutablePointer<Double>)
}

/// The template of one indicator: a fresh copy of it.
struct SlotTemplate<Indicator: StreamingIndicator>: BarSlotTemplate, @unchecked Sendable
where Indicator.Input == PriceBar, Indicator.Output: IndicatorOutput {
    let fresh: Indicator
    init(_ fresh: Indicator) { self.fresh = fresh }
    func makeSlot() -> any BarSlot { Slot(fresh) }
}

/// A live indicator, held in a class so updates mutate it in place.
final class Slot<Indicator: StreamingIndicator>: BarSlot
where Indicator.Input == PriceBar, Indicator.Output: IndicatorOutput {
    var indicator: Indicator
    init(_ indicator: Indicator) { self.indicator = indicator }

    func update(_ bar: PriceBar, _ destination: UnsafeMutablePointer<Double>) {
        if let output = indicator.update(bar) {
            output.write(to: destination)
        } else {
            for i in 0..<Indicator.Output.width { destination[i] = .nan }
        }
    }
}
