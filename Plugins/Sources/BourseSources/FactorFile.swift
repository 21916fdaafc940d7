// Lean factor files: split and dividend adjustment factors by date.
import BourseBarFiles
import Foundation

/// How Lean prices are adjusted for corporate actions.
public enum LeanAdjustment: String, Sendable, CaseIterable {
    /// Prices as traded (Lean's `Raw`).
    case raw
    /// Split-adjusted: prices × split factor, volume ÷ split factor (Lean's `SplitAdjusted`).
    case split
    /// Split- and dividend-adjusted: prices × split factor × price factor (Lean's `Adjusted`).
    case total
}

/// A Lean factor file (`equity/MARKET/factor_files/SYMBOL.csv`): rows
/// `YYYYMMDD,price_factor,split_factor,reference_price`. A row's factors apply
/// to every date up to and including its date and after the previous row's;
/// dates after the last row use 1 (Lean's convention).
public struct FactorFile: Equatable, Sendable {
    /// One row.
    public struct Row: Equatable, Sendable {
        /// YYYYMMDD.
        public var date: Int
        /// Dividend adjustment factor.
        public var priceFactor: Double
        /// Split adjustment factor.
        public var splitFactor: Double
    }

    /// The rows in date order.
    public let rows: [Row]

    /// Parses a factor file (CRLF and a missing final newline are fine).
    /// - Throws: ``BarFileError`` naming the file and line of a bad row.
    public init(path: String) throws(BarFileError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BarFileError(code: .cannotOpen, message: "cannot read the factor file (needed by adjust: split|total)", file: path)
        }
        let text = String(decoding: data, as: UTF8.self)
        var rows: [Row] = []
        // "\r\n" is one Character in Swift: split on both.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == 3 || f.count == 4, let date = Int(f[0]), f[0].count == 8, let pf = Double(f[1]), let sf = Double(f[2]),
                  pf.isFinite, sf.isFinite, pf > 0, sf > 0 else {
                throw BarFileError(code: .badNumber, message: "factor file row must be YYYYMMDD,price_factor>0,split_factor>0[,reference_price]",
                                   file: path, line: index + 1, input: String(line))
            }
            if let last = rows.last, date <= last.date {
                throw BarFileError(code: .timeNotIncreasing, message: "factor file dates must increase (\(date) after \(last.date))",
                                   file: path, line: index + 1, input: String(line))
            }
            rows.append(Row(date: date, priceFactor: pf, splitFactor: sf))
        }
        self.rows = rows
    }

    /// Creates a factor file from rows (date order).
    public init(rows: [Row]) { self.rows = rows }

    /// The (price, split) factors of a YYYYMMDD date: the first row whose date ≥ `date`.
    public func factors(on date: Int) -> (price: Double, split: Double) {
        var low = 0, high = rows.count
        while low < high {
            let mid = (low + high) / 2
            if rows[mid].date < date { low = mid + 1 } else { high = mid }
        }
        return low < rows.count ? (rows[low].priceFactor, rows[low].splitFactor) : (1, 1)
    }

    /// Multipliers for prices and volume on `date` under `adjustment`.
    public func multipliers(on date: Int, _ adjustment: LeanAdjustment) -> (price: Double, volume: Double) {
        let f = factors(on: date)
        switch adjustment {
        case .raw: return (1, 1)
        case .split: return (f.split, 1 / f.split)
        case .total: return (f.split * f.price, 1 / f.split)
        }
    }
}
