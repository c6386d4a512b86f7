import Foundation
import Testing
import ReconCore
import ReconTestSupport
@testable import ReconStore

@Suite struct MigrationTests {
    @Test(arguments: TestStore.available)
    func anEmptyStoreMigratesToTheLatestSchema(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        #expect(try await store.schemaStatus() == SchemaStatus(applied: 0, latest: Migrations.latest))
        #expect(try await store.migrate() == Migrations.all.count)
        #expect(try await store.schemaStatus().isCurrent)
    }

    @Test(arguments: TestStore.available)
    func migratingAnExistingStoreKeepsItsDataAndRunsNothingTwice(_ kind: TestStore) async throws {
        let (store, location) = try await kind.makeEmpty()
        try await store.migrate()
        let license = License(serial: "TM-1", product: "VBC", expiresOn: BusinessDate(iso: "2027-01-01")!,
                              autoRenew: false, email: "a@example.com")
        try await store.save(orders: [], licenses: [license])
        let reopened = try await kind.reopen(location)
        #expect(try await reopened.migrate() == 0)
        #expect(try await reopened.licenses(serials: ["TM-1"])["TM-1"] == license)
    }

    /// PostgreSQL sorts `COLLATE "C"` only through an index in that collation: without the
    /// byte-order indexes every page of a million outputs would sort the whole day again.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func byteOrderedPagesWalkAnIndexOnPostgreSQL(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        let byte = store.database.byteCollation
        let pages = [
            "SELECT order_id FROM mail_outbox WHERE business_date = '2026-11-20' AND order_id\(byte) > 'RN' ORDER BY order_id\(byte) LIMIT 10",
            "SELECT order_id FROM license_extensions WHERE (serial\(byte), order_id\(byte)) > ('TM', 'RN') ORDER BY serial\(byte), order_id\(byte) LIMIT 10",
            "SELECT record_id FROM settlement_records WHERE record_id\(byte) > 'a' ORDER BY record_id\(byte) LIMIT 10",
            """
            SELECT order_id FROM orders WHERE status = 'pending' AND currency = 'JPY' AND amount_minor = 5980
            AND placed_at\(byte) >= '2026-11-10' AND placed_at\(byte) < '2026-11-22' ORDER BY placed_at\(byte), order_id\(byte) LIMIT 50
            """,
        ]
        try await store.database.transaction { db in
            // Forbid sorting: a plan that still sorts has no index in the right order.
            try await db.execute("SET LOCAL enable_sort = off", [])
            try await db.execute("SET LOCAL enable_seqscan = off", [])
            for sql in pages {
                let plan = try await db.query("EXPLAIN " + sql, []).map { $0.string(0) }.joined(separator: "\n")
                #expect(!plan.contains("Sort"), "\(sql)\n\(plan)")
                #expect(plan.contains("_pages"), "\(sql)\n\(plan)")
            }
        }
    }

    /// An import leaves PostgreSQL's planner knowing the table is filled (`reltuples` is -1
    /// until a table is first analysed, and ANALYZE sets it in the catalog at once).
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func anImportRefreshesThePlannersStatisticsOnPostgreSQL(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        func estimate() async throws -> Int64? {
            try await store.database.read { db in
                try await db.query("SELECT reltuples::bigint FROM pg_class WHERE relname = 'licenses'", []).first?.int(0)
            }
        }
        #expect(try await estimate() == -1)
        let licenses = (1...3).map { License(serial: "TM-\($0)", product: "VBC", expiresOn: BusinessDate(iso: "2027-01-01")!,
                                             autoRenew: false, email: "a@example.com") }
        try await store.save(orders: [], licenses: licenses)
        #expect(try await estimate() == 3)
    }

    @Test func aMissingSQLiteFileIsNotCreatedUnlessAsked() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString).sqlite").path
        #expect(throws: StoreError.self) { try SQLiteDatabase(path: path, create: false) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aStoreFromANewerVersionIsRefused() async throws {
        let (store, _) = try await TestStore.sqlite.makeEmpty()
        try await store.migrate()
        try await store.database.transaction { db in
            try await db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'x')", [])
        }
        await #expect(throws: StoreError.self) { try await store.migrate() }
    }
}

@Suite struct StoreAvailabilityTests {
    @Test func postgresIsTestedWhereRequired() {
        if ProcessInfo.processInfo.environment["RECON_REQUIRE_POSTGRES"] == "1" {
            #expect(TestStore.serverURL != nil, "RECON_REQUIRE_POSTGRES=1 but RECON_TEST_POSTGRES_URL is not set")
            #expect(TestStore.available.contains(.postgres))
        }
    }

    @Test(arguments: TestStore.available)
    func aSecondLockerIsRefusedUntilTheFirstGoes(_ kind: TestStore) async throws {
        let (first, location) = try await kind.makeEmpty()
        #expect(try await first.tryLock())
        #expect(try await first.tryLock(), "the holder may ask again")
        if kind == .postgres {
            let second = try await kind.reopen(location)
            #expect(try await !second.tryLock())
        }
    }
}
