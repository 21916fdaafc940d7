// Bad prints: prices far from every neighbouring price.
import BourseBarFiles
import Foundation

/// What to do with a bar or trade that looks like a bad print.
public enum BadPrintPolicy: String, Sendable, CaseIterable {
    /// Leave it out, log it (file:line and why) and count it (default).
    case skip
    /// Fail with that message.
    case stop
    /// Publish it anyway (no check).
    case keep
}

/// Detects bad prints with one item of look-ahead.
///
/// A price is a bad print when it lies more than `factor` times above or
/// below every reference price it has: the previous accepted close (bars) or
/// price (trades), the next row's open or price, and — for a bar's open,
/// high, low or close — the bar's own open/close (for the open: the close;
/// for the close: the open; for high and low: both). A split or a real gap
/// moves the whole bar and its successors, so the bar's own body and the
/// next bar agree with the new level and nothing is flagged; a lone wrong
/// field (IBM 2002-12-23 open 159.58 in a ~80 market, GOOG 2008-09-30 low
/// 0.01) disagrees with all of them. With factor 1.7 the Lean sample's daily
/// files flag exactly IBM 2002-12-23, GOOG 2007-12-18 and 2008-09-30, AAPL
/// 2009-09-21, 2010-08-31 and 2011-01-03, AIG 2009-05-05 and BTCUSD 2017-04-15,
/// and none of the real split days or crisis gaps.
public struct BadPrintFilter: Sendable {
    /// Prices more than this many times away from every reference are bad (> 1).
    public let factor: Double
    private let limit: Double
    /// The last accepted reference (close or trade price).
    public private(set) var previous: Double?

    /// Creates a filter; `factor` must be > 1.
    public init(factor: Double) {
        self.factor = factor
        limit = log(factor)
    }

    /// Why `row` is a bad print given the row after it (nil at the end), or nil when it is fine.
    /// Call for every row in order; accepted rows become the previous reference.
    public mutating func check(_ row: LeanRow, next: LeanRow?) -> String? {
        let reason: String?
        switch row.payload {
        case .tradeBar(let bar):
            let nextOpen: Double? = { if case .tradeBar(let n)? = next?.payload { return n.open }; return nil }()
            let fields: [(String, Double, [(String, Double)])] = [
                ("open", bar.open, [("the bar's close", bar.close)]),
                ("high", bar.high, [("the bar's open", bar.open), ("the bar's close", bar.close)]),
                ("low", bar.low, [("the bar's open", bar.open), ("the bar's close", bar.close)]),
                ("close", bar.close, [("the bar's open", bar.open)]),
            ]
            var found: String?
            for (name, price, own) in fields {
                var refs = own
                if let previous { refs.append(("the previous close", previous)) }
                if let nextOpen { refs.append(("the next open", nextOpen)) }
                if isSpike(price, refs) {
                    found = "\(name) \(price) is more than \(factor)× away from " + describe(refs)
                    break
                }
            }
            reason = found
            if reason == nil { previous = bar.close }
        case .tradeTick(let trade):
            var refs: [(String, Double)] = []
            if let previous { refs.append(("the previous trade", previous)) }
            if case .tradeTick(let n)? = next?.payload { refs.append(("the next trade", n.price)) }
            reason = isSpike(trade.price, refs)
                ? "trade price \(trade.price) is more than \(factor)× away from " + describe(refs) : nil
            if reason == nil { previous = trade.price }
        case .quoteBar, .quoteTick:
            reason = nil
        }
        return reason
    }

    private func isSpike(_ price: Double, _ refs: [(String, Double)]) -> Bool {
        !refs.isEmpty && refs.allSatisfy { abs(log(price / $0.1)) > limit }
    }

    private func describe(_ refs: [(String, Double)]) -> String {
        refs.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    }
}
