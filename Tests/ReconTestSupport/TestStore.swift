import Foundation
import Logging
import ReconStore

/// The stores every store-touching test runs against: SQLite always, PostgreSQL when
/// `RECON_TEST_POSTGRES_URL` names a server (scripts/test starts a throwaway one and sets
/// `RECON_REQUIRE_POSTGRES=1`, so there it is never skipped).
public enum TestStore: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres

    public var description: String { rawValue }

    public static var serverURL: String? { ProcessInfo.processInfo.environment["RECON_TEST_POSTGRES_URL"] }

    /// The stores to test here.
    public static var available: [TestStore] {
        if serverURL == nil, ProcessInfo.processInfo.environment["RECON_REQUIRE_POSTGRES"] != "1" {
            print("note: RECON_TEST_POSTGRES_URL is not set; PostgreSQL tests are skipped (scripts/test runs them)")
            return [.sqlite]
        }
        // Listed even without a URL when required, so that the tests fail instead of skipping.
        return [.sqlite, .postgres]
    }

    /// A new empty database on the test server, as a `database_url`.
    public static func freshPostgresDatabase() async throws -> String {
        guard let url = serverURL, var components = URLComponents(string: url) else {
            throw StoreError(.unavailable, "RECON_TEST_POSTGRES_URL is not set, but PostgreSQL tests are required")
        }
        let name = "recon_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try await PostgresDatabase.connect(url: url, password: nil, logger: Logger(label: "test"))
        try await admin.read { db in try await db.execute("CREATE DATABASE \(name)", []) }
        await admin.close()
        components.path = "/" + name
        return components.string ?? url
    }

    /// A new, empty store of this kind, not yet migrated, and its location.
    public func makeEmpty() async throws -> (store: SQLReconStore, location: String) {
        switch self {
        case .sqlite:
            let folder = Scratch.path("recon-store")
            let path = folder.appendingPathComponent("recon.sqlite").path
            return (SQLReconStore(database: try SQLiteDatabase(path: path, create: true)), path)
        case .postgres:
            let url = try await Self.freshPostgresDatabase()
            return (SQLReconStore(database: try await PostgresDatabase.connect(url: url, password: nil, logger: Logger(label: "test"))), url)
        }
    }

    /// Opens the store at `location` again (a second process would).
    public func reopen(_ location: String) async throws -> SQLReconStore {
        switch self {
        case .sqlite: SQLReconStore(database: try SQLiteDatabase(path: location, create: false))
        case .postgres: SQLReconStore(database: try await PostgresDatabase.connect(url: location, password: nil, logger: Logger(label: "test")))
        }
    }
}
