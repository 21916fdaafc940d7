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
    @inlinable public static var capacity: Int { 16 }

    @usableFromInline var storage = SIMD16<Double>()
    @usableFromInline var length: Int = 0

    /// An empty set of values.
    @inlinable public init() {}

    /// Copies `values`; throws ``PluginError`` when there are more than ``capacity``.
    public init(_ values: some Sequence<Double>) throws {
        for value in values {
            try append(value)
        }
    }

    /// Index of the first value (always 0).
    @inlinable public var startIndex: Int { 0 }

    /// One past the index of the last value; equals `count`.
    @inlinable public var endIndex: Int { length }

    /// The value at `position`, which must be in `0..<count`.
    @inlinable public subscript(position: Int) -> Double {
        get {
            precondition(position >= 0 && position < length, "IndicatorValues index out of range")
            return storage[position]
        }
        set {
            precondition(position >= 0 && position < length, "IndicatorValues index out of range")
            storage[position] = newValue
        }
    }

    /// Adds a value at the end; throws ``PluginError`` when already full.
    @inlinable public mutating func append(_ value: Double) throws {
        guard length < IndicatorValues.capacity else {
            throw PluginError("too many indicator values: at most \(IndicatorValues.capacity) fit in one message")
        }
        storage[length] = value
        length += 1
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

    /// Writes the values as `count` consecutive doubles at `destination`.
    @inlinable func write(to destination: UnsafeMutableRawPointer) {
        for index in 0..<length {
            destination.storeBytes(of: storage[index], toByteOffset: index &* 8, as: Double.self)
        }
    }

    /// Creates values from `count` (≤ ``capacity``) consecutive doubles at `source`.
    @inlinable init(rawValues source: UnsafeRawPointer, count: Int) {
        for index in 0..<count {
            storage[index] = source.loadUnaligned(fromByteOffset: index &* 8, as: Double.self)
        }
        length = count
    }
}
