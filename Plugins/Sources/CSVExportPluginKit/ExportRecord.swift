// One message flattened into named cells (the columns of the text codecs), for exporters that store columns.
import BourseCodecs
import BourseCommon
import BourseSDK

/// A cell of an exported row (the codecs' ``CodecCell``).
public typealias ExportCell = CodecCell

/// A message as an ordered list of named cells: `time` (ISO-8601 UTC),
/// `topic`, `instrument`, then the payload's columns as the CSV and
/// JSON-lines codecs write them (``MessageCells``).
public struct ExportRecord {
    /// The payload type: bar, trade, quote, values, signal, alert, bytes or other.
    public var type: String
    /// Column names, in order.
    public var columns: [String]
    /// Cells, one per column.
    public var cells: [ExportCell]

    /// Flattens a message. `valueNames` are the fields declared for the
    /// message's topic (used for ``Payload/values(_:)``; missing names become `v<i>`).
    public init(message: Message, topicName: String, symbol: String?, valueNames: [String]) {
        let payload = MessageCells(CodecMessage(message, topicName: topicName, symbol: symbol, fieldNames: valueNames),
                                   intervalColumn: false)
        type = payload.kind.rawValue
        columns = ["time", "topic", "instrument"] + payload.columns
        cells = [.text(UTCTimestamp.iso8601(message.eventTime)), .text(topicName), symbol.map(ExportCell.text) ?? .missing]
            + payload.cells
    }
}
