// The `sqlite` exporter through the SDK harness: rows, restart and append, schema changes, errors.
import BourseSDK
import BourseSDKTesting
import BourseSQLite
import Foundation
import SQLiteExportPluginKit
import Testing
import TestSupport

/// A sqlite exporter harness with the test topics known.
func sqliteExporter(_ config: String) throws -> PluginHarness {
    try PluginHarness(SQLiteExporter.self, config: config, outputs: [],
                      topics: ["bars.F.1d", "bars.SPY.1d", "ind.ema", "ind.macd", "alerts.x"])
}

/// Every row of a query on the database at `path`.
func rows(_ path: String, _ sql: String) throws -> [[SQLiteValue]] {
    try SQLiteConnection(path: path, create: false).query(sql)
}

/// JSON text of a string.
func jsonText(_ s: String) -> String { JSONValue.quoted(s) }

private let day: Int64 = 86_400_000_000_000
private let jan3: Int64 = 1_325_548_800_000_000_000  // 2012-01-03T00:00:00Z

@Test func sqliteExportsRestartsAndAppends() throws {
    let dir = try TestData.temporaryDirectory("bourse-sqlite")
    defer { try? FileManager.default.removeItem(at: dir) }
    let db = dir.appendingPathComponent("nested/out.db").path
    let config = #"{"path": \#(jsonText(db))}"#

    // First run: bars, one values topic, an alert.
    do {
        let h = try sqliteExporter(config)
        h.setFields(["ema20"], for: "ind.ema")
        let f = h.instrument("F")
        try h.send([
            Message(topic: h.topic("bars.F.1d"), instrument: f, eventTime: jan3,
                    payload: .bar(Bar(open: 11, high: 11.25, low: 10.99, close: 11.13, volume: 45_709_900))),
            Message(topic: h.topic("ind.ema"), instrument: f, eventTime: jan3, payload: .values(try IndicatorValues([.nan]))),
        ])
        try h.send(.values(try IndicatorValues([11.2])), topic: "ind.ema", instrument: "F", eventTime: jan3 + day)
        try h.send(.alert(Alert(score: 0.97, severity: .critical, code: 2, reason: "value outside the range")),
                   topic: "alerts.x", instrument: "F", eventTime: jan3 + day)
        try h.stop()
        #expect(h.counter("rows_written") == 4)
        #expect(h.counter("transactions") == 3)
        #expect(h.counter("tables_created") == 3)
    }
    #expect(try rows(db, "PRAGMA journal_mode") == [[.text("wal")]])

    // Second run, new instance: appends; a values topic with other names adds columns.
    do {
        let h = try sqliteExporter(config)
        h.setFields(["macd", "macd_signal"], for: "ind.macd")
        try h.send(.bar(Bar(open: 11.15, high: 11.53, low: 11.07, close: 11.3, volume: 79_725_200)), topic: "bars.F.1d",
                   instrument: "F", eventTime: jan3 + day)
        try h.send(.values(try IndicatorValues([0.5, -0.25])), topic: "ind.macd", instrument: "F", eventTime: jan3 + day)
        try h.stop()
        #expect(h.counter("tables_created") == 0)
        #expect(h.counter("columns_added") == 2)
    }

    #expect(try rows(db, "SELECT time_ns, time, topic, instrument, open, high, low, close, volume FROM bars ORDER BY rowid") == [
        [.integer(jan3), .text("2012-01-03T00:00:00Z"), .text("bars.F.1d"), .text("F"),
         .real(11), .real(11.25), .real(10.99), .real(11.13), .real(45_709_900)],
        [.integer(jan3 + day), .text("2012-01-04T00:00:00Z"), .text("bars.F.1d"), .text("F"),
         .real(11.15), .real(11.53), .real(11.07), .real(11.3), .real(79_725_200)],
    ])
    #expect(try rows(db, "SELECT time_ns, topic, ema20, macd, macd_signal FROM indicator_values ORDER BY rowid") == [
        [.integer(jan3), .text("ind.ema"), .null, .null, .null],
        [.integer(jan3 + day), .text("ind.ema"), .real(11.2), .null, .null],
        [.integer(jan3 + day), .text("ind.macd"), .null, .real(0.5), .real(-0.25)],
    ])
    #expect(try rows(db, "SELECT instrument, score, severity, code, reason FROM alerts") == [
        [.text("F"), .real(0.97), .text("critical"), .integer(2), .text("value outside the range")],
    ])
    let columns = try SQLiteTables(connection: SQLiteConnection(path: db, create: false)).columns(of: "indicator_values")
    #expect(columns.map(\.name) == ["time_ns", "time", "topic", "instrument", "ema20", "macd", "macd_signal"])
    #expect(columns.map(\.type) == ["INTEGER", "TEXT", "TEXT", "TEXT", "REAL", "REAL", "REAL"])
}

@Test func sqlitePerTopicTables() throws {
    let dir = try TestData.temporaryDirectory("bourse-sqlite")
    defer { try? FileManager.default.removeItem(at: dir) }
    let db = dir.appendingPathComponent("topics.db").path
    let h = try sqliteExporter(#"{"path": \#(jsonText(db)), "tables": "per-topic", "table_prefix": "run1_", "exclusive": false}"#)
    try sendBars(h, count: 3, topic: "bars.F.1d", symbol: "F")
    try sendBars(h, count: 2, topic: "bars.SPY.1d", symbol: "SPY")
    try h.send(.alert(Alert(score: 1)), topic: "alerts.x", instrument: "", eventTime: 0)
    try h.stop()
    let names = try rows(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    #expect(names == [[.text("run1_alerts_x")], [.text("run1_bars_F_1d")], [.text("run1_bars_SPY_1d")]])
    #expect(try rows(db, "SELECT count(*), min(close), max(close) FROM run1_bars_F_1d") == [[.integer(3), .real(1), .real(3)]])
    #expect(try rows(db, "SELECT instrument FROM run1_alerts_x") == [[.null]])
}

@Test func sqliteSchemaConflictIsAClearError() throws {
    let dir = try TestData.temporaryDirectory("bourse-sqlite")
    defer { try? FileManager.default.removeItem(at: dir) }
    let db = dir.appendingPathComponent("conflict.db").path
    try SQLiteConnection(path: db).execute("CREATE TABLE bars (time_ns INTEGER, close TEXT); INSERT INTO bars VALUES (1, 'x')")
    let h = try sqliteExporter(#"{"path": \#(jsonText(db))}"#)
    do {
        try sendBars(h, count: 1, topic: "bars.F.1d", symbol: "F")
        Issue.record("expected a schema conflict")
    } catch let error as PluginError {
        #expect(error.message.contains("schema conflict in table bars: column close is TEXT in the database but these rows need REAL"))
        #expect(error.message.contains(db))
    }
    try? h.stop()  // releases the exclusive lock
    // Nothing was dropped or half-written.
    #expect(try rows(db, "SELECT * FROM bars") == [[.integer(1), .text("x")]])
}

@Test func sqliteBadPathsAreClearErrors() throws {
    let dir = try TestData.temporaryDirectory("bourse-sqlite")
    defer { try? FileManager.default.removeItem(at: dir) }
    // The parent "directory" is a file.
    let file = dir.appendingPathComponent("plain-file").path
    try Data("x".utf8).write(to: URL(fileURLWithPath: file))
    let underFile = try sqliteExporter(#"{"path": \#(jsonText(file + "/out.db"))}"#)
    #expect { try underFile.start() } throws: { error in
        (error as? PluginError)?.message == "sqlite: cannot open database \(file)/out.db: unable to open database file (Not a directory)"
    }
    // A directory that cannot be created.
    let noParent = try sqliteExporter(#"{"path": "/proc/self/bourse/out.db"}"#)
    #expect { try noParent.start() } throws: { error in
        (error as? PluginError)?.message.hasPrefix("sqlite: cannot create directory /proc/self/bourse for the database: ") == true
    }
    // An existing file that is not a database.
    let notDatabase = dir.appendingPathComponent("notes.txt").path
    try Data(String(repeating: "not sqlite ", count: 100).utf8).write(to: URL(fileURLWithPath: notDatabase))
    let wrongFile = try sqliteExporter(#"{"path": \#(jsonText(notDatabase))}"#)
    #expect { try wrongFile.start() } throws: { error in
        let message = (error as? PluginError)?.message ?? ""
        return message.contains(notDatabase) && message.contains("not a database")
    }
    // A read-only directory (root ignores directory modes: then only /proc, which nobody may write).
    let readOnly = dir.appendingPathComponent("read-only")
    try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
    chmod(readOnly.path, 0o555)
    defer { chmod(readOnly.path, 0o755) }
    for path in [readOnly.path + "/out.db", "/proc/self/bourse-test.db"] where path.hasPrefix("/proc") || geteuid() != 0 {
        let h = try sqliteExporter(#"{"path": \#(jsonText(path))}"#)
        #expect { try h.start() } throws: { error in
            let message = (error as? PluginError)?.message ?? ""
            return message.contains("cannot open database \(path)")
        }
    }
}

@Test func sqliteConfigurationErrors() {
    for config in [
        #"{}"#, #"{"path": ""}"#, #"{"path": "dir/"}"#, #"{"path": "a.db", "tables": "per-day"}"#,
        #"{"path": "a.db", "table_prefix": "x-"}"#, #"{"path": "a.db", "synchronous": "sometimes"}"#,
        #"{"path": "a.db", "exclusive": "yes"}"#, #"{"path": "a.db", "mode": "append"}"#,
    ] {
        #expect(throws: PluginError.self, "\(config)") { try sqliteExporter(config) }
    }
}

/// Sends `count` bars with closes 1, 2, 3… one day apart, in one batch.
func sendBars(_ h: PluginHarness, count: Int, topic: String, symbol: String) throws {
    let t = h.topic(topic), instrument = h.instrument(symbol)
    try h.send((0..<count).map { i in
        let close = Double(i + 1)
        return Message(topic: t, instrument: instrument, eventTime: jan3 + Int64(i) * day,
                       payload: .bar(Bar(open: close, high: close + 0.5, low: close - 0.5, close: close, volume: 100)))
    })
}
