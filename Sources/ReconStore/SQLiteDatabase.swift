import CSQLiteTuning
import Foundation
import GRDB
import GRDBSQLite
import Logging
import Synchronization

/// The embedded store: one SQLite file through GRDB.
public final class SQLiteDatabase: SQLDatabase {
    private let queue: DatabaseQueue
    /// The second, read-only connection of `onCommittedStateReader`.
    private let reader: CommittedStateReader<DatabaseQueue>
    private let path: String
    /// The descriptor holding the `flock` of `<database>.lock`, once taken.
    private let lockDescriptor = Mutex<Int32?>(nil)

    /// Opens (and with `create`, creates) the database file at `path`; `logger` hears of a
    /// second connection it cannot open.
    public init(path: String, create: Bool, logger: Logger = Logger(label: "renewal-recon.store")) throws {
        _ = Self.memoryStatisticsOff
        self.path = path
        self.reader = CommittedStateReader(logger: logger)
        let exists = FileManager.default.fileExists(atPath: path)
        guard exists || create else { throw StoreError(.notInitialised, "no store at \(path); run `renewal-recon init`") }
        if !exists {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                            attributes: [.posixPermissions: 0o750])
                } catch {
                    // A folder the store cannot have: the store is unavailable (exit 69), not an
                    // internal error.
                    throw StoreError(.unavailable, "cannot create the store's folder \(folder): \(error.localizedDescription)",
                                     underlying: error)
                }
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // Transactions span several calls (the SQL seam is async for PostgreSQL's sake);
        // `transaction(_:)` below always commits or rolls back.
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            // 16 KiB pages for a new store (an existing one keeps its own): a night writes rows
            // at random into tables of millions, and bigger pages make shallower trees with fewer
            // splits. At a million settlements, on copies of one store rebuilt with each size:
            // 61.9, 64.6, 60.5 and 61.1 s a run, against 65.5, 63.9, 64.7 and 63.1 s with 8 KiB
            // and 72.0, 65.4, 66.0 and 64.2 s with SQLite's 4 KiB. Set before WAL, which fixes it.
            try db.execute(sql: "PRAGMA page_size = 16384")
            // WAL keeps readers (status, exceptions list) off the writer's back; NORMAL sync is
            // durable at each commit under WAL except for power loss of the last commit.
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // A night's work touches millions of B-tree pages: a 32 MiB page cache (SQLite's
            // default is 2 MiB) keeps the hot index pages; the rest comes from the OS page cache.
            // 64 MiB ran 7 % faster while the rules' reads shared this connection; since they
            // moved to `onCommittedStateReader`, a million settlements ran in 58.3 s with 64 MiB
            // and 59.4 s with 32 MiB, at peaks of 310 and 283 MB. No memory-mapped I/O: mapped
            // pages would count in the job's resident memory.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            // Checkpoints (the only fsyncs under NORMAL) every 64 MiB of WAL rather than SQLite's
            // 4 MiB: a page written by many commits reaches the database file once per checkpoint.
            // The setting counts pages, so it follows the store's page size. (With 16 KiB pages,
            // every 64 MiB ran 60.5 and 60.7 s against 62.4 and 62.0 s every 256 MiB.)
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \((64 << 20) / max(pageSize, 512))")
            // Import staging tables, the evaluation queue and large sorts go to a temporary file
            // (with its own small cache), not to memory: a day's million rows stay off the heap.
            try db.execute(sql: "PRAGMA temp_store = FILE")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StoreError(.unavailable, "cannot open the SQLite store at \(path)", underlying: error)
        }
        if !exists { chmod(path, 0o640) }
    }

    /// SQLite counts every allocation it makes under a global mutex unless told not to, before
    /// its first connection: at a million settlements the locks took 5 % of the ingest's CPU, and
    /// the whole run took about 2 s less without them. Nothing here reads SQLite's memory figures.
    static let memoryStatisticsOff: Bool = recon_sqlite_disable_memory_statistics() == SQLITE_OK

    /// Releases the `flock` (closing its descriptor); GRDB closes the database when the last
    /// reference goes.
    public func close() async {
        lockDescriptor.withLock { descriptor in
            if let open = descriptor { closeDescriptor(open) }
            descriptor = nil
        }
    }

    /// `IMMEDIATE`: the write lock is taken at the start, so two writers never deadlock midway.
    public var beginTransaction: String { "BEGIN IMMEDIATE" }

    public let rehearsal = RehearsalState()

    /// Found by the hashed record id, each of a million queued records, and each verdict
    /// written to one, was a seek to a random page of that id's index.
    public var recordRowKey: RecordRowKey { .rowNumber }

    /// A table of the store: the reader takes the next slice from it while the session commits
    /// the last (at a million settlements, 2.5 s of reading off the commits' path).
    public var evaluationQueueScope: String { "" }

    public func session() -> any SQLConnection { Connection(queue: queue) }

    /// Under WAL a reader sees the last commit while the writer goes on. Its page cache is
    /// 4 MiB: it reads each order and license of a slice once, the OS page cache holds the
    /// rest, and the job's peak memory holds both caches. nil if it is reading already (its
    /// transaction is its own) or cannot be opened (`CommittedStateReader`): the caller then
    /// reads on its session.
    public func onCommittedStateReader<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T? {
        try await reader.lend(opening: { [path] in
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(5)
            configuration.allowsUnsafeTransactions = true
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA cache_size = -4096")
                // The feed's sort of a day's rows goes to a temporary file, as the session's do.
                try db.execute(sql: "PRAGMA temp_store = FILE")
            }
            return try DatabaseQueue(path: path, configuration: configuration)
        }) { queue in
            let connection = Connection(queue: queue)
            return try await connection.enclosing("BEGIN", closing: "COMMIT", undoing: ["ROLLBACK"]) { try await body(connection) }
        }
    }

    /// An OS-level `flock` on a file beside the database: the kernel drops it when the process
    /// ends, however it ends, so a killed run never blocks the next.
    public func tryLock() async throws -> Bool {
        try lockDescriptor.withLock { descriptor in
            if descriptor != nil { return true }
            let lockPath = path + ".lock"
            let opened = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
            guard opened >= 0 else {
                throw StoreError(.unavailable, "cannot open the lock file \(lockPath): \(String(cString: strerror(errno)))")
            }
            guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
                closeDescriptor(opened)
                return false
            }
            descriptor = opened
            return true
        }
    }

    /// SQLite's default collation, BINARY, compares bytes.
    public var byteCollation: String { "" }

    /// None: the busy timeout is the connection's, and a schema change waits on it like any write.
    public var waitingForLocksWithoutTimeout: (begin: String, end: String)? { nil }

    /// Nothing: SQLite plans these queries from their indexes alone, and its `ANALYZE` reads
    /// every index whole.
    public func refreshStatistics(of tables: [String]) async throws {}

    /// `body` on `queue`'s connection, every call into SQLite going through here. SQLite still
    /// finding the file locked after the 5 s busy timeout is another process (a backup, a
    /// `sqlite3` shell holding a transaction) writing to it, which the job's own lock cannot
    /// see: the store is unavailable (exit 69), not broken.
    fileprivate static func inDatabase<T>(_ queue: DatabaseQueue, _ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.inDatabase(body)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_BUSY {
            throw StoreError(.unavailable, "another process held the SQLite store locked for 5 s (a backup, or a sqlite3 "
                             + "shell holding a transaction): run again once it lets go", underlying: error)
        }
    }

    public func tableExists(_ name: String) async throws -> Bool {
        try Self.inDatabase(queue) { db in try db.tableExists(name) }
    }

    public func tableCount() async throws -> Int {
        try Self.inDatabase(queue) { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'") ?? 0 }
    }

    /// A file the job may write (checked as it opens): it may make tables in it.
    public func whyTableCannotBeMade(_ table: String) async throws -> String? { nil }

    /// Statements are prepared and cached by GRDB; their arguments are bound and their rows
    /// read here with SQLite's own calls, so each value goes straight between `SQLValue` and
    /// SQLite (a night binds and reads tens of millions of them).
    private struct Connection: SQLConnection {
        let queue: DatabaseQueue

        private func inDatabase<T>(_ body: (Database) throws -> T) throws -> T {
            try SQLiteDatabase.inDatabase(queue, body)
        }

        func execute(_ sql: String, _ arguments: [SQLValue]) async throws {
            try inDatabase { db in
                if arguments.isEmpty, !sql.contains("?") {
                    try db.execute(sql: sql)
                } else {
                    try Self.run(try db.cachedStatement(sql: sql), arguments, db) { _ in }
                }
            }
        }

        func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (SQLRow) throws -> Void) async throws {
            try inDatabase { db in
                try Self.run(try db.cachedStatement(sql: sql), arguments, db) { handle in
                    let count = sqlite3_column_count(handle)
                    try body(SQLRow(values: (0..<count).map { Self.value(handle, column: $0) }))
                }
            }
        }

        /// One single-row statement, prepared once and run for each row, all on one call into
        /// the connection. Inside a transaction SQLite gives a multi-row `INSERT` a statement
        /// journal (so that it can undo that statement alone); past 64 KiB the journal goes to a
        /// temporary file, one page for each index page the statement changes. A million
        /// settlements wrote 12 GB of such journals; a single-row `INSERT` needs none.
        func insertRows(into table: String, columns: [String], rows: [[SQLValue]]) async throws {
            guard !rows.isEmpty else { return }
            let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(marks))"
            try inDatabase { db in
                let statement = try db.cachedStatement(sql: sql)
                for row in rows { try Self.run(statement, row, db) { _ in } }
            }
        }

        /// Binds `arguments`, steps through the rows calling `row` with each, and resets.
        private static func run(_ statement: Statement, _ arguments: [SQLValue], _ db: Database,
                                row: (SQLiteStatement) throws -> Void) throws {
            let handle = statement.sqliteStatement
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            defer { sqlite3_reset(handle) }
            guard Int(sqlite3_bind_parameter_count(handle)) == arguments.count else {
                throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(arguments.count) argument(s) for \(sqlite3_bind_parameter_count(handle)) parameter(s)", sql: statement.sql)
            }
            for (index, argument) in zip(Int32(1)..., arguments) {
                let code: Int32 = switch argument {
                case .null: sqlite3_bind_null(handle, index)
                case .integer(let number): sqlite3_bind_int64(handle, index, number)
                // An empty text has no address, which SQLite would take for NULL.
                case .text(let text) where text.isEmpty: sqlite3_bind_text(handle, index, "", 0, transient)
                case .text(var text): text.withUTF8 { bytes in
                    UnsafeRawPointer(bytes.baseAddress!).withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        sqlite3_bind_text(handle, index, $0, Int32(bytes.count), transient)
                    }
                }
                }
                guard code == SQLITE_OK else { throw error(code, db, statement) }
            }
            while true {
                let code = sqlite3_step(handle)
                if code == SQLITE_DONE { return }
                guard code == SQLITE_ROW else { throw error(code, db, statement) }
                try row(handle)
            }
        }

        private static func value(_ handle: SQLiteStatement, column: Int32) -> SQLValue {
            switch sqlite3_column_type(handle, column) {
            case SQLITE_NULL: return .null
            case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
            case SQLITE_FLOAT: return .text(String(sqlite3_column_double(handle, column)))
            default:
                // Text, or a blob read as UTF-8 text.
                let bytes = sqlite3_column_blob(handle, column)
                let count = Int(sqlite3_column_bytes(handle, column))
                guard count > 0, let bytes else { return .text("") }
                return .text(String(decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self))
            }
        }

        private static func error(_ code: Int32, _ db: Database, _ statement: Statement) -> DatabaseError {
            DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                          sql: statement.sql)
        }

        /// SQLite copies each bound text before the call returns.
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    }
}

/// The C `close`, out of reach of `SQLiteDatabase.close()`'s name.
private func closeDescriptor(_ descriptor: Int32) {
    close(descriptor)
}
