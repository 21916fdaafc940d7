// Reading named inputs from bars and from indicator values.
import BourseSDK

/// Reads named numbers from incoming messages: `open`, `high`, `low`,
/// `close`, `volume` from bars, and the declared field names from
/// ``Payload/values(_:)`` messages (indices cached per topic).
public struct InputFields {
    /// The names to read, in order.
    public let names: [String]
    private let context: PluginContext
    private var indices: [Topic: [Int]?] = [:]

    /// A reader of `names` (non-empty).
    public init(names: [String], context: PluginContext) {
        self.names = names
        self.context = context
    }

    /// The named numbers of `message`, or nil when the message does not carry all of them
    /// (other payload types, values topics without those fields).
    public mutating func read(_ message: Message) -> [Double]? {
        switch message.payload {
        case .bar(let bar):
            var result: [Double] = []
            result.reserveCapacity(names.count)
            for name in names {
                switch name {
                case "open": result.append(bar.open)
                case "high": result.append(bar.high)
                case "low": result.append(bar.low)
                case "close": result.append(bar.close)
                case "volume": result.append(bar.volume)
                default: return nil
                }
            }
            return result
        case .values(let values):
            let positions: [Int]?
            if let cached = indices[message.topic] {
                positions = cached
            } else {
                let declared = context.fields(of: message.topic)
                var found: [Int]? = []
                for name in names {
                    guard let index = declared.firstIndex(of: name) else { found = nil; break }
                    found?.append(index)
                }
                indices[message.topic] = found
                positions = found
            }
            guard let positions else { return nil }
            var result: [Double] = []
            for position in positions {
                guard position < values.count else { return nil }
                result.append(values[position])
            }
            return result
        default:
            return nil
        }
    }
}
