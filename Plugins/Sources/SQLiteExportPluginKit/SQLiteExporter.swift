// The `sqlite` exporter plugin: messages → rows of an SQLite database (WAL, batched transactions).
import BourseCommon
import BourseSDK
import BourseSQLite
import CSVExportPluginKit
#if canImport(Glibc)
import Glibc
#endif

/// Writes every message it receives as a row of an SQLite database.
///
/// Config keys (unknown keys are rejected):
/// - `path` (required) — the database file; its directory is created if
///   missing; an existing database is opened and appended to;
/// - `tables` — `per-type` (default: tables `bars`, `trades`, `quotes`,
///   `indicator_values`, `signals`, `alerts`, `bytes`, `other`) or `per-topic` (one
///   table per topic, named after it with every character outside
///   `[A-Za-z0-9_]` replaced by `_`);
/// - `table_prefix` — prepended to every table name (default "");
/// - `synchronous` — `normal` (default: a commit survives a crash of the
///   process, the last ones may be lost on power failure), `full` or `off`;
/// - `exclusive` — `true` (default) holds the database's lock for the whole
///   run (`PRAGMA locking_mode=EXCLUSIVE`): no other process can read it while
///   the graph runs, and SQLite keeps the WAL index in heap memory instead of
///   a shared `-shm` file; `false` lets readers in during the run.
///
/// Columns: `time_ns` (INTEGER, event time in ns since the epoch), `time`
/// (ISO-8601 UTC text), `topic`, `instrument` (TEXT, NULL when none), then
/// the payload's fields as in `csv-export` — bar: `open high low close
/// volume`; values: the names declared for the topic (`v0`, `v1`… when none);
/// trade, quote, signal, alert: their fields — REAL for numbers (NaN is
/// stored as NULL), INTEGER for codes, TEXT for text. A table gets the
/// columns of the first rows written to it; rows with new fields (a values
/// topic with other names sharing the `indicator_values` table, a restart after a
/// graph change) add columns with `ALTER TABLE … ADD COLUMN`; nothing is ever
/// dropped. A column that exists with another type is a schema conflict
/// (an error naming table, column and types).
///
/// Every delivered batch is written in one transaction with prepared
/// statements; the journal is WAL. Counters: `rows_written`,
/// `transactions`, `tables_created`, `columns_added`.
public final class SQLiteExporter: ExporterPlugin {
    /// "sqlite".
    public static let name = "sqlite"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Writes messages to an SQLite database (WAL, one transaction per batch), appending across runs"
    /// Writes the database and its WAL; the graph node grants where (`allow: [write-paths:DIR]`).
    public static let permissions: [Permission] = [.writePaths([])]

    /// How messages are spread over tables.
    public enum TableLayout: String, Sendable {
        /// One table per payload type.
        case perType = "per-type"
        /// One table per topic.
        case perTopic = "per-topic"
    }

    /// The database path, made absolute.
    public let path: String
    /// The table layout.
    public let layout: TableLayout
    /// Prefix of every table name.
    public let tablePrefix: String
    private let synchronous: String
    private let exclusive: Bool
    private let context: PluginContext
    private var connection: SQLiteConnection?
    private var tables: SQLiteTables?
    /// Per topic id: topic name, declared value names, and per row shape its table and statement.
    private var topics: [UInt32: TopicState] = [:]
    private let rowsWritten: Counter
    private let transactions: Counter
    private let tablesCreated: Counter
    private let columnsAdded: Counter
    private var totalRows = 0
    private var tableNames = Set<String>()

    /// A topic's name, value names and the insert statements of the row shapes seen on it.
    private final class TopicState {
        let name: String
        let valueNames: [String]
        var inserts: [String: SQLiteStatement] = [:]
        init(name: String, valueNames: [String]) {
            self.name = name
            self.valueNames = valueNames
        }
    }

    /// The four columns every table starts with.
    static let leadingColumns = [
        SQLiteColumn("time_ns", .integer, notNull: true), SQLiteColumn("time", .text),
        SQLiteColumn("topic", .text), SQLiteColumn("instrument", .text),
    ]

    /// Validates the configuration; the database is opened in ``start()``.
    public init(context: PluginContext, config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: ["path", "tables", "table_prefix", "synchronous", "exclusive"])
        let path = try config.requiredString("path")
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw PluginError("sqlite: config key 'path' must name a database file, got \"\(path)\"", code: 2)
        }
        let layoutText = try config.string("tables", default: TableLayout.perType.rawValue)
        guard let layout = TableLayout(rawValue: layoutText) else {
            throw PluginError("sqlite: config key 'tables' must be per-type or per-topic, got \"\(layoutText)\"", code: 2)
        }
        tablePrefix = try config.string("table_prefix", default: "")
        guard tablePrefix.utf8.allSatisfy(isTableNameByte) else {
            throw PluginError("sqlite: config key 'table_prefix' may hold only letters, digits and '_', got \"\(tablePrefix)\"", code: 2)
        }
        synchronous = try config.string("synchronous", default: "normal")
        guard ["off", "normal", "full"].contains(synchronous) else {
            throw PluginError("sqlite: config key 'synchronous' must be off, normal or full, got \"\(synchronous)\"", code: 2)
        }
        exclusive = try config.bool("exclusive", default: true)
        self.layout = layout
        // Relative paths are resolved now: a sandboxed worker may not call
        // getcwd once it serves messages (SQLite would to open a relative path).
        self.path = SQLiteExporter.absolute(path)
        self.context = context
        rowsWritten = context.counter("rows_written")
        transactions = context.counter("transactions")
        tablesCreated = context.counter("tables_created")
        columnsAdded = context.counter("columns_added")
        // Seed SQLite's random generator (WAL salts) now, while /dev/urandom may be read.
        SQLiteConnection.seedRandomness()
    }

    /// Creates the directory, opens (or creates) the database, sets WAL.
    public func start() throws {
        do {
            if let failure = Directories.createParents(of: path) {
                throw SQLiteError("cannot create directory \(failure.directory) for the database: \(failure.reason)")
            }
            let connection = try SQLiteConnection(path: path)
            if exclusive { try connection.execute("PRAGMA locking_mode=EXCLUSIVE") }
            let mode = try connection.scalarText("PRAGMA journal_mode=WAL")
            guard mode?.lowercased() == "wal" else {
                throw SQLiteError("cannot use a write-ahead log for \(path): journal mode stays \(mode ?? "unknown")")
            }
            try connection.execute("PRAGMA synchronous=\(synchronous.uppercased()); PRAGMA temp_store=MEMORY")
            self.connection = connection
            tables = SQLiteTables(connection: connection)
        } catch let error as SQLiteError {
            throw PluginError("sqlite: \(error.message)", code: 10)
        }
    }

    /// Writes the batch in one transaction; rolls it back on any error.
    public func onMessages(_ batch: MessageBatch) throws {
        guard let connection, let tables else { throw PluginError("sqlite: messages before start", code: 1) }
        var count = 0
        do {
            try connection.execute("BEGIN IMMEDIATE")
            for message in batch {
                try insert(message, tables: tables, connection: connection)
                count += 1
            }
            try connection.execute("COMMIT")
        } catch {
            if connection.inTransaction { try? connection.execute("ROLLBACK") }
            if let error = error as? SQLiteError { throw PluginError("sqlite: \(error.message)", code: 11) }
            throw error
        }
        totalRows += count
        rowsWritten.add(Int64(count))
        transactions.add()
    }

    private func insert(_ message: Message, tables: SQLiteTables, connection: SQLiteConnection) throws {
        let topic = topicState(message.topic)
        let record = ExportRecord(message: message, topicName: topic.name, symbol: context.symbol(of: message.instrument),
                                  valueNames: topic.valueNames)
        let table = tablePrefix + (layout == .perType ? SQLiteExporter.typeTable(record.type) : SQLiteExporter.sanitized(topic.name))
        let payloadColumns = record.columns.dropFirst(3)
        let shape = table + "\u{1}" + payloadColumns.joined(separator: "\u{1}")
        let statement: SQLiteStatement
        if let cached = topic.inserts[shape] {
            statement = cached
        } else {
            var columns = SQLiteExporter.leadingColumns
            for (offset, name) in payloadColumns.enumerated() {
                columns.append(SQLiteColumn(name, SQLiteExporter.columnType(record.cells[3 + offset])))
            }
            let change = try tables.ensure(table, columns: columns, indexColumns: ["instrument", "time_ns"])
            if change.created {
                tablesCreated.add()
                context.log(.info, "sqlite: created table \(table) in \(path)")
            }
            if !change.addedColumns.isEmpty {
                columnsAdded.add(Int64(change.addedColumns.count))
                context.log(.info, "sqlite: added column(s) \(change.addedColumns.joined(separator: ", ")) to table \(table)")
            }
            tableNames.insert(table)
            let names = columns.map { sqlIdentifier($0.name) }.joined(separator: ", ")
            let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
            statement = try connection.prepare("INSERT INTO \(sqlIdentifier(table)) (\(names)) VALUES (\(marks))")
            topic.inserts[shape] = statement
        }
        try statement.bind(.integer(message.eventTime), at: 1)
        for (offset, cell) in record.cells.enumerated() {
            try statement.bind(SQLiteExporter.value(cell), at: Int32(offset + 2))
        }
        try statement.run()
    }

    private func topicState(_ topic: Topic) -> TopicState {
        if let known = topics[topic.id] { return known }
        let state = TopicState(name: context.name(of: topic) ?? "topic-\(topic.id)", valueNames: context.fields(of: topic))
        topics[topic.id] = state
        return state
    }

    /// Checkpoints the WAL into the database and closes it.
    public func stop() throws {
        guard let connection else { return }
        topics.removeAll()
        tables = nil
        do {
            try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            try connection.close()
        } catch let error as SQLiteError {
            throw PluginError("sqlite: \(error.message)", code: 11)
        }
        self.connection = nil
        context.log(.info, "sqlite: \(totalRows) row(s) written to \(path) (tables: \(tableNames.sorted().joined(separator: ", ")))")
    }

    // MARK: Names and types

    /// The table of a payload type in the per-type layout.
    static func typeTable(_ type: String) -> String {
        switch type {
        case "bar", "trade", "quote", "signal", "alert": return type + "s"
        case "values": return "indicator_values"  // `values` is an SQL keyword: it would need quoting in every query
        default: return type
        }
    }

    /// A topic name as a table name: characters outside `[A-Za-z0-9_]` become `_`.
    static func sanitized(_ topic: String) -> String {
        String(decoding: topic.utf8.map { isTableNameByte($0) ? $0 : UInt8(ascii: "_") }, as: UTF8.self)
    }

    static func columnType(_ cell: ExportCell) -> SQLiteColumnType {
        switch cell {
        case .number: return .real
        case .integer: return .integer
        case .text, .missing: return .text
        }
    }

    static func value(_ cell: ExportCell) -> SQLiteValue {
        switch cell {
        case .number(let d): return d.isNaN ? .null : .real(d)
        case .integer(let i): return .integer(i)
        case .text(let s): return .text(s)
        case .missing: return .null
        }
    }

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let directory = String(cString: buffer)
        return (directory == "/" ? "" : directory) + "/" + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
    }
}

/// Letters, digits and `_`.
private func isTableNameByte(_ byte: UInt8) -> Bool {
    (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
}
