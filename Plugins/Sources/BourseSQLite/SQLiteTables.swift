// Tables created or adapted to the columns rows need, without ever dropping data.

/// The declared type of a column (SQLite type affinity).
public enum SQLiteColumnType: String, Equatable, Sendable {
    /// 64-bit integers.
    case integer = "INTEGER"
    /// Doubles.
    case real = "REAL"
    /// UTF-8 text.
    case text = "TEXT"
}

/// A column a row needs: its name and declared type.
public struct SQLiteColumn: Equatable, Sendable {
    /// The column name (any characters; quoted in SQL).
    public var name: String
    /// The declared type.
    public var type: SQLiteColumnType
    /// NOT NULL, used only when the table is created (added columns are nullable).
    public var notNull: Bool

    /// A column.
    public init(_ name: String, _ type: SQLiteColumnType, notNull: Bool = false) {
        self.name = name
        self.type = type
        self.notNull = notNull
    }
}

/// What ``SQLiteTables/ensure(_:columns:)`` changed.
public struct SQLiteSchemaChange: Equatable, Sendable {
    /// The table was created.
    public var created = false
    /// Columns added to an existing table with `ALTER TABLE … ADD COLUMN`.
    public var addedColumns: [String] = []
}

/// The tables of one database as this process knows them: each table is read
/// from the database once (`PRAGMA table_info`), then created or extended to
/// hold the columns rows need. Existing columns and rows are never dropped
/// or changed; a column that exists with another declared type is a
/// conflict (an error naming the table, the column and both types).
/// Column names compare without regard to ASCII case, as in SQLite.
public final class SQLiteTables {
    private let connection: SQLiteConnection
    /// Table name (lower-cased) → column name (lower-cased) → declared type as in the database.
    private var known: [String: [String: String]] = [:]

    /// Tables of `connection`.
    public init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// The columns of `table` in the database, in order, with their declared
    /// types (empty when the table does not exist).
    public func columns(of table: String) throws -> [(name: String, type: String)] {
        try connection.query("PRAGMA table_info(\(sqlIdentifier(table)))").compactMap { row in
            guard row.count >= 3, case .text(let name) = row[1] else { return nil }
            if case .text(let type) = row[2] { return (name, type) }
            return (name, "")
        }
    }

    /// Makes `table` hold `columns`: creates it when missing (with an index
    /// on `indexColumns` when given), adds the missing columns, and checks
    /// the types of the others.
    ///
    /// - Throws: ``SQLiteError`` on a type conflict, on duplicate names in
    ///   `columns`, or when SQLite refuses a statement.
    @discardableResult
    public func ensure(_ table: String, columns: [SQLiteColumn], indexColumns: [String] = []) throws -> SQLiteSchemaChange {
        var seen = Set<String>()
        for column in columns where !seen.insert(column.name.lowercased()).inserted {
            throw SQLiteError("\(connection.path): table \(table) would have two columns named \(column.name) "
                + "(column names ignore case); rename the field or write that topic to another table")
        }
        var change = SQLiteSchemaChange()
        let key = table.lowercased()
        if known[key] == nil {
            let existing = try self.columns(of: table)
            if existing.isEmpty {
                let definitions = columns.map { column in
                    sqlIdentifier(column.name) + " " + column.type.rawValue + (column.notNull ? " NOT NULL" : "")
                }
                try connection.execute("CREATE TABLE \(sqlIdentifier(table)) (\(definitions.joined(separator: ", ")))")
                if !indexColumns.isEmpty {
                    try connection.execute("CREATE INDEX IF NOT EXISTS \(sqlIdentifier(table + "_by_" + indexColumns.joined(separator: "_"))) "
                        + "ON \(sqlIdentifier(table)) (\(indexColumns.map(sqlIdentifier).joined(separator: ", ")))")
                }
                change.created = true
                known[key] = Dictionary(uniqueKeysWithValues: columns.map { ($0.name.lowercased(), $0.type.rawValue) })
                return change
            }
            known[key] = Dictionary(existing.map { ($0.name.lowercased(), $0.type.uppercased()) }, uniquingKeysWith: { a, _ in a })
        }
        for column in columns {
            let name = column.name.lowercased()
            if let declared = known[key]?[name] {
                guard declared == column.type.rawValue else {
                    throw SQLiteError("\(connection.path): schema conflict in table \(table): column \(column.name) is "
                        + "\(declared.isEmpty ? "untyped" : declared) in the database but these rows need \(column.type.rawValue); "
                        + "use another database or table, or rename the column")
                }
                continue
            }
            try connection.execute("ALTER TABLE \(sqlIdentifier(table)) ADD COLUMN \(sqlIdentifier(column.name)) \(column.type.rawValue)")
            known[key]?[name] = column.type.rawValue
            change.addedColumns.append(column.name)
        }
        return change
    }
}
