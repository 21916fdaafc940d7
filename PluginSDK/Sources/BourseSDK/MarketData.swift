// Payload types for market data: bars, trades and quotes.

/// An OHLCV bar (`bourse_bar`, message type 1).
public struct Bar: Equatable, Sendable {
    /// First traded price of the interval.
    public var open: Double
    /// Highest traded price of the interval.
    public var high: Double
    /// Lowest traded price of the interval.
    public var low: Double
    /// Last traded price of the interval.
    public var close: Double
    /// Traded volume of the interval.
    public var volume: Double
    /// Length of the bar in nanoseconds (86_400_000_000_000 for daily); 0 if unknown.
    public var intervalNanoseconds: Int64

    /// Creates a bar.
    @inlinable
    public init(open: Double, high: Double, low: Double, close: Double, volume: Double,
                intervalNanoseconds: Int64 = 0) {
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.intervalNanoseconds = intervalNanoseconds
    }
}

/// A trade print (`bourse_trade`, message type 2).
public struct Trade: Equatable, Sendable {
    /// Aggressor side of a trade (`bourse_side`).
    public enum Side: Int32, Sendable, CaseIterable {
        /// Not known. Unrecognised wire values also decode as `unknown`.
        case unknown = 0
        /// The buyer took liquidity.
        case buy = 1
        /// The seller took liquidity.
        case sell = 2
    }

    /// Trade price.
    public var price: Double
    /// Traded quantity.
    public var size: Double
    /// Aggressor side.
    public var side: Side
    /// Venue code as the source defines it; 0 = unknown.
    public var exchange: UInt32

    /// Creates a trade.
    @inlinable
    public init(price: Double, size: Double, side: Side = .unknown, exchange: UInt32 = 0) {
        self.price = price
        self.size = size
        self.side = side
        self.exchange = exchange
    }
}

/// Top of book (`bourse_quote`, message type 3). A side with no price has
/// price NaN and size 0.
public struct Quote: Equatable, Sendable {
    /// Best bid price, or NaN.
    public var bidPrice: Double
    /// Quantity at the best bid.
    public var bidSize: Double
    /// Best ask price, or NaN.
    public var askPrice: Double
    /// Quantity at the best ask.
    public var askSize: Double

    /// Creates a quote.
    @inlinable
    public init(bidPrice: Double, bidSize: Double, askPrice: Double, askSize: Double) {
        self.bidPrice = bidPrice
        self.bidSize = bidSize
        self.askPrice = askPrice
        self.askSize = askSize
    }
}
