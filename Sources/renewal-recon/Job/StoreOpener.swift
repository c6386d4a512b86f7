import Foundation
import Logging
import ReconCore
import ReconStore

/// Opens the configured store, holding commands to SPEC §7's migration rule.
enum StoreOpener {
    enum Purpose {
        /// `init`: create and migrate.
        case migrate
        /// `run`: create a missing SQLite store at the current schema; refuse an outdated one.
        case createIfMissing
        /// Every other command: the store must exist at the current schema.
        case existing
    }

    /// Opens the store as `open` does, runs `body` with it, and closes it however `body` ends,
    /// so the job's lock is free before the command's process exits.
    static func with<T>(_ config: ReconConfig, for purpose: Purpose, lock: Int?? = nil,
                        _ body: (any ReconStore) async throws -> T) async throws -> T {
        let store = try await open(config, for: purpose, lock: lock)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    /// Opens the store, takes the job's lock first when `lock` says so (commands that change
    /// the store), then migrates or checks the schema as `purpose` says; a store it cannot
    /// hand over is closed.
    /// - Parameter lock: nil for a reading command; else how long to wait for the lock (see
    ///   `JobLock.acquire`), `.some(nil)` meaning not at all.
    static func open(_ config: ReconConfig, for purpose: Purpose, lock: Int?? = nil,
                     environment: [String: String] = ProcessInfo.processInfo.environment,
                     logger: Logger = Logger(label: "renewal-recon.store")) async throws -> any ReconStore {
        let store: SQLReconStore
        switch config.store {
        case .sqlite(let path):
            store = SQLReconStore(database: try SQLiteDatabase(path: path, create: purpose != .existing, logger: logger))
        case .postgres(let url):
            // The password never sits in the config file: RECON_DATABASE_PASSWORD.
            store = SQLReconStore(database: try await PostgresDatabase.connect(
                url: url, password: environment["RECON_DATABASE_PASSWORD"], logger: logger))
        }
        do {
            if let wait = lock { try await JobLock.acquire(store, wait: wait, where: config.storeDescription, logger: logger) }
            // For run, a store holding no table at all is missing: a SQLite file the open just
            // created, or one a run created and was stopped before it migrated (waiting for the
            // lock, say), or a database the DBA created. One holding others' tables is left alone.
            let missing = purpose == .createIfMissing ? try await store.holdsNoTables() : false
            if purpose == .migrate || missing {
                try await store.migrate()
                return store
            }
            try await store.requireCurrentSchema()
            return store
        } catch {
            await store.close()
            throw error
        }
    }
}

/// One job at a time (SPEC §6): the store's exclusive lock, waited for or not.
enum JobLock {
    /// Another process holds the lock (exit 75).
    struct Held: Error, CustomStringConvertible {
        let description: String
    }

    /// - Parameter wait: nil: fail at once; a negative number: wait forever; else seconds.
    static func acquire(_ store: any ReconStore, wait: Int?, where location: String, logger: Logger) async throws {
        let deadline = wait.flatMap { $0 < 0 ? nil : ContinuousClock.now + .seconds($0) }
        var waiting = false
        while true {
            if try await store.tryLock() { return }
            try Interruption.check()  // a run waiting for the lock stops at a signal too
            guard let wait else {
                throw Held(description: "another renewal-recon holds the lock of \(location); try again later (run and rerun can --wait)")
            }
            if wait >= 0, let deadline, ContinuousClock.now >= deadline {
                throw Held(description: "the lock of \(location) was still held after \(wait) s")
            }
            if !waiting {
                logger.info("waiting for the lock", metadata: ["store": "\(location)"])
                waiting = true
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
