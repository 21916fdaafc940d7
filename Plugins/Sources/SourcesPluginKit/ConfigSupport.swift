// Small helpers shared by the source plugins' configuration parsing.
import BourseBarFiles
import BourseCommon
import BourseSDK

/// Runs `body`, prefixing any error with `plugin: ` as a ``PluginError`` with code 2 (bad configuration).
func configuring<T>(_ plugin: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as PluginError {
        throw PluginError(error.message.hasPrefix("\(plugin): ") ? error.message : "\(plugin): \(error.message)", code: 2)
    } catch let error as BarFileError {
        throw PluginError("\(plugin): \(error.description)", code: 2)
    } catch {
        throw PluginError("\(plugin): \(error)", code: 2)
    }
}

/// One of `allowed` at `key` (or `defaultValue`), else a ``PluginError`` listing the choices.
func choice<T: RawRepresentable>(_ config: PluginConfig, _ key: String, _ defaultValue: T,
                                 allowed: [T]) throws -> T where T.RawValue == String {
    guard let text = try config.string(key) else { return defaultValue }
    guard let value = T(rawValue: text), allowed.contains(where: { $0.rawValue == text }) else {
        throw PluginError("config key '\(key)' must be " + allowed.map(\.rawValue).joined(separator: ", ")
            + ", got \"\(text)\"")
    }
    return value
}

/// A duration at `key`: a string such as "5s", "250ms", "1m" (or a number of milliseconds).
func duration(_ config: PluginConfig, _ key: String, default defaultValue: Int64) throws -> Int64 {
    switch config.value(key) {
    case nil, .null?: return defaultValue
    case .number(let ms)?:
        guard ms >= 0, ms.isFinite else { throw PluginError("config key '\(key)' must be ≥ 0 milliseconds, got \(ms)") }
        return Int64(ms * 1_000_000)
    case .string(let text)?:
        do {
            return try IntervalText.nanoseconds(text)
        } catch {
            throw PluginError("config key '\(key)': \(error.message)")
        }
    case let other?:
        throw PluginError("config key '\(key)' must be a duration such as \"5s\", got \(other.typeDescription)")
    }
}

/// A symbol list at `key`: a string or an array of strings (non-empty, no repeats).
func symbolList(_ config: PluginConfig, _ key: String) throws -> [String]? {
    let symbols: [String]
    switch config.value(key) {
    case nil, .null?: return nil
    case .string(let s)?: symbols = [s]
    default: symbols = try config.stringArray(key) ?? []
    }
    guard !symbols.isEmpty, symbols.allSatisfy({ !$0.isEmpty }) else {
        throw PluginError("config key '\(key)' must name at least one symbol")
    }
    guard Set(symbols.map { $0.lowercased() }).count == symbols.count else {
        throw PluginError("config key '\(key)' names a symbol twice: \(symbols.joined(separator: ", "))")
    }
    return symbols
}
