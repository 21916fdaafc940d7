// Prometheus metric names: validity and sanitising.

/// Rules for Prometheus metric names, `[a-zA-Z_:][a-zA-Z0-9_:]*`.
public enum MetricName {
    /// True when `name` is a valid metric name (non-empty, first character
    /// a letter, `_` or `:`, the rest letters, digits, `_` or `:`).
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, isNameStart(first) else { return false }
        return name.utf8.allSatisfy(isNameCharacter)
    }

    /// True when `prefix` can start a metric name: empty, or valid on its own.
    public static func isValidPrefix(_ prefix: String) -> Bool {
        prefix.isEmpty || isValid(prefix)
    }

    /// `text` made into a valid metric name part: every byte outside
    /// `[a-zA-Z0-9_:]` (including each byte of a non-ASCII character)
    /// becomes `_`, and a leading digit gets a `_` in front. An empty text
    /// gives `_`. Used for names built from field names (`ema.20` → `ema_20`).
    public static func sanitised(_ text: String) -> String {
        var bytes = text.utf8.map { isNameCharacter($0) ? $0 : UInt8(ascii: "_") }
        if let first = bytes.first, !isNameStart(first) { bytes.insert(UInt8(ascii: "_"), at: 0) }
        if bytes.isEmpty { bytes = [UInt8(ascii: "_")] }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x3A
    }

    private static func isNameCharacter(_ byte: UInt8) -> Bool {
        isNameStart(byte) || (byte >= 0x30 && byte <= 0x39)
    }
}
