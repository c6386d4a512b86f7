import Foundation
import Testing
import ReconCore
@testable import ReconStore

@Suite struct MigrationTests {
    @Test(arguments: StoreFactory.allCases)
    func anEmptyStoreMigratesToTheLatestSchema(_ factory: StoreFactory) async throws {
        let (store, _) = try factory.makeEmpty()
        #expect(try await store.schemaStatus() == SchemaStatus(applied: 0, latest: Migrations.latest))
        #expect(try await store.migrate() == Migrations.all.count)
        #expect(try await store.schemaStatus().isCurrent)
    }

    @Test(arguments: StoreFactory.allCases)
    func migratingAnExistingStoreKeepsItsDataAndRunsNothingTwice(_ factory: StoreFactory) async throws {
        let (store, location) = try factory.makeEmpty()
        try await store.migrate()
        let license = License(serial: "TM-1", product: "VBC", expiresOn: BusinessDate(iso: "2027-01-01")!,
                              autoRenew: false, email: "a@example.com")
        try await store.save(orders: [], licenses: [license])
        let reopened = SQLReconStore(database: try SQLiteDatabase(path: location, create: false))
        #expect(try await reopened.migrate() == 0)
        #expect(try await reopened.licenses(serials: ["TM-1"])["TM-1"] == license)
    }

    @Test func aMissingSQLiteFileIsNotCreatedUnlessAsked() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString).sqlite").path
        #expect(throws: StoreError.self) { try SQLiteDatabase(path: path, create: false) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aStoreFromANewerVersionIsRefused() async throws {
        let (store, _) = try StoreFactory.sqlite.makeEmpty()
        try await store.migrate()
        try await store.database.transaction { db in
            try await db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'x')", [])
        }
        await #expect(throws: StoreError.self) { try await store.migrate() }
    }
}
