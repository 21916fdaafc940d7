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
    /// Makers of fresh indicators, one per spec, called for every new state.
    private let templates: [SlotMaker]

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
        var templates: [SlotMaker] = []
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
        IndicatorSetState(slots: templates.map { $0() }, offsets: offsets, width: fieldNames.count)
    }

    /// The bar adapter of one spec.
    private static func template(for spec: IndicatorSpec) throws(IndicatorError) -> SlotMaker {
        let p = spec.parameters
        switch spec.kind {
        case .sma: return SlotTemplate(FieldIndicator(try SMA(period: spec.int(0)), field: .close), BarSlot.make)
        case .ema: return SlotTemplate(FieldIndicator(try EMA(period: spec.int(0)), field: .close), BarSlot.make)
        case .wma: return SlotTemplate(FieldIndicator(try WMA(period: spec.int(0)), field: .close), BarSlot.make)
        case .dema: return SlotTemplate(FieldIndicator(try DEMA(period: spec.int(0)), field: .close), BarSlot.make)
        case .tema: return SlotTemplate(FieldIndicator(try TEMA(period: spec.int(0)), field: .close), BarSlot.make)
        case .kama: return SlotTemplate(FieldIndicator(try KAMA(period: spec.int(0)), field: .close), BarSlot.make)
        case .rsi: return SlotTemplate(FieldIndicator(try RSI(period: spec.int(0)), field: .close), BarSlot.make)
        case .roc: return SlotTemplate(FieldIndicator(try ROC(period: spec.int(0)), field: .close), BarSlot.make)
        case .mom: return SlotTemplate(FieldIndicator(try Momentum(period: spec.int(0)), field: .close), BarSlot.make)
        case .stddev: return SlotTemplate(FieldIndicator(try StandardDeviation(period: spec.int(0), deviations: p[1]), field: .close), BarSlot.make)
        case .macd: return SlotTemplate(FieldIndicator(try MACD(fast: spec.int(0), slow: spec.int(1), signal: spec.int(2)), field: .close), BarSlot.make)
        case .bbands:
            return SlotTemplate(FieldIndicator(try BollingerBands(period: spec.int(0), deviationsUp: p[1], deviationsDown: p[2]),
                                               field: .close), BarSlot.make)
        case .atr: return SlotTemplate(try ATR(period: spec.int(0)), BarSlot.make)
        case .natr: return SlotTemplate(try NATR(period: spec.int(0)), BarSlot.make)
        case .stoch: return SlotTemplate(try Stochastic(fastK: spec.int(0), slowK: spec.int(1), slowD: spec.int(2)), BarSlot.make)
        case .kdj: return SlotTemplate(try KDJ(period: spec.int(0), kSmoothing: spec.int(1), dSmoothing: spec.int(2)), BarSlot.make)
        case .willr: return SlotTemplate(try WilliamsR(period: spec.int(0)), BarSlot.make)
        case .obv: return SlotTemplate(OBV(), BarSlot.make)
        case .vwap: return SlotTemplate(VWAP(), BarSlot.make)
        case .vwapSession:
            try IndicatorError.checkInteger("session_start_minutes", spec.int(0), in: 0...1439, indicator: "VWAP_SESSION")
            return SlotTemplate(try VWAP(sessionStart: Int64(spec.int(0)) * 60_000_000_000), BarSlot.make)
        case .cci: return SlotTemplate(try CCI(period: spec.int(0)), BarSlot.make)
        case .adx: return SlotTemplate(try ADX(period: spec.int(0)), BarSlot.make)
        case .aroon: return SlotTemplate(try Aroon(period: spec.int(0)), BarSlot.make)
        case .mfi: return SlotTemplate(try MFI(period: spec.int(0)), BarSlot.make)
        case .sar: return SlotTemplate(try ParabolicSAR(acceleration: p[0], maximum: p[1]), BarSlot.make)
        case .keltner: return SlotTemplate(try KeltnerChannels(period: spec.int(0), atrPeriod: spec.int(1), multiplier: p[2]), BarSlot.make)
        case .donchian: return SlotTemplate(try DonchianChannels(period: spec.int(0)), BarSlot.make)
        }
    }
}

/// The indicators of an ``IndicatorSet`` for one instrument, and the values
/// of the last accepted bar.
public final class IndicatorSetState {
    private let slots: [BarSlot]
    private let offsets: [Int]
    private let storage: UnsafeMutableBufferPointer<Double>
    /// Bars that reached the indicators.
    public private(set) var acceptedCount = 0
    /// Bars rejected because a value was NaN or infinite.
    public private(set) var nonFiniteCount = 0
    /// Bars rejected as bad prints (price ≤ 0, high < low, negative volume).
    public private(set) var badPrintCount = 0

    init(slots: [BarSlot], offsets: [Int], width: Int) {
        self.slots = slots
        self.offsets = offsets
        storage = .allocate(capacity: width)
        storage.initialize(repeating: .nan)
    }

    deinit {
        storage.deallocate()
        for slot in slots { slot.free() }
    }

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
        slots.withUnsafeBufferPointer { slots in
            offsets.withUnsafeBufferPointer { offsets in
                for index in 0..<slots.count { slots[index].update(bar, base + offsets[index]) }
            }
        }
        return nil
    }
}
