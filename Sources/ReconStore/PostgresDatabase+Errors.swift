import NIOCore
import PostgresNIO

/// What the job says of a failure of the server or of the connection (SPEC §6).
extension PostgresDatabase {
    /// A statement's failure as the job tells it (SPEC §6). The store is unavailable (exit 69)
    /// when the connection is lost, whichever way postgres-nio or the server reports it (a
    /// restart or failover ends the backend while a statement runs, or before postgres-nio has
    /// seen the connection close; the database dropped; an idle session ended); when the server
    /// cannot take the work (a full disk, no memory, no connection left); when it refuses the
    /// job's role (rights, a read-only server after a failover, no schema to create in), as a
    /// SQLite file the job may not write is; and when another session stood in the way (a lock
    /// held past the lock timeout, a deadlock or a serialization failure against the shop's
    /// writes, a statement cancelled or past the role's `statement_timeout`): the transaction is
    /// undone, and the job run again. Any other failure of the server is a store error (exit
    /// 70), with the server's message.
    static func storeError(_ error: any Error, at location: String) -> any Error {
        if let error = error as? PostgresError, case .connectionClosed = error { return lost(location, error) }
        if error is ChannelError { return lost(location, error, why: "\(error)") }
        guard let error = error as? PSQLError else { return error }
        if [.serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown].contains(error.code) {
            return lost(location, error)
        }
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = describe(error)
        switch state {
        case lockTimeoutState:
            return StoreError(.unavailable, """
                PostgreSQL at \(location): another session held a lock the job needs past the job's lock \
                timeout (\(message))
                """, underlying: error)
        case _ where state.hasPrefix("08") || state.hasPrefix("57P"):  // connection exception; shutdown, dropped
            return lost(location, error, why: message)
        case "57014", "40P01", "40001":  // cancelled or timed out; deadlock; serialization failure
            return StoreError(.unavailable, """
                PostgreSQL at \(location): the statement was stopped (\(message)); the job's transaction is undone, \
                run it again
                """, underlying: error)
        case _ where state.hasPrefix("53"):  // insufficient resources
            return StoreError(.unavailable, "the PostgreSQL store at \(location) cannot take the work (\(message))",
                              underlying: error)
        case "42501", "25006", "3F000":  // insufficient privilege; read-only transaction; no schema
            return StoreError(.unavailable, """
                the PostgreSQL store at \(location) refused the job's role (\(message)): the job needs a server \
                that takes writes, a schema on the role's search_path, and the rights the README lists
                """, underlying: error)
        default:
            return StoreError(.corrupt, "PostgreSQL at \(location): \(message)", underlying: error)
        }
    }

    /// The connection to the store at `location` is gone (`why`, where it was told).
    static func lost(_ location: String, _ error: (any Error)? = nil, why: String? = nil) -> StoreError {
        StoreError(.unavailable, "lost the PostgreSQL store at \(location)" + (why.map { " (\($0))" } ?? ""), underlying: error)
    }

    /// SQLSTATE `lock_not_available`: a statement waited past `lock_timeout`.
    static let lockTimeoutState = "55P03"

    static func isLockTimeout(_ error: StoreError) -> Bool {
        (error.underlying as? PSQLError)?.serverInfo?[.sqlState] == lockTimeoutState
    }

    /// The server's message when it sent one, never the query's bound values.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            switch error.code {
            case .authMechanismRequiresPassword:
                return "the server asks for a password, and RECON_DATABASE_PASSWORD is not set"
            case .connectionError:
                return error.underlying.map { "no connection: \($0)" } ?? "no connection"
            case .sslUnsupported:
                return "the server does not offer TLS, which the URL's sslmode requires"
            default:
                return "\(error.code)"
            }
        }
        if let error = error as? NoConnection { return error.description }
        return String(describing: type(of: error))
    }
}
