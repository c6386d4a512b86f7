import Foundation
import ReconCore
import ReconStore

/// Opens the configured store, holding commands to SPEC §7's migration rule.
enum StoreOpener {
    enum Purpose {
        /// `init`: create and migrate.
        case migrate
        /// `run`: create a missing store at the current schema; refuse an outdated one.
        case createIfMissing
        /// Every other command: the store must exist at the current schema.
        case existing
    }

    static func open(_ config: ReconConfig, for purpose: Purpose) async throws -> any ReconStore {
        let store: SQLReconStore
        switch config.store {
        case .sqlite(let path):
            let missing = !FileManager.default.fileExists(atPath: path)
            let database = try SQLiteDatabase(path: path, create: purpose != .existing)
            store = SQLReconStore(database: database)
            if missing && purpose != .existing {
                try await store.migrate()
                return store
            }
        case .postgres:
            throw ConfigError("database_url: this build of renewal-recon stores in SQLite only (use sqlite:PATH)")
        }
        if purpose == .migrate {
            try await store.migrate()
            return store
        }
        let status = try await store.schemaStatus()
        guard status.isCurrent else {
            throw StoreError(.notInitialised, "the store is at schema \(status.applied) and \(status.latest - status.applied) migration(s) are pending; run `renewal-recon init`")
        }
        return store
    }
}
