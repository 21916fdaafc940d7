// How an indicator set stores its live indicators and their outputs.

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

/// Updates the indicator at `pointer` in place, skipping its own finiteness
/// check (the set has rejected non-finite bars), and writes its outputs.
@inline(__always)
private func step<Indicator: FiniteBarUpdating>(_ pointer: UnsafeMutablePointer<Indicator>, _ bar: PriceBar,
                                                _ destination: UnsafeMutablePointer<Double>)
where Indicator.Output: IndicatorOutput {
    if let output = pointer.pointee.updateFinite(bar) {
        output.write(to: destination)
    } else {
        for i in 0..<Indicator.Output.width { destination[i] = .nan }
    }
}

/// Bar indicators with an update that skips the check that the bar is
/// finite, for an ``IndicatorSetState``, which checks each bar once.
protocol FiniteBarUpdating: StreamingIndicator where Input == PriceBar {
    /// ``StreamingIndicator/update(_:)`` for a bar whose five numbers are finite.
    mutating func updateFinite(_ bar: PriceBar) -> Output?
}

extension ATR: FiniteBarUpdating {}
extension NATR: FiniteBarUpdating {}
extension Stochastic: FiniteBarUpdating {}
extension KDJ: FiniteBarUpdating {}
extension WilliamsR: FiniteBarUpdating {}
extension OBV: FiniteBarUpdating {}
extension VWAP: FiniteBarUpdating {}
extension CCI: FiniteBarUpdating {}
extension ADX: FiniteBarUpdating {}
extension Aroon: FiniteBarUpdating {}
extension MFI: FiniteBarUpdating {}
extension ParabolicSAR: FiniteBarUpdating {}
extension KeltnerChannels: FiniteBarUpdating {}
extension DonchianChannels: FiniteBarUpdating {}

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
