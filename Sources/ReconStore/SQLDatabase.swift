import Foundation
import Logging
import Synchronization

/// A value bound to or read from SQL: the store keeps only integers, text and NULL, so one
/// schema reads the same on SQLite and PostgreSQL.
public enum SQLValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case text(String)

    public init(_ text: String?) { self = text.map(SQLValue.text) ?? .null }
    public init(_ number: Int?) { self = number.map { .integer(Int64($0)) } ?? .null }
    public init(_ number: Int64?) { self = number.map(SQLValue.integer) ?? .null }
    public init(_ flag: Bool) { self = .integer(flag ? 1 : 0) }
}

/// One result row, read by column position.
public struct SQLRow: Sendable {
    public let values: [SQLValue]
    public init(values: [SQLValue]) { self.values = values }

    public func text(_ index: Int) -> String? {
        switch values[index] {
        case .text(let text): text
        case .integer(let number): String(number)
        case .null: nil
        }
    }

    public func string(_ index: Int) -> String { text(index) ?? "" }

    public func int(_ index: Int) -> Int64? {
        switch values[index] {
        case .integer(let number): number
        case .text(let text): Int64(text)
        case .null: nil
        }
    }
}

/// A connection inside a transaction (or a read).
public protocol SQLConnection: Sendable {
    /// Runs one statement; `?` marks each argument.
    func execute(_ sql: String, _ arguments: [SQLValue]) async throws
    /// Runs one query and calls `body` with each row as it comes, holding none of them: for
    /// results too large to keep (a day's million records).
    func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (SQLRow) throws -> Void) async throws
    /// Inserts `rows` (each with a value for each of `columns`) into `table`, in the driver's
    /// fastest way that a refused row still fails whole.
    func insertRows(into table: String, columns: [String], rows: [[SQLValue]]) async throws
}

/// The driver seam under the store: the SQL is written once, each driver runs it.
public protocol SQLDatabase: Sendable {
    /// The connection statements run on.
    func session() -> any SQLConnection
    /// Runs `body` in one read transaction on a connection of its own, which sees the last
    /// committed state while `session()` writes; nil, without running `body`, where that
    /// connection cannot be opened or is reading already.
    func onCommittedStateReader<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T?
    /// The statement that opens a transaction.
    var beginTransaction: String { get }
    /// Whether a rehearsal's transaction is open, inside which a transaction is a savepoint.
    var rehearsal: RehearsalState { get }
    /// Whether a table exists.
    func tableExists(_ name: String) async throws -> Bool
    /// How many tables the store's schema holds (of any owner): 0 for a database just created.
    func tableCount() async throws -> Int
    /// Why the session may not make (drop and create) `table` in the store's schema; nil
    /// when it may.
    func whyTableCannotBeMade(_ table: String) async throws -> String?
    /// Takes the job's exclusive lock if it is free; it is held until `close()` or the end
    /// of the process.
    func tryLock() async throws -> Bool
    /// Releases the lock, if held, and ends the session.
    func close() async
    /// What an `ORDER BY` term needs to compare text as bytes (SPEC §4: never a collation).
    var byteCollation: String { get }
    /// How a run's queue finds a settlement record again.
    var recordRowKey: RecordRowKey { get }
    /// What the run's evaluation queue is created as: a table of the store (not a temporary
    /// one of the session), so that `onCommittedStateReader` reads a slice beside a commit;
    /// `UNLOGGED` where the database would otherwise log each of its rows (PostgreSQL).
    var evaluationQueueScope: String { get }
    /// The statements around those of a transaction that wait for table locks without the
    /// session's timeout (PostgreSQL's `lock_timeout`), and then set it again (in a dry run the
    /// transaction is a savepoint of the one rehearsed, which would keep the setting): for the
    /// queue's `DROP` and `CREATE`, which wait on any reader of the queue, a backup's `pg_dump`
    /// too, as long as it reads. nil where no timeout is set.
    var waitingForLocksWithoutTimeout: (begin: String, end: String)? { get }
    /// Brings the planner's statistics of `tables` up to date after bulk writes.
    func refreshStatistics(of tables: [String]) async throws
}

/// How a run's queue finds a settlement record again.
public enum RecordRowKey: Sendable {
    /// The row number (SQLite's `rowid`): in the order the rows were stored, and found without
    /// the hashed id's index. Stable unless a `VACUUM` renumbers the table, so the queue keeps
    /// the record's id beside it, and what is read or written through it is checked against it.
    case rowNumber
    /// The record id.
    case recordID

    var column: String {
        switch self {
        case .rowNumber: "rowid"
        case .recordID: "record_id"
        }
    }

    /// The evaluation queue's columns after its position (the row key, and the record's id
    /// where the key is not the id): defined, named, and selected from `settlement_records`.
    var queueColumns: (definition: String, names: String, selected: String) {
        switch self {
        case .rowNumber: ("row_key INTEGER NOT NULL, record_id TEXT NOT NULL", "row_key, record_id", "rowid, record_id")
        case .recordID: ("row_key TEXT NOT NULL", "row_key", "record_id")
        }
    }

    /// The record id of the queue's row `q`.
    var queuedRecordID: String {
        switch self {
        case .rowNumber: "q.record_id"
        case .recordID: "q.row_key"
        }
    }
}

/// A database's rehearsal flag: one per database, as its connection is.
public final class RehearsalState: Sendable {
    fileprivate let isOpen = Mutex(false)
    public init() {}
}

extension SQLDatabase {
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// Within a rehearsal it is a savepoint: released, or rolled back to, the same way.
    public func transaction<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        let connection = session()
        if rehearsal.isOpen.withLock({ $0 }) {
            return try await connection.enclosing("SAVEPOINT step", closing: "RELEASE SAVEPOINT step",
                                                  undoing: ["ROLLBACK TO SAVEPOINT step", "RELEASE SAVEPOINT step"]) {
                try await body(connection)
            }
        }
        return try await connection.enclosing(beginTransaction, closing: "COMMIT", undoing: ["ROLLBACK"]) {
            try await body(connection)
        }
    }

    /// Runs `body` inside one transaction that is always rolled back: every change it makes,
    /// through any number of `transaction`s, is seen by its own later reads and by nobody
    /// else, and is gone when this returns or throws, or when the process dies first.
    public func rehearse<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        defer { rehearsal.isOpen.withLock { $0 = false } }
        return try await session().enclosing(beginTransaction, closing: "ROLLBACK", undoing: ["ROLLBACK"]) {
            rehearsal.isOpen.withLock { $0 = true }
            return try await body()
        }
    }

    /// Runs `body` on the connection of `onCommittedStateReader`, so it sees a single committed
    /// state however many commits land meanwhile. nil, without running `body`, where there is
    /// no such connection free, or in a rehearsal, whose changes only its own connection sees.
    public func readCommitted<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T? {
        guard !rehearsal.isOpen.withLock({ $0 }) else { return nil }
        return try await onCommittedStateReader(body)
    }

    /// Runs `body` on the committed-state reader where one is free, else on the session: for
    /// reads after the last commit, which may then run beside the session's own.
    public func readAside<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        if let result = try await readCommitted(body) { return result }
        return try await read(body)
    }

    /// Runs `body` for reading only.
    public func read<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await body(session())
    }
}

extension SQLConnection {
    /// Runs `opening`, then `body`; then `closing` when `body` returns, or each of `undoing` when
    /// it throws (their own failures ignored: `body`'s error is the one thrown).
    func enclosing<T>(_ opening: String, closing: String, undoing: [String],
                      _ body: () async throws -> T) async throws -> T {
        try await execute(opening, [])
        do {
            let result = try await body()
            try await execute(closing, [])
            return result
        } catch {
            for statement in undoing { try? await execute(statement, []) }
            throw error
        }
    }

    /// Calls `body` with `?, ?, …` and the values for each chunk of `values` (an `IN` list).
    func forEachChunk(_ values: [String], size: Int = 500,
                      _ body: (String, [SQLValue]) async throws -> Void) async throws {
        try await forEachChunk(of: values, size: size) { chunk, marks in try await body(marks, chunk.map(SQLValue.text)) }
    }

    /// Calls `body` with each chunk of `items` (at most `size`) and its placeholders: `mark`
    /// once per item, comma-separated (`?` for an `IN` list, `(?, ?, ?)` for a `VALUES` list).
    func forEachChunk<Item>(of items: [Item], size: Int = 500, mark: String = "?",
                            _ body: (ArraySlice<Item>, String) async throws -> Void) async throws {
        for start in stride(from: 0, to: items.count, by: size) {
            let chunk = items[start..<min(start + size, items.count)]
            try await body(chunk, Array(repeating: mark, count: chunk.count).joined(separator: ", "))
        }
    }

    /// Runs one query and returns its rows.
    func query(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        var rows: [SQLRow] = []
        try await forEachRow(sql, arguments) { rows.append($0) }
        return rows
    }

    func execute(_ sql: String, _ arguments: SQLValue...) async throws { try await execute(sql, arguments) }
    func query(_ sql: String, _ arguments: SQLValue...) async throws -> [SQLRow] { try await query(sql, arguments) }
}

/// The second connection of `SQLDatabase.onCommittedStateReader`, lent to one read at a time
/// (its transaction is its own): opened on first use, and given up for the process when it
/// cannot be opened or is lost, so that callers read on their session instead. Either is
/// said once in the log ("reads on the session: …"), as the job then runs on one core.
final class CommittedStateReader<Connection: Sendable>: Sendable {
    private let state = Mutex<(connection: Connection?, busy: Bool, givenUp: Bool)>((nil, false, false))
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// The connection, while it is open.
    var opened: Connection? { state.withLock { $0.connection } }

    /// `body` on the connection, opened by `open` if it is not yet; nil, without running
    /// `body`, while it is lent out, or when it cannot be opened or was given up.
    func lend<T>(opening open: () async throws -> Connection, _ body: (Connection) async throws -> T?) async throws -> T? {
        let lease: (connection: Connection?, granted: Bool) = state.withLock { state in
            guard !state.busy, !state.givenUp else { return (nil, false) }
            state.busy = true
            return (state.connection, true)
        }
        guard lease.granted else { return nil }
        defer { state.withLock { $0.busy = false } }
        var connection = lease.connection
        if connection == nil {
            do {
                connection = try await open()
            } catch {
                logger.notice("reads on the session: no second connection", metadata: ["error": "\(error)"])
            }
            state.withLock { state in
                state.connection = connection
                state.givenUp = connection == nil
            }
        }
        guard let connection else { return nil }
        return try await body(connection)
    }

    /// No more reads on the connection, which was lost (`error`); its owner closes it.
    func giveUp(lost error: any Error) {
        logger.notice("reads on the session: the second connection was lost", metadata: ["error": "\(error)"])
        state.withLock { state in
            state.connection = nil
            state.givenUp = true
        }
    }
}
