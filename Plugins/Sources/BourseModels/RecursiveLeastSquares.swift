// Online ridge regression by recursive least squares.

/// Online linear regression y ≈ w·x + b, updated one observation at a time
/// by recursive least squares. Starting from P = I/ridge makes it ridge
/// regression (the prior pulls weights towards 0); a forgetting factor
/// below 1 lets it track drifting relations. O(d²) per update.
public struct RecursiveLeastSquares: Equatable, Sendable {
    /// Number of input features (without the intercept).
    public let featureCount: Int
    /// Forgetting factor in (0, 1]; 1 never forgets.
    public let forgetting: Double
    /// Weights, the intercept last.
    public private(set) var weights: [Double]
    /// The inverse-covariance estimate, row-major (d+1)².
    private var inverseCovariance: [Double]
    /// Observations learned.
    public private(set) var observations = 0

    /// A model with all weights 0; `ridge` > 0 is the L2 penalty, `forgetting` in (0, 1].
    public init(featureCount: Int, ridge: Double = 1.0, forgetting: Double = 1.0) {
        self.featureCount = featureCount
        self.forgetting = forgetting
        let d = featureCount + 1
        weights = [Double](repeating: 0, count: d)
        inverseCovariance = [Double](repeating: 0, count: d * d)
        for i in 0..<d { inverseCovariance[i * d + i] = 1 / ridge }
    }

    /// The prediction for `features` (count must be ``featureCount``).
    public func predict(_ features: [Double]) -> Double {
        var sum = weights[featureCount]
        for i in 0..<featureCount { sum += weights[i] * features[i] }
        return sum
    }

    /// Learns that `features` led to `target`; returns the prediction error before learning.
    @discardableResult
    public mutating func update(features: [Double], target: Double) -> Double {
        let d = featureCount + 1
        var x = features
        x.append(1)
        // Px and x'Px.
        var px = [Double](repeating: 0, count: d)
        for i in 0..<d {
            var sum = 0.0
            for j in 0..<d { sum += inverseCovariance[i * d + j] * x[j] }
            px[i] = sum
        }
        var denominator = forgetting
        for i in 0..<d { denominator += x[i] * px[i] }
        let error = target - predict(features)
        // Gain k = Px / (λ + x'Px); w += k e; P = (P − k (Px)') / λ.
        for i in 0..<d {
            let gain = px[i] / denominator
            weights[i] += gain * error
        }
        for i in 0..<d {
            for j in 0..<d {
                inverseCovariance[i * d + j] = (inverseCovariance[i * d + j] - px[i] * px[j] / denominator) / forgetting
            }
        }
        observations += 1
        return error
    }
}
