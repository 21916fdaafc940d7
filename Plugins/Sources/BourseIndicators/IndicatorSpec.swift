// A textual indicator specification ("sma:20", "macd:12:26:9") for indicator sets.

/// One indicator of an ``IndicatorSet``: its kind and numeric parameters,
/// parsed from text like `"sma:20"`, `"macd:12:26:9"` or `"bbands:20:2:2"`
/// (`name[:p1[:p2…]]`; omitted trailing parameters take the defaults of
/// ``Kind/defaults``).
public struct IndicatorSpec: Equatable, Sendable, CustomStringConvertible {
    /// The indicators an ``IndicatorSet`` can compute.
    public enum Kind: String, CaseIterable, Sendable {
        /// ``SMA`` (period).
        case sma
        /// ``EMA`` (period).
        case ema
        /// ``WMA`` (period).
        case wma
        /// ``DEMA`` (period).
        case dema
        /// ``TEMA`` (period).
        case tema
        /// ``KAMA`` (period).
        case kama
        /// ``RSI`` (period).
        case rsi
        /// ``MACD`` (fast, slow, signal).
        case macd
        /// ``BollingerBands`` (period, deviations up, deviations down).
        case bbands
        /// ``ATR`` (period).
        case atr
        /// ``NATR`` (period).
        case natr
        /// ``Stochastic`` (fast %K, slow %K, slow %D).
        case stoch
        /// ``KDJ`` (period, K smoothing, D smoothing).
        case kdj
        /// ``WilliamsR`` (period).
        case willr
        /// ``OBV`` (no parameter).
        case obv
        /// Cumulative ``VWAP`` (no parameter).
        case vwap
        /// Session-anchored ``VWAP`` (session start, minutes after 00:00 UTC).
        case vwapSession = "vwap_session"
        /// ``CCI`` (period).
        case cci
        /// ``ROC`` (period).
        case roc
        /// ``Momentum`` (period).
        case mom
        /// ``StandardDeviation`` (period, deviations).
        case stddev
        /// ``ADX`` with +DI and −DI (period).
        case adx
        /// ``Aroon`` (period).
        case aroon
        /// ``MFI`` (period).
        case mfi
        /// ``ParabolicSAR`` (acceleration, maximum).
        case sar
        /// ``KeltnerChannels`` (EMA period, ATR period, multiplier).
        case keltner
        /// ``DonchianChannels`` (period).
        case donchian

        /// Default parameters, in order.
        public var defaults: [Double] {
            switch self {
            case .sma, .ema, .wma, .dema, .tema, .cci, .donchian: return [20]
            case .kama: return [30]
            case .rsi, .atr, .natr, .willr, .adx, .aroon, .mfi: return [14]
            case .roc, .mom: return [10]
            case .macd: return [12, 26, 9]
            case .bbands: return [20, 2, 2]
            case .stoch: return [14, 3, 3]
            case .kdj: return [9, 3, 3]
            case .obv, .vwap: return []
            case .vwapSession: return [0]
            case .stddev: return [20, 1]
            case .sar: return [0.02, 0.2]
            case .keltner: return [20, 10, 2]
            }
        }

        /// Names of the parameters, in order (for error messages and docs).
        public var parameterNames: [String] {
            switch self {
            case .macd: return ["fast", "slow", "signal"]
            case .bbands: return ["period", "deviations_up", "deviations_down"]
            case .stoch: return ["fast_k", "slow_k", "slow_d"]
            case .kdj: return ["period", "k_smoothing", "d_smoothing"]
            case .obv, .vwap: return []
            case .vwapSession: return ["session_start_minutes"]
            case .stddev: return ["period", "deviations"]
            case .sar: return ["acceleration", "maximum"]
            case .keltner: return ["period", "atr_period", "multiplier"]
            default: return ["period"]
            }
        }

        /// Which value topic the outputs go to when a set is split by category.
        public var category: IndicatorCategory {
            switch self {
            case .sma, .ema, .wma, .dema, .tema, .kama, .macd, .adx, .aroon, .sar: return .trend
            case .rsi, .stoch, .kdj, .willr, .cci, .roc, .mom, .mfi: return .momentum
            case .bbands, .atr, .natr, .stddev, .keltner, .donchian: return .volatility
            case .obv, .vwap, .vwapSession: return .volume
            }
        }
    }

    /// The indicator.
    public let kind: Kind
    /// All parameters (defaults filled in).
    public let parameters: [Double]

    /// A spec with explicit parameters (missing trailing ones take the defaults).
    /// - Throws: ``IndicatorError`` when there are too many parameters or one is
    ///   not an integer where an integer is needed.
    public init(_ kind: Kind, _ parameters: [Double] = []) throws(IndicatorError) {
        let defaults = kind.defaults
        guard parameters.count <= defaults.count else {
            throw IndicatorError(code: .parameterOutOfRange,
                                 message: "\(kind.rawValue): takes at most \(defaults.count) parameter(s) "
                                     + "(\(kind.parameterNames.joined(separator: ", "))), got \(parameters.count)",
                                 parameter: kind.rawValue, value: parameters.map { String($0) }.joined(separator: ":"))
        }
        let all = parameters + defaults.dropFirst(parameters.count)
        for (index, value) in all.enumerated() where IndicatorSpec.integerParameter(kind, index) {
            guard value.isFinite, value == value.rounded(), abs(value) < 1e9 else {
                throw IndicatorError(code: .parameterOutOfRange,
                                     message: "\(kind.rawValue): \(kind.parameterNames[index]) must be an integer, got \(value)",
                                     parameter: kind.parameterNames[index], value: String(value))
            }
        }
        self.kind = kind
        self.parameters = all
    }

    /// Parses `name[:p1[:p2…]]`, e.g. `"rsi:14"` or `"macd:12:26:9"`.
    /// - Throws: ``IndicatorError`` naming the text when the name is unknown or a parameter is not a number.
    public init(parsing text: String) throws(IndicatorError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map {
            $0.trimmingWhitespace()
        }
        guard let kind = Kind(rawValue: parts[0].lowercased()) else {
            throw IndicatorError(code: .unknownIndicator,
                                 message: "unknown indicator \"\(parts[0])\" in \"\(text)\"; known: "
                                     + Kind.allCases.map(\.rawValue).joined(separator: ", "),
                                 parameter: "indicator", value: text)
        }
        var numbers: [Double] = []
        for part in parts.dropFirst() {
            guard let number = Double(part), number.isFinite else {
                throw IndicatorError(code: .parameterOutOfRange,
                                     message: "\(kind.rawValue): parameter \"\(part)\" in \"\(text)\" is not a number",
                                     parameter: kind.rawValue, value: text)
            }
            numbers.append(number)
        }
        try self.init(kind, numbers)
    }

    /// The parameters that must be integers (periods).
    private static func integerParameter(_ kind: Kind, _ index: Int) -> Bool {
        switch kind {
        case .sar: return false
        case .bbands, .stddev: return index == 0
        case .keltner: return index < 2
        default: return true
        }
    }

    /// Integer parameter `index`.
    func int(_ index: Int) -> Int { Int(parameters[index]) }

    /// True when every parameter equals its default.
    public var hasDefaultParameters: Bool { parameters == kind.defaults }

    /// `name:p1:p2…` with every parameter, e.g. `"macd:12:26:9"`.
    public var description: String {
        ([kind.rawValue] + parameters.map(IndicatorSpec.format)).joined(separator: ":")
    }

    /// A parameter as written in names: integers without ".0".
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// The names of the outputs, in output order.
    ///
    /// Single-output indicators are named `<kind><period>` (`sma20`, `rsi14`),
    /// multi-output ones `<prefix>_<output>` (`macd`, `macd_signal`,
    /// `macd_hist`; `bb_upper`…; `stoch_slowk`…), the names of
    /// `../shared/data/reference`. Non-default extra parameters are appended
    /// with `_` (`stddev20_2`, `macd_5_35_5_signal`).
    public var outputNames: [String] {
        let p = parameters.map(IndicatorSpec.format)
        func single(_ base: String) -> [String] {
            let extra = hasDefaultParameters || p.count < 2 ? "" : "_" + p.dropFirst().joined(separator: "_")
            return [base + (p.first ?? "") + extra]
        }
        func multi(_ prefix: String, _ outputs: [String], firstPlain: Bool = false) -> [String] {
            let stem = hasDefaultParameters ? prefix : prefix + "_" + p.joined(separator: "_")
            return outputs.enumerated().map { index, output in
                firstPlain && index == 0 ? stem : stem + "_" + output
            }
        }
        switch kind {
        case .sma, .ema, .wma, .dema, .tema, .kama, .rsi, .atr, .natr, .willr, .cci, .roc, .mom, .stddev, .mfi:
            return single(kind.rawValue)
        case .obv, .vwap: return [kind.rawValue]
        case .vwapSession: return [hasDefaultParameters ? "vwap_session" : "vwap_session_" + p[0]]
        case .sar: return [hasDefaultParameters ? "sar" : "sar_" + p.joined(separator: "_")]
        case .macd: return multi("macd", ["line", "signal", "hist"], firstPlain: true)
        case .bbands: return multi("bb", ["upper", "middle", "lower"])
        case .stoch: return multi("stoch", ["slowk", "slowd"])
        case .kdj: return multi("kdj", ["k", "d", "j"])
        case .adx:
            return ["adx" + p[0], "plus_di" + p[0], "minus_di" + p[0]]
        case .aroon: return ["aroon_down" + p[0], "aroon_up" + p[0]]
        case .keltner: return multi("kc", ["upper", "middle", "lower"])
        case .donchian: return hasDefaultParameters ? ["dc_upper", "dc_middle", "dc_lower"]
                                                    : ["dc\(p[0])_upper", "dc\(p[0])_middle", "dc\(p[0])_lower"]
        }
    }

    /// The 15 indicators of `../shared/data/reference` with its parameters:
    /// SMA 20, EMA 20, WMA 20, RSI 14, MACD 12/26/9, BBANDS 20/2/2, ATR 14,
    /// STOCH 14/3/3, WILLR 14, OBV, CCI 20, ROC 10, MOM 10, STDDEV 20, VWAP.
    public static let referenceSet: [IndicatorSpec] = [
        "sma:20", "ema:20", "wma:20", "rsi:14", "macd:12:26:9", "bbands:20:2:2", "atr:14", "stoch:14:3:3",
        "willr:14", "obv", "cci:20", "roc:10", "mom:10", "stddev:20:1", "vwap",
    ].map { text in
        // The texts above are valid by construction.
        guard let spec = try? IndicatorSpec(parsing: text) else { preconditionFailure("invalid built-in spec \(text)") }
        return spec
    }
}

/// The value topic an indicator's outputs go to when a set's outputs are
/// split by category (at most 16 values fit in one message).
public enum IndicatorCategory: String, CaseIterable, Sendable {
    /// Moving averages, MACD, ADX, Aroon, SAR.
    case trend
    /// RSI, stochastics, Williams %R, CCI, ROC, MOM, MFI.
    case momentum
    /// Bands, channels, ATR, standard deviation.
    case volatility
    /// OBV, VWAP.
    case volume
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
