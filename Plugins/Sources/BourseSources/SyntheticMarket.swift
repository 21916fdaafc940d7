// Seeded synthetic prices: geometric Brownian motion with GARCH(1,1) volatility clustering.
import BourseModels
import Foundation

extension SeededGenerator {
    /// Uniform in (0, 1), from the top 53 bits.
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }

    /// Standard normal (Box–Muller; first uniform → radius, second → angle).
    mutating func normal() -> Double {
        let radius = (-2 * log(uniform())).squareRoot()
        return radius * cos(2 * Double.pi * uniform())
    }
}

/// GARCH(1,1) parameters of the per-step log-return variance:
/// `variance ← omega + alpha·variance·shock² + beta·variance`.
public struct GARCHParameters: Equatable, Sendable {
    /// Long-run floor (> 0).
    public var omega: Double
    /// Reaction to the last shock (≥ 0).
    public var alpha: Double
    /// Persistence (≥ 0); alpha + beta < 1 keeps the variance stationary.
    public var beta: Double
    /// Variance at the first step (> 0).
    public var initialVariance: Double

    /// The recipe of `bourse bench plugin` and `indicator-bench`: 2e-8, 0.05, 0.93, start 1e-6.
    public static let standard = GARCHParameters(omega: 2e-8, alpha: 0.05, beta: 0.93, initialVariance: 1e-6)

    /// Creates parameters.
    public init(omega: Double, alpha: Double, beta: Double, initialVariance: Double) {
        (self.omega, self.alpha, self.beta, self.initialVariance) = (omega, alpha, beta, initialVariance)
    }

    /// Why the parameters are unusable, or nil.
    public var problem: String? {
        if !(omega > 0) || !omega.isFinite { return "omega must be > 0, got \(omega)" }
        if !(alpha >= 0) || !(beta >= 0) { return "alpha and beta must be ≥ 0, got \(alpha) and \(beta)" }
        if !(alpha + beta < 1) { return "alpha + beta must be < 1 (stationary variance), got \(alpha + beta)" }
        if !(initialVariance > 0) || !initialVariance.isFinite { return "initial variance must be > 0" }
        return nil
    }
}

/// One synthetic instrument's price path: the one generator behind the
/// `synthetic` source and the benchmarks' bars.
///
/// Each step draws a normal shock, updates the GARCH variance, and moves the
/// price by `exp(√variance·shock − variance/2)`. ``nextBar()`` uses the step as
/// one bar: open = previous close, high/low = max/min(open, close) ± a
/// half-normal spread of one standard deviation, volume 100…10,099. With seed
/// 42 and ``GARCHParameters/standard`` it yields exactly the bars of `bourse
/// bench plugin` and `indicator-bench`.
public struct SyntheticPath: Sendable {
    /// The current price (the last close).
    public private(set) var price: Double
    /// The current per-step variance.
    public private(set) var variance: Double
    private let parameters: GARCHParameters
    private var random: SeededGenerator

    /// A path starting at `price`.
    public init(seed: UInt64, price: Double = 100, parameters: GARCHParameters = .standard) {
        self.price = price
        variance = parameters.initialVariance
        self.parameters = parameters
        random = SeededGenerator(seed: seed)
    }

    /// Advances one step and returns the shock applied.
    private mutating func step() -> Double {
        let shock = random.normal()
        variance = parameters.omega + parameters.alpha * variance * shock * shock + parameters.beta * variance
        price *= exp(variance.squareRoot() * shock - variance / 2)
        return shock
    }

    /// The next bar (open, high, low, close, volume).
    public mutating func nextBar() -> (open: Double, high: Double, low: Double, close: Double, volume: Double) {
        let open = price
        _ = step()
        let spread = abs(random.normal()) * variance.squareRoot() * price
        let volume = Double(100 + random.next() % 10_000)
        return (open, max(open, price) + spread, min(open, price) - spread, price, volume)
    }

    /// The next trade: the new price, size 1…1,000.
    public mutating func nextTrade() -> (price: Double, size: Double) {
        _ = step()
        return (price, Double(1 + random.next() % 1_000))
    }

    /// The next quote around the new price: half-spread = ½ standard deviation (at least 1e-4 of the price), sizes 1…1,000.
    public mutating func nextQuote() -> (bid: Double, bidSize: Double, ask: Double, askSize: Double) {
        _ = step()
        let half = max(variance.squareRoot() * price / 2, price * 1e-4)
        return (price - half, Double(1 + random.next() % 1_000), price + half, Double(1 + random.next() % 1_000))
    }
}
