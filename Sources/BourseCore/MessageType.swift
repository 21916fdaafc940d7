import CBourseABI

/// The message types of ABI 1, with the payload size each needs.
public enum MessageType: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// OHLCV bar (`bourse_bar`).
    case bar = 1
    /// Trade print (`bourse_trade`).
    case trade = 2
    /// Top of book (`bourse_quote`).
    case quote = 3
    /// Indicator values (`bourse_values`).
    case values = 4
    /// Signal or prediction (`bourse_signal`).
    case signal = 5
    /// Alert (`bourse_alert`).
    case alert = 6
    /// Raw bytes.
    case bytes = 7

    /// Lower-case name used in output.
    public var description: String {
        switch self {
        case .bar: "bar"
        case .trade: "trade"
        case .quote: "quote"
        case .values: "values"
        case .signal: "signal"
        case .alert: "alert"
        case .bytes: "bytes"
        }
    }

    /// The smallest valid payload for this type, in bytes.
    public var minimumPayloadSize: Int {
        switch self {
        case .bar: MemoryLayout<bourse_bar>.size
        case .trade: MemoryLayout<bourse_trade>.size
        case .quote: MemoryLayout<bourse_quote>.size
        case .values: 8
        case .signal: MemoryLayout<bourse_signal>.size
        case .alert: MemoryLayout<bourse_alert>.size
        case .bytes: 0
        }
    }
}

/// Checks a message header a plugin hands to the host, before it is copied
/// anywhere. Returns nil when valid, else the reason.
public func validateMessageHeader(type: UInt16, payloadLength: UInt32) -> String? {
    guard payloadLength <= BOURSE_MAX_PAYLOAD else {
        return "payload of \(payloadLength) bytes exceeds the maximum of \(BOURSE_MAX_PAYLOAD)"
    }
    if type >= UInt16(BOURSE_MSG_PRIVATE_BASE.rawValue) { return nil }
    guard let known = MessageType(rawValue: type) else {
        return "unknown message type \(type) (types below \(BOURSE_MSG_PRIVATE_BASE.rawValue) are reserved)"
    }
    if Int(payloadLength) < known.minimumPayloadSize {
        return "\(known) payload of \(payloadLength) bytes is shorter than the required \(known.minimumPayloadSize)"
    }
    return nil
}

/// Size in bytes of the fixed message header (ABI 1).
public let messageHeaderSize = MemoryLayout<bourse_message>.size

/// Checks the count of a `values` message against its payload: at most
/// BOURSE_MAX_VALUES and no more than payload_len holds. Nil when valid.
public func validateValuesPayload(_ message: UnsafePointer<bourse_message>) -> String? {
    let length = Int(message.pointee.payload_len)
    let count = Int(UnsafeRawPointer(message + 1).load(as: UInt32.self))
    if count > Int(BOURSE_MAX_VALUES) {
        return "values message with count \(count); at most \(BOURSE_MAX_VALUES)"
    }
    if 8 + 8 * count > length {
        return "values message with count \(count) needs \(8 + 8 * count) payload bytes, has \(length)"
    }
    return nil
}
