import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// The production store: PostgreSQL through postgres-nio, over one session that does every
/// write and holds the advisory lock (a batch job needs no pool), and a second connection,
/// opened on first use, for the reads of `onCommittedStateReader`.
public final class PostgresDatabase: SQLDatabase {
    private let connection: PostgresConnection
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    /// How long a statement waits for a lock another session holds (`lock_timeout`), in ms.
    private let lockTimeoutMilliseconds: Int
    /// `ANALYZE (SKIP_LOCKED)`, from PostgreSQL 12 (`refreshStatistics`); read once, at connect.
    private let analyzeOptions: String
    /// Where the store is, for messages: the URL without any password.
    public let location: String
    /// The second connection, of `onCommittedStateReader`.
    private let reader: CommittedStateReader<PostgresConnection>

    private init(connection: PostgresConnection, configuration: PostgresConnection.Configuration, logger: Logger,
                 lockTimeoutMilliseconds: Int, serverVersion: Int64, location: String) {
        self.connection = connection
        self.configuration = configuration
        self.logger = logger
        self.lockTimeoutMilliseconds = lockTimeoutMilliseconds
        self.analyzeOptions = serverVersion >= 120_000 ? "(SKIP_LOCKED) " : ""
        self.location = location
        self.reader = CommittedStateReader(logger: logger)
    }

    /// Connects to `url` (`postgres://user@host:port/db?sslmode=require`), with the password
    /// from `password` (`RECON_DATABASE_PASSWORD`). A statement that waits longer than
    /// `lockTimeout` for a lock another session holds fails as the store unavailable.
    /// - Throws: `StoreError(.unavailable)` within seconds when the server cannot be reached.
    public static func connect(url: String, password: String?, logger: Logger,
                               lockTimeout: Duration = .seconds(5)) async throws -> PostgresDatabase {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw StoreError(.notInitialised, "database_url '\(redacted(url))' is not postgres://user@host:port/db")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let user = components.user ?? "postgres"
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let location = "postgres://\(user)@\(host):\(components.port ?? 5432)/\(database)"
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case "disable", "allow", "prefer":
            tls = .disable
        case "require":
            // libpq's `require`: encrypted, the certificate not verified.
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tls = .require(try NIOSSLContext(configuration: configuration))
        case "verify-ca", "verify-full":
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default:
            throw StoreError(.notInitialised, "database_url: sslmode '\(sslMode)' is not supported")
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: user,
            password: password, database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        let connection: PostgresConnection
        do {
            connection = try await open(configuration, id: 1, logger: logger)
        } catch {
            throw StoreError(.unavailable, "cannot reach the PostgreSQL store at \(location): \(Self.describe(error))")
        }
        let milliseconds = Int(lockTimeout / .milliseconds(1))
        let version: Int64
        do {
            let session = Session(connection: connection, logger: logger, location: location)
            try await configure(session, lockTimeoutMilliseconds: milliseconds)
            version = try await session.query("SELECT CAST(current_setting('server_version_num') AS integer)", []).first?.int(0) ?? 0
        } catch {
            try? await connection.close()
            throw error
        }
        return PostgresDatabase(connection: connection, configuration: configuration, logger: logger,
                                lockTimeoutMilliseconds: milliseconds, serverVersion: version, location: location)
    }

    /// The settings of each connection:
    /// - `lock_timeout`: a table another session locks (a `LOCK TABLE`, a `VACUUM FULL`, a
    ///   migration by hand) or a row it holds would otherwise keep the nightly job waiting
    ///   without end; past the timeout the statement fails (SQLSTATE 55P03), and the job exits
    ///   69, its transaction undone, as a SQLite store locked for 5 s does.
    /// - `client_connection_check_interval`: a job killed in a statement (waiting on a lock,
    ///   say) leaves its backend running it, and holding the job's advisory lock, until the
    ///   statement ends: the next run found the lock taken. From PostgreSQL 14 the backend looks
    ///   at its client every second while a statement runs and ends with it; before, the
    ///   setting is not there, and the statement sets nothing.
    private static func configure(_ connection: any SQLConnection, lockTimeoutMilliseconds: Int) async throws {
        _ = try await connection.query("""
            SELECT set_config(name, CASE name WHEN 'lock_timeout' THEN ? ELSE '1000' END, false) FROM pg_settings
            WHERE name IN ('lock_timeout', 'client_connection_check_interval')
            """, [.text("\(lockTimeoutMilliseconds)")])
    }

    /// The lock is released by the server before the connection closes: a session's
    /// advisory locks otherwise outlive it until its backend has noticed the disconnection.
    public func close() async {
        _ = try? await session().query("SELECT pg_advisory_unlock_all()", [])
        try? await connection.close()
        if let opened = reader.opened { try? await opened.close() }
    }

    /// postgres-nio wants a connection closed before it goes away; the last reference to a
    /// store is dropped on a task thread, never on the connection's event loop.
    deinit {
        for opened in [connection] + [reader.opened].compactMap({ $0 }) {
            if opened.eventLoop.inEventLoop {
                opened.close().whenComplete { _ in }
            } else {
                try? opened.close().wait()
            }
        }
    }

    public var beginTransaction: String { "BEGIN" }

    public let rehearsal = RehearsalState()

    /// The record id: a row's physical address changes as it is updated.
    public var recordRowKey: RecordRowKey { .recordID }

    /// Not logged: the queue is rebuilt by every run, and the server empties it after a crash.
    public var evaluationQueueScope: String { "UNLOGGED" }

    public var byteCollation: String { " COLLATE \"C\"" }

    public var waitingForLocksWithoutTimeout: (begin: String, end: String)? {
        ("SET LOCAL lock_timeout = 0", "SET LOCAL lock_timeout = \(lockTimeoutMilliseconds)")
    }

    /// `ANALYZE`: a table filled since autovacuum last looked is planned as if empty, and a
    /// keyset page then sorts the whole day instead of walking its index. A table another
    /// session holds (an autovacuum against wraparound, which does not give way, can take hours)
    /// keeps its statistics: they only speed the job, and waiting would end it at the lock
    /// timeout (`SKIP_LOCKED`, PostgreSQL 12 and later).
    public func refreshStatistics(of tables: [String]) async throws {
        try await session().execute("ANALYZE " + analyzeOptions + tables.joined(separator: ", "), [])
    }

    /// A read-only `REPEATABLE READ` transaction on the second connection: one snapshot of the
    /// commits made before its first statement, however many land meanwhile. nil if that
    /// connection is reading already (its transaction is its own) or cannot be opened.
    public func onCommittedStateReader<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T? {
        try await reader.lend(opening: openReader) { connection in
            let reading = Session(connection: connection, logger: logger, location: location)
            do {
                return try await reading.enclosing("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", closing: "COMMIT",
                                                   undoing: ["ROLLBACK"]) { try await body(reading) }
            } catch let error as StoreError where error.code == .unavailable && !Self.isLockTimeout(error) {
                // The connection is gone (a restart, a terminated backend, an idle timeout): this
                // read is dropped, and the job reads on its session from here on. (A lock held
                // past the timeout is no lost connection: it ends the job as on the session.)
                reader.giveUp(lost: error)
                try? await connection.close()
                return nil
            }
        }
    }

    /// A second connection; throws the server's reason if it refuses one (`max_connections`, a
    /// role's connection limit, a pooler in session mode).
    private func openReader() async throws -> PostgresConnection {
        do {
            let opened = try await Self.open(configuration, id: 2, logger: logger)
            do {
                try await Self.configure(Session(connection: opened, logger: logger, location: location),
                                         lockTimeoutMilliseconds: lockTimeoutMilliseconds)
            } catch {
                try? await opened.close()
                throw error
            }
            return opened
        } catch {
            throw StoreError(.unavailable, Self.describe(error), underlying: error)
        }
    }

    public func session() -> any SQLConnection { Session(connection: connection, logger: logger, location: location) }

    /// Whether postgres-nio has seen the session's connection close (for tests that end its
    /// backend: statements on it are refused only once it has).
    var sessionIsClosed: Bool { connection.isClosed }

    /// The catalog's tables, not `information_schema`'s, which lists only the tables the role
    /// has rights on: a schema holding another application's tables looked empty to the job's
    /// role, which then made its store among them.
    public func tableExists(_ name: String) async throws -> Bool {
        let rows = try await session()
            .query("SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?", [.text(name)])
        return (rows.first?.int(0) ?? 0) > 0
    }

    public func tableCount() async throws -> Int {
        let rows = try await session().query("""
            SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()
            """, [])
        return Int(rows.first?.int(0) ?? 0)
    }

    /// The schema on the role's `search_path`, its `CREATE` right there, and the owner of a
    /// `table` already there (only its owner, or a member of the owner's role, drops it).
    public func whyTableCannotBeMade(_ table: String) async throws -> String? {
        let row = try await session().query("""
            SELECT current_schema(),
                   CASE WHEN has_schema_privilege(current_schema(), 'CREATE') THEN 1 ELSE 0 END,
                   (SELECT tableowner FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?
                    AND NOT pg_has_role(tableowner, 'USAGE'))
            """, [.text(table)]).first
        guard let schema = row?.text(0) else {
            return "no schema on the role's search_path exists (set search_path, or create the schema)"
        }
        if row?.int(1) != 1 { return "the role may not create tables in schema \(schema) (GRANT CREATE ON SCHEMA \(schema))" }
        if let owner = row?.text(2) { return "\(schema).\(table) belongs to role \(owner), and only its owner may drop it" }
        return nil
    }

    /// A session-level advisory lock: it dies with the connection, so with the process. One per
    /// schema: advisory locks are the database's, and two stores in two schemas of one database
    /// (two roles, each with its own `search_path`) are two jobs that may run at once. With no
    /// schema on the `search_path` (NULL), the lock is taken all the same, and the store's first
    /// statement says what is missing, where "another run holds the lock" would mislead.
    public func tryLock() async throws -> Bool {
        let rows = try await session().query("""
            SELECT CASE WHEN pg_try_advisory_lock(CAST(? AS integer), COALESCE(hashtext(current_schema()), 0)) THEN 1 ELSE 0 END
            """, [.integer(Self.lockClass)])
        return rows.first?.int(0) == 1
    }

    /// "recn", the first half of the lock's key, shared by every process of the job; the second
    /// half is the store's schema.
    static let lockClass: Int64 = 0x7265_636e

    private struct Session: SQLConnection {
        let connection: PostgresConnection
        let logger: Logger
        let location: String

        func execute(_ sql: String, _ arguments: [SQLValue]) async throws {
            try await forEachRow(sql, arguments) { _ in }
        }

        /// postgres-nio streams the rows, asking the server for more as they are consumed.
        func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (SQLRow) throws -> Void) async throws {
            var bindings = PostgresBindings(capacity: arguments.count)
            for argument in arguments {
                switch argument {
                case .null: bindings.appendNull()
                case .integer(let number): bindings.append(number)
                case .text(let text): bindings.append(text)
                }
            }
            try await mappingErrors {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: PostgresDatabase.numbered(sql), binds: bindings),
                                                      logger: logger)
                for try await row in rows {
                    try body(SQLRow(values: try row.map(PostgresDatabase.value)))
                }
            }
        }

        /// `COPY … FROM STDIN` in its text format, streamed a mebibyte at a time: one round
        /// trip for the whole list, and none of the parsing and planning that a statement of
        /// many rows costs each time. A refused row fails the `COPY` (and the transaction).
        func insertRows(into table: String, columns: [String], rows: [[SQLValue]]) async throws {
            guard !rows.isEmpty else { return }
            try await mappingErrors {
                try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                    var buffer = ByteBuffer()
                    buffer.reserveCapacity(1 << 20)
                    for row in rows {
                        for (index, value) in row.enumerated() {
                            if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                            switch value {
                            case .null: buffer.writeStaticString("\\N")
                            case .integer(let number): buffer.writeString(String(number))
                            case .text(let text): Self.writeCopyText(text, to: &buffer)
                            }
                        }
                        buffer.writeInteger(UInt8(ascii: "\n"))
                        if buffer.readableBytes >= 1 << 20 {
                            try await writer.write(buffer)
                            buffer.clear()
                        }
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                }
            }
        }

        /// Text as `COPY`'s text format reads it: a backslash, tab, line feed or carriage
        /// return escaped with a backslash; every other byte as it is.
        private static func writeCopyText(_ text: String, to buffer: inout ByteBuffer) {
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
                case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
                case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
                default: buffer.writeInteger(byte)
                }
            }
        }

        /// A failure as `PostgresDatabase.storeError` tells it. A statement sent on a connection
        /// already closed (the server restarted, or ended the backend) can wait forever in
        /// postgres-nio (vapor/postgres-nio#487, reverted in #501), so it is refused before it
        /// is sent.
        private func mappingErrors(_ body: () async throws -> Void) async throws {
            guard !connection.isClosed else { throw PostgresDatabase.lost(location) }
            do {
                try await body()
            } catch let error as StoreError {
                throw error
            } catch {
                throw PostgresDatabase.storeError(error, at: location)
            }
        }
    }

    /// `?` placeholders as PostgreSQL's `$1`, `$2`, …; text inside quotes is left alone.
    static func numbered(_ sql: String) -> String {
        var out = ""
        var number = 0
        var quoted = false
        for character in sql {
            if character == "'" { quoted.toggle() }
            if character == "?" && !quoted {
                number += 1
                out += "$\(number)"
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid:
            return .integer(try cell.decode(Int64.self))
        case .bool:
            return .integer(try cell.decode(Bool.self) ? 1 : 0)
        default:
            return .text(try cell.decode(String.self))
        }
    }

    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "postgres://…" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "postgres://…"
    }
}
