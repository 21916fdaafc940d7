#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CSQLite

/// One open SQLite database file: prepared statements, transactions, and
/// errors carrying `sqlite3_errmsg` as `BourseError`s naming the file.
public final class SQLiteDatabase {
    /// The database file.
    public let path: String
    private var handle: OpaquePointer?

    /// Opens (creating if needed) the database at `path`, with a busy timeout
    /// so concurrent readers wait instead of failing.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw BourseError(.stateDatabase, "cannot open state database: \(message)", input: path)
        }
        handle = db
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        bourse_sqlite_no_checkpoint_on_close(db)
    }

    deinit { sqlite3_close_v2(handle) }

    /// The last error reported by SQLite, as a `BourseError` naming `context` and the file.
    func error(_ context: String) -> BourseError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "database closed"
        return BourseError(.stateDatabase, "\(context): \(message)", input: path)
    }

    /// Runs one or more statements without parameters or results.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &message) != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw BourseError(.stateDatabase, "SQL failed: \(text) in `\(sql.prefix(80))`", input: path)
        }
    }

    /// Prepares `sql` and binds `parameters` (1-based, in order).
    public func prepare(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw error("cannot prepare `\(sql.prefix(80))`")
        }
        let prepared = SQLiteStatement(database: self, statement: statement)
        try prepared.bind(parameters)
        return prepared
    }

    /// Runs a statement that returns no rows; returns the number of rows changed.
    @discardableResult
    public func run(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> Int {
        let statement = try prepare(sql, parameters)
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// All rows of a query.
    public func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> [SQLiteRow] {
        let statement = try prepare(sql, parameters)
        var rows: [SQLiteRow] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// The rowid of the last inserted row.
    public var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; rolls back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// `PRAGMA user_version`.
    public var userVersion: Int {
        get throws { try query("PRAGMA user_version").first?.int(0) ?? 0 }
    }

    /// The version of the SQLite library.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    fileprivate var rawHandle: OpaquePointer? { handle }
}

/// A value bound to a statement parameter or read from a column.
public enum SQLiteValue: Sendable, Equatable {
    /// NULL.
    case null
    /// A 64-bit integer.
    case integer(Int64)
    /// A double.
    case real(Double)
    /// UTF-8 text.
    case text(String)
    /// Bytes.
    case blob([UInt8])
}

extension SQLiteValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    /// A text value.
    public init(stringLiteral value: String) { self = .text(value) }
    /// An integer value.
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

/// Conversions to `SQLiteValue` for binding.
public extension SQLiteValue {
    /// Text, or NULL when nil.
    static func optionalText(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
    /// An `Int` as an integer.
    static func int(_ value: Int) -> SQLiteValue { .integer(Int64(value)) }
}

/// One prepared statement, finalised when released.
public final class SQLiteStatement {
    private let database: SQLiteDatabase
    private let statement: OpaquePointer

    init(database: SQLiteDatabase, statement: OpaquePointer) {
        self.database = database
        self.statement = statement
    }

    deinit { sqlite3_finalize(statement) }

    /// Binds `values` to parameters 1…n.
    public func bind(_ values: [SQLiteValue]) throws {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, index)
            case .integer(let v): rc = sqlite3_bind_int64(statement, index, v)
            case .real(let v): rc = sqlite3_bind_double(statement, index, v)
            case .text(let v): rc = sqlite3_bind_text(statement, index, v, -1, bourse_sqlite_transient())
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), bourse_sqlite_transient()) }
            }
            guard rc == SQLITE_OK else { throw database.error("cannot bind parameter \(index)") }
        }
    }

    /// Advances; true when a row is available.
    public func step() throws -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error("statement failed")
        }
    }

    /// Resets the statement so it can run again with new bindings.
    public func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    /// The current row's columns.
    public func row() -> SQLiteRow {
        let count = sqlite3_column_count(statement)
        var values: [SQLiteValue] = []
        values.reserveCapacity(Int(count))
        for i in 0..<count {
            switch sqlite3_column_type(statement, i) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(statement, i)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(statement, i)))
            case SQLITE_TEXT: values.append(.text(String(cString: sqlite3_column_text(statement, i))))
            case SQLITE_BLOB:
                let n = Int(sqlite3_column_bytes(statement, i))
                let base = sqlite3_column_blob(statement, i)
                values.append(.blob(n == 0 || base == nil ? [] : Array(UnsafeRawBufferPointer(start: base, count: n))))
            default: values.append(.null)
            }
        }
        return SQLiteRow(values: values)
    }
}

/// One result row.
public struct SQLiteRow: Sendable, Equatable {
    /// Column values in select order.
    public var values: [SQLiteValue]

    /// Column `i` as text (nil when NULL).
    public func text(_ i: Int) -> String? {
        switch values[i] {
        case .text(let s): return s
        case .integer(let v): return String(v)
        case .real(let v): return String(v)
        case .blob(let b): return String(decoding: b, as: UTF8.self)
        case .null: return nil
        }
    }

    /// Column `i` as an integer (nil when NULL or not a number).
    public func int(_ i: Int) -> Int? {
        switch values[i] {
        case .integer(let v): return Int(v)
        case .real(let v): return Int(v)
        case .text(let s): return Int(s)
        default: return nil
        }
    }

    /// Column `i` as bytes.
    public func blob(_ i: Int) -> [UInt8]? {
        switch values[i] {
        case .blob(let b): return b
        case .text(let s): return Array(s.utf8)
        default: return nil
        }
    }
}
