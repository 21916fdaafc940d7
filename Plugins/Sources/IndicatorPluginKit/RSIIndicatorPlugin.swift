// The `rsi` indicator plugin.
import BourseIndicators
import BourseSDK

/// Relative strength index of bars, TA-Lib conventions (Wilder smoothing,
/// simple-mean seed).
///
/// Config: `period` (integer ≥ 2, default 14), `field` (open|high|low|close,
/// default close). Publishes one value named `rsi<period>` per bar after the
/// warm-up of `period` bars. See ``ScalarIndicatorNode`` for details.
public final class RSIIndicatorPlugin: IndicatorPlugin {
    /// "rsi".
    public static let name = "rsi"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Relative strength index of bars (TA-Lib compatible, Wilder smoothing)"

    /// The per-instrument engine.
    public let node: ScalarIndicatorNode<RSI>

    /// Validates the configuration and declares the output field.
    public init(context: PluginContext, config: PluginConfig) throws {
        node = try ScalarIndicatorNode(context: context, config: config, indicator: "rsi", defaultPeriod: 14) {
            try RSI(period: $0)
        }
    }

    /// Updates the RSI of each bar's instrument and publishes the values.
    public func onMessages(_ batch: MessageBatch) throws { try node.process(batch) }
}
