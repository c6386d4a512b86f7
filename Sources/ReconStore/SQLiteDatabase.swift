import Foundation
import GRDB
import Synchronization

/// The embedded store: one SQLite file through GRDB.
public final class SQLiteDatabase: SQLDatabase {
    private let queue: DatabaseQueue
    private let path: String
    /// The descriptor holding the `flock` of `<database>.lock`, once taken.
    private let lockDescriptor = Mutex<Int32?>(nil)

    /// Opens (and with `create`, creates) the database file at `path`.
    public init(path: String, create: Bool) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        guard exists || create else { throw StoreError(.notInitialised, "no store at \(path); run `renewal-recon init`") }
        if !exists {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o750])
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // Transactions span several calls (the SQL seam is async for PostgreSQL's sake);
        // `transaction(_:)` below always commits or rolls back.
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            // WAL keeps readers (status, exceptions list) off the writer's back; NORMAL sync is
            // durable at each commit under WAL except for power loss of the last commit.
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // A night's work touches millions of B-tree pages: a 64 MiB page cache (SQLite's
            // default is 2 MiB) keeps the hot index pages; the rest comes from the OS page cache.
            // No memory-mapped I/O: mapped pages would count in the job's resident memory.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Checkpoints (the only fsyncs under NORMAL) every 64 MiB of WAL rather than SQLite's
            // 4 MiB: a page written by many commits reaches the database file once per checkpoint.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
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

    /// `IMMEDIATE`: the write lock is taken at the start, so two writers never deadlock midway.
    public var beginTransaction: String { "BEGIN IMMEDIATE" }

    public func session() -> any SQLConnection { Connection(queue: queue) }

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
                close(opened)
                return false
            }
            descriptor = opened
            return true
        }
    }

    /// SQLite's default collation, BINARY, compares bytes.
    public var byteCollation: String { "" }

    public func tableExists(_ name: String) async throws -> Bool {
        try queue.inDatabase { db in try db.tableExists(name) }
    }

    private struct Connection: SQLConnection {
        let queue: DatabaseQueue

        func execute(_ sql: String, _ arguments: [SQLValue]) async throws {
            try queue.inDatabase { db in
                if arguments.isEmpty, !sql.contains("?") {
                    try db.execute(sql: sql)
                } else {
                    let statement = try db.cachedStatement(sql: sql)
                    try statement.execute(arguments: StatementArguments(arguments.map(\.databaseValue)))
                }
            }
        }

        func query(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
            try queue.inDatabase { db in
                let statement = try db.cachedStatement(sql: sql)
                let rows = try Row.fetchCursor(statement, arguments: StatementArguments(arguments.map(\.databaseValue)))
                var result: [SQLRow] = []
                while let row = try rows.next() {
                    result.append(SQLRow(values: (0..<row.count).map { SQLValue(row[$0] as DatabaseValue) }))
                }
                return result
            }
        }
    }
}

extension SQLValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .text(let text): text.databaseValue
        }
    }

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let number): self = .integer(number)
        case .string(let text): self = .text(text)
        case .double(let number): self = .text(String(number))
        case .blob(let data): self = .text(String(decoding: data, as: UTF8.self))
        }
    }
}
