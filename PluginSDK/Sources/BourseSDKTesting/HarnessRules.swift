// The host's rules the harness enforces: names, versions and message layout.

internal import CBourseABI

/// Checks the harness applies so that plugin mistakes show up in unit tests.
enum HarnessRules {
    /// Plugin names: 1...64 bytes of `[a-z0-9-]`.
    static func isValidPluginName(_ name: String) -> Bool {
        let utf8 = name.utf8
        return (1...64).contains(utf8.count)
            && utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// Counter names: 1...64 bytes, any characters.
    static func isValidCounterName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
    }

    /// Field names: 1...63 bytes of `[A-Za-z0-9_.-]`.
    static func isValidFieldName(_ name: String) -> Bool {
        let utf8 = name.utf8
        return (1...63).contains(utf8.count) && utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x5F || byte == 0x2E || byte == 0x2D
        }
    }

    /// Instrument symbols: 1...64 bytes, no byte ≤ 0x20 (space, control) and no 0x7F.
    static func isValidSymbol(_ symbol: String) -> Bool {
        let utf8 = symbol.utf8
        return (1...64).contains(utf8.count) && utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F }
    }

    /// Topic names as `bourse_topic_is_valid(name, 0)` defines them.
    static func isValidTopic(_ name: String) -> Bool {
        !name.utf8.contains(0) && name.withCString { bourse_topic_is_valid($0, 0) } == 1
    }

    /// Semantic versions 2.0.0: MAJOR.MINOR.PATCH[-pre.release][+build.meta].
    static func isValidSemver(_ version: String) -> Bool {
        var core = Substring(version)
        var build: Substring?
        if let plus = core.firstIndex(of: "+") {
            build = core[core.index(after: plus)...]
            core = core[..<plus]
        }
        var prerelease: Substring?
        if let dash = core.firstIndex(of: "-") {
            prerelease = core[core.index(after: dash)...]
            core = core[..<dash]
        }
        let numbers = core.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3, numbers.allSatisfy(isNumericIdentifier) else { return false }
        if let prerelease {
            let parts = prerelease.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.allSatisfy({ isIdentifier($0) && (!$0.allSatisfy(\.isASCIIDigit) || isNumericIdentifier($0)) })
            else { return false }
        }
        if let build {
            guard build.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isIdentifier) else { return false }
        }
        return true
    }

    private static func isNumericIdentifier(_ part: Substring) -> Bool {
        !part.isEmpty && part.allSatisfy(\.isASCIIDigit) && (part == "0" || part.first != "0")
    }

    private static func isIdentifier(_ part: Substring) -> Bool {
        !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    /// Why this payload is wrong, or nil when it is acceptable: the host's
    /// checks (known type, minimum length, values count within 16 and within
    /// the payload) plus one readers rely on (alert reason NUL-terminated).
    /// The wording follows the host's.
    static func payloadProblem(type: UInt16, payload: UnsafeRawBufferPointer) -> String? {
        let length = payload.count
        func minimum(_ required: Int, _ name: String) -> String? {
            length >= required ? nil : "\(name) payload of \(length) bytes is shorter than the required \(required)"
        }
        switch type {
        case UInt16(BOURSE_MSG_BAR.rawValue):
            return minimum(MemoryLayout<bourse_bar>.size, "bar")
        case UInt16(BOURSE_MSG_TRADE.rawValue):
            return minimum(MemoryLayout<bourse_trade>.size, "trade")
        case UInt16(BOURSE_MSG_QUOTE.rawValue):
            return minimum(MemoryLayout<bourse_quote>.size, "quote")
        case UInt16(BOURSE_MSG_VALUES.rawValue):
            if let problem = minimum(8, "values") { return problem }
            let count = Int(payload.loadUnaligned(as: UInt32.self))
            guard count <= Int(BOURSE_MAX_VALUES) else {
                return "values message with count \(count); at most \(BOURSE_MAX_VALUES)"
            }
            guard 8 + 8 * count <= length else {
                return "values message with count \(count) needs \(8 + 8 * count) payload bytes, has \(length)"
            }
            return nil
        case UInt16(BOURSE_MSG_SIGNAL.rawValue):
            return minimum(MemoryLayout<bourse_signal>.size, "signal")
        case UInt16(BOURSE_MSG_ALERT.rawValue):
            if let problem = minimum(MemoryLayout<bourse_alert>.size, "alert") { return problem }
            let offset = MemoryLayout<bourse_alert>.offset(of: \bourse_alert.reason)!
            let reason = UnsafeRawBufferPointer(rebasing: payload[offset..<(offset + Int(BOURSE_ALERT_REASON_CAPACITY))])
            return reason.contains(0) ? nil : "alert reason is not NUL-terminated"
        case UInt16(BOURSE_MSG_BYTES.rawValue):
            return nil
        case ..<UInt16(BOURSE_MSG_PRIVATE_BASE.rawValue):
            return "unknown message type \(type) (types below 32768 are reserved)"
        default:
            return nil
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
