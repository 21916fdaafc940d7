// The `ema` indicator plugin.
import BourseIndicators
import BourseSDK

/// Exponential moving average of bars, TA-Lib conventions (SMA seed).
///
/// Config: `period` (integer ≥ 2, default 20), `field` (open|high|low|close,
/// default close). Publishes one value named `ema<period>` per bar after the
/// warm-up of `period - 1` bars. See ``ScalarIndicatorNode`` for details.
public final class EMAIndicatorPlugin: IndicatorPlugin {
    /// "ema".
    public static let name = "ema"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Exponential moving average of bars (TA-Lib compatible, SMA seed)"

    /// The per-instrument engine.
    public let node: ScalarIndicatorNode<EMA>

    /// Validates the configuration and declares the output field.
    public init(context: PluginContext, config: PluginConfig) throws {
        node = try ScalarIndicatorNode(context: context, config: config, indicator: "ema", defaultPeriod: 20) {
            try EMA(period: $0)
        }
    }

    /// Updates the EMA of each bar's instrument and publishes the values.
    public func onMessages(_ batch: MessageBatch) throws { try node.process(batch) }
}
