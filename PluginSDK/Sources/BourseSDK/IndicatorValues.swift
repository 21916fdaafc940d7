// Up to 16 indicator outputs stored inline, without heap allocation.

/// The outputs of an indicator (`bourse_values`, message type 4): up to
/// ``capacity`` doubles, stored inline so that making and publishing them
/// never allocates.
///
/// The names of the values are the fields the publisher declared for the
/// topic (``PluginContext/declareFields(_:for:)``), in order. A value that is
/// not defined yet is NaN.
///
/// ```swift
/// var values = IndicatorValues()
/// try values.append(sma)
/// try values.append(.nan)
/// ```
public struct IndicatorValues: RandomAccessCollection, MutableCollection, Equatable, Sendable,
    CustomStringConvertible
{
    /// Most values one message carries (`BOURSE_MAX_VALUES`).
    public static let capacity = 16

    typealias Storage = (
        Double, Double, Double, Double, Double, Double, Double, Double,
        Double, Double, Double, Double, Double, Double, Double, Double
    )

    var storage: Storage = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var length: Int = 0

    /// An empty set of values.
    public init() {}

    /// Copies `values`; throws ``PluginError`` when there are more than ``capacity``.
    public init(_ values: some Sequence<Double>) throws {
        for value in values {
            try append(value)
        }
    }

    /// Index of the first value (always 0).
    public var startIndex: Int { 0 }

    /// One past the index of the last value; equals `count`.
    public var endIndex: Int { length }

    /// The value at `position`, which must be in `0..<count`.
    public subscript(position: Int) -> Double {
        get {
            precondition(position >= 0 && position < length, "IndicatorValues index out of range")
            return withUnsafeBytes(of: storage) { $0.load(fromByteOffset: position &* 8, as: Double.self) }
        }
        set {
            precondition(position >= 0 && position < length, "IndicatorValues index out of range")
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: position &* 8, as: Double.self) }
        }
    }

    /// Adds a value at the end; throws ``PluginError`` when already full.
    public mutating func append(_ value: Double) throws {
        guard length < IndicatorValues.capacity else {
            throw PluginError("too many indicator values: at most \(IndicatorValues.capacity) fit in one message")
        }
        length += 1
        self[length - 1] = value
    }

    /// Removes all values.
    public mutating func removeAll() {
        length = 0
    }

    /// Equal when both hold the same number of values and the values compare equal
    /// (IEEE semantics: NaN is not equal to NaN).
    public static func == (lhs: IndicatorValues, rhs: IndicatorValues) -> Bool {
        lhs.length == rhs.length && lhs.elementsEqual(rhs)
    }

    /// The values, like an array: "[1.0, 2.0]".
    public var description: String {
        "[" + map { "\($0)" }.joined(separator: ", ") + "]"
    }

    /// Calls `body` with the raw bytes of the stored values (8 × count bytes).
    func withValueBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<(length * 8)])) }
    }

    /// Creates values from raw little-endian-in-memory doubles; `count` must be ≤ ``capacity``.
    init(rawValues: UnsafeRawPointer, count: Int) {
        length = count
        withUnsafeMutableBytes(of: &storage) { $0.baseAddress!.copyMemory(from: rawValues, byteCount: count * 8) }
    }
}
