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

/// Makes one fresh live indicator (called once per indicator and instrument).
typealias SlotMaker = @Sendable () -> BarSlot

/// One live indicator of a state: a pointer to its heap storage, tagged with
/// its concrete type. Updating switches on the tag, so every indicator's
/// update is specialised and inlined, with no reference counting, no
/// copy-on-write and no dynamic exclusivity check per bar.
enum BarSlot {
    case sma(UnsafeMutablePointer<FieldIndicator<SMA>>)
    case ema(UnsafeMutablePointer<FieldIndicator<EMA>>)
    case wma(UnsafeMutablePointer<FieldIndicator<WMA>>)
    case dema(UnsafeMutablePointer<FieldIndicator<DEMA>>)
    case tema(UnsafeMutablePointer<FieldIndicator<TEMA>>)
    case kama(UnsafeMutablePointer<FieldIndicator<KAMA>>)
    case rsi(UnsafeMutablePointer<FieldIndicator<RSI>>)
    case roc(UnsafeMutablePointer<FieldIndicator<ROC>>)
    case mom(UnsafeMutablePointer<FieldIndicator<Momentum>>)
    case stddev(UnsafeMutablePointer<FieldIndicator<StandardDeviation>>)
    case macd(UnsafeMutablePointer<FieldIndicator<MACD>>)
    case bbands(UnsafeMutablePointer<FieldIndicator<BollingerBands>>)
    case atr(UnsafeMutablePointer<ATR>)
    case natr(UnsafeMutablePointer<NATR>)
    case stoch(UnsafeMutablePointer<Stochastic>)
    case kdj(UnsafeMutablePointer<KDJ>)
    case willr(UnsafeMutablePointer<WilliamsR>)
    case obv(UnsafeMutablePointer<OBV>)
    case vwap(UnsafeMutablePointer<VWAP>)
    case cci(UnsafeMutablePointer<CCI>)
    case adx(UnsafeMutablePointer<ADX>)
    case aroon(UnsafeMutablePointer<Aroon>)
    case mfi(UnsafeMutablePointer<MFI>)
    case sar(UnsafeMutablePointer<ParabolicSAR>)
    case keltner(UnsafeMutablePointer<KeltnerChannels>)
    case donchian(UnsafeMutablePointer<DonchianChannels>)

    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<SMA>) -> BarSlot { .sma(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<EMA>) -> BarSlot { .ema(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<WMA>) -> BarSlot { .wma(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<DEMA>) -> BarSlot { .dema(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<TEMA>) -> BarSlot { .tema(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<KAMA>) -> BarSlot { .kama(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<RSI>) -> BarSlot { .rsi(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<ROC>) -> BarSlot { .roc(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<Momentum>) -> BarSlot { .mom(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<StandardDeviation>) -> BarSlot { .stddev(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<MACD>) -> BarSlot { .macd(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: FieldIndicator<BollingerBands>) -> BarSlot { .bbands(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: ATR) -> BarSlot { .atr(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: NATR) -> BarSlot { .natr(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: Stochastic) -> BarSlot { .stoch(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: KDJ) -> BarSlot { .kdj(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: WilliamsR) -> BarSlot { .willr(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: OBV) -> BarSlot { .obv(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: VWAP) -> BarSlot { .vwap(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: CCI) -> BarSlot { .cci(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: ADX) -> BarSlot { .adx(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: Aroon) -> BarSlot { .aroon(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: MFI) -> BarSlot { .mfi(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: ParabolicSAR) -> BarSlot { .sar(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: KeltnerChannels) -> BarSlot { .keltner(allocateCopy(indicator)) }
    /// A slot holding a copy of `indicator`.
    @inline(__always) static func make(_ indicator: DonchianChannels) -> BarSlot { .donchian(allocateCopy(indicator)) }

    /// Updates with `bar` and writes the outputs (NaN during the warm-up) at `destination`.
    @inline(__always) func update(_ bar: PriceBar, _ destination: UnsafeMutablePointer<Double>) {
        switch self {
        case .sma(let p): step(p, bar, destination)
        case .ema(let p): step(p, bar, destination)
        case .wma(let p): step(p, bar, destination)
        case .dema(let p): step(p, bar, destination)
        case .tema(let p): step(p, bar, destination)
        case .kama(let p): step(p, bar, destination)
        case .rsi(let p): step(p, bar, destination)
        case .roc(let p): step(p, bar, destination)
        case .mom(let p): step(p, bar, destination)
        case .stddev(let p): step(p, bar, destination)
        case .macd(let p): step(p, bar, destination)
        case .bbands(let p): step(p, bar, destination)
        case .atr(let p): step(p, bar, destination)
        case .natr(let p): step(p, bar, destination)
        case .stoch(let p): step(p, bar, destination)
        case .kdj(let p): step(p, bar, destination)
        case .willr(let p): step(p, bar, destination)
        case .obv(let p): step(p, bar, destination)
        case .vwap(let p): step(p, bar, destination)
        case .cci(let p): step(p, bar, destination)
        case .adx(let p): step(p, bar, destination)
        case .aroon(let p): step(p, bar, destination)
        case .mfi(let p): step(p, bar, destination)
        case .sar(let p): step(p, bar, destination)
        case .keltner(let p): step(p, bar, destination)
        case .donchian(let p): step(p, bar, destination)
        }
    }

    /// Frees the storage; the slot must not be used afterwards.
    func free() {
        switch self {
        case .sma(let p): release(p)
        case .ema(let p): release(p)
        case .wma(let p): release(p)
        case .dema(let p): release(p)
        case .tema(let p): release(p)
        case .kama(let p): release(p)
        case .rsi(let p): release(p)
        case .roc(let p): release(p)
        case .mom(let p): release(p)
        case .stddev(let p): release(p)
        case .macd(let p): release(p)
        case .bbands(let p): release(p)
        case .atr(let p): release(p)
        case .natr(let p): release(p)
        case .stoch(let p): release(p)
        case .kdj(let p): release(p)
        case .willr(let p): release(p)
        case .obv(let p): release(p)
        case .vwap(let p): release(p)
        case .cci(let p): release(p)
        case .adx(let p): release(p)
        case .aroon(let p): release(p)
        case .mfi(let p): release(p)
        case .sar(let p): release(p)
        case .keltner(let p): release(p)
        case .donchian(let p): release(p)
        }
    }
}

/// Updates the indicator at `pointer` in place and writes its outputs.
@inline(__always)
private func step<Indicator: StreamingIndicator>(_ pointer: UnsafeMutablePointer<Indicator>, _ bar: PriceBar,
                                                 _ destination: UnsafeMutablePointer<Double>)
where Indicator.Input == PriceBar, Indicator.Output: IndicatorOutput {
    if let output = pointer.pointee.update(bar) {
        output.write(to: destination)
    } else {
        for i in 0..<Indicator.Output.width { destination[i] = .nan }
    }
}

/// A heap copy of `value`.
@inline(__always)
private func allocateCopy<Value>(_ value: Value) -> UnsafeMutablePointer<Value> {
    let pointer = UnsafeMutablePointer<Value>.allocate(capacity: 1)
    pointer.initialize(to: value)
    return pointer
}

/// Frees a heap copy made by `allocateCopy`.
private func release<Value>(_ pointer: UnsafeMutablePointer<Value>) {
    pointer.deinitialize(count: 1)
    pointer.deallocate()
}

/// A ``SlotMaker`` for fresh copies of `fresh`.
func SlotTemplate<Indicator>(_ fresh: Indicator, _ make: @escaping (Indicator) -> BarSlot) -> SlotMaker {
    let box = UncheckedSendable((fresh, make))
    return { box.value.1(box.value.0) }
}

/// Lets an indicator template (a plain value, never mutated) cross into a `@Sendable` closure.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
