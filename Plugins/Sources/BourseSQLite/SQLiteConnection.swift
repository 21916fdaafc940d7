// A small SQLite connection for plugins: open, execute, prepare, transactions.
//
// The host has its own wrapper (Sources/BourseStore); plugins cannot link the
// host's modules, so this one holds only what an exporter needs: positional
// binding without allocation per row, and errors naming the database file.
import CSQLite

/// An error from SQLite or from a schema check, naming the database file.
public struct SQLiteError: Error, CustomStringConvertible, Equatable {
    /// What failed, with SQLite's own message.
    public let message: String
    /// The SQLite result code (primary or extended), or 0 for checks made here.
    public let code: Int32

    /// An error with a message and SQLite's result code.
    public init(_ message: String, code: Int32 = 0) {
        self.message = message
        self.code = code
    }

    /// The message.
    public var description: String { message }
}

/// SQL text of an identifier: double-quoted, inner quotes doubled.
public func sqlIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

extension String {
    /// The string with every `target` replaced (no Foundation).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// One open SQLite database file.
public final class SQLiteConnection {
    /// The database file as opened.
    public let path: String
    private var handle: OpaquePointer?

    /// Opens `path`, creating the file when `create` is true.
    ///
    /// - Throws: ``SQLiteError`` with SQLite's reason (missing directory,
    ///   permission denied, not a database).
    public init(path: String, create: Bool = true, busyTimeoutMilliseconds: Int32 = 5000) throws {
        self.path = path
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        if create { flags |= SQLITE_OPEN_CREATE }
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let reason = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            let errno = db.map { sqlite3_system_errno($0) } ?? 0
            sqlite3_close(db)
            throw SQLiteError("cannot open database \(path): \(reason)\(errno != 0 ? " (\(systemErrorName(errno)))" : "")",
                              code: rc)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Closes the connection (statements must be released first); later calls fail.
    public func close() throws {
        guard let db = handle else { return }
        let rc = sqlite3_close(db)
        guard rc == SQLITE_OK else { throw error("cannot close", code: rc) }
        handle = nil
    }

    /// The last error of the connection as a ``SQLiteError`` starting with `context`.
    func error(_ context: String, code: Int32? = nil) -> SQLiteError {
        guard let db = handle else { return SQLiteError("\(context) \(path): the database is closed") }
        let errno = sqlite3_system_errno(db)
        let suffix = errno != 0 ? " (\(systemErrorName(errno)))" : ""
        return SQLiteError("\(context) \(path): \(String(cString: sqlite3_errmsg(db)))\(suffix)",
                           code: code ?? sqlite3_extended_errcode(db))
    }

    /// Runs statements without parameters or results.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? (handle.map { String(cString: sqlite3_errmsg($0)) } ?? "")
            sqlite3_free(message)
            throw SQLiteError("\(path): \(text) in `\(sql.prefix(120))`", code: rc)
        }
    }

    /// Prepares one statement.
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error("cannot prepare `\(sql.prefix(120))` on", code: rc) }
        return SQLiteStatement(connection: self, statement: statement)
    }

    /// All rows of a query, each as an array of values.
    public func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let statement = try prepare(sql)
        for (i, value) in parameters.enumerated() { try statement.bind(value, at: Int32(i + 1)) }
        var rows: [[SQLiteValue]] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// The first column of the first row of a pragma or query, as text.
    public func scalarText(_ sql: String) throws -> String? {
        guard let first = try query(sql).first?.first else { return nil }
        switch first {
        case .text(let s): return s
        case .integer(let v): return String(v)
        case .real(let v): return String(v)
        case .null: return nil
        }
    }

    /// True while a transaction is open.
    public var inTransaction: Bool { handle.map { sqlite3_get_autocommit($0) == 0 } ?? false }

    /// Rows changed by the last statement.
    public var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }
}

/// A value bound to a parameter or read from a column.
public enum SQLiteValue: Equatable, Sendable {
    /// NULL.
    case null
    /// A 64-bit integer.
    case integer(Int64)
    /// A double (NaN is stored as NULL by SQLite).
    case real(Double)
    /// UTF-8 text.
    case text(String)
}

/// One prepared statement, finalised when released.
public final class SQLiteStatement {
    private let connection: SQLiteConnection
    private let statement: OpaquePointer

    init(connection: SQLiteConnection, statement: OpaquePointer) {
        self.connection = connection
        self.statement = statement
    }

    deinit { sqlite3_finalize(statement) }

    /// Binds a value to the 1-based parameter `index`.
    public func bind(_ value: SQLiteValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(statement, index)
        case .integer(let v): rc = sqlite3_bind_int64(statement, index, v)
        case .real(let v): rc = sqlite3_bind_double(statement, index, v)
        case .text(let v): rc = sqlite3_bind_text(statement, index, v, -1, bourse_plugins_sqlite_transient())
        }
        guard rc == SQLITE_OK else { throw connection.error("cannot bind parameter \(index) on", code: rc) }
    }

    /// Advances; true when a row is available.
    public func step() throws -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            throw connection.error("`\(String(cString: sqlite3_sql(statement)).prefix(120))` failed on", code: rc)
        }
    }

    /// Runs a statement that returns no rows, then resets it and clears its bindings.
    public func run() throws {
        defer { reset() }
        while try step() {}
    }

    /// Resets the statement so it can run again with new bindings.
    public func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    /// The current row.
    public func row() -> [SQLiteValue] {
        (0..<sqlite3_column_count(statement)).map { i in
            switch sqlite3_column_type(statement, i) {
            case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, i))
            case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, i))
            case SQLITE_TEXT, SQLITE_BLOB: return .text(String(cString: sqlite3_column_text(statement, i)))
            default: return .null
            }
        }
    }
}

/// `strerror` of an errno value.
func systemErrorName(_ code: Int32) -> String {
    String(cString: strerror(code))
}

#if canImport(Glibc)
import Glibc
#endif

extension SQLiteConnection {
    /// Seeds SQLite's random generator (used for WAL salts) from the system
    /// now: call it before a sandbox forbids opening `/dev/urandom`.
    public static func seedRandomness() {
        var seed: UInt64 = 0
        sqlite3_randomness(Int32(MemoryLayout<UInt64>.size), &seed)
    }
}
