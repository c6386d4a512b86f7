import Foundation
import Testing
import ReconCore
@testable import ReconStore
import ReconReports
import ReconTestSupport
@testable import renewal_recon

/// The README's first command, as a test: the samples run end to end and a second run changes nothing.
@Suite struct SamplesRunTests {
    let day = BusinessDate(iso: "2026-11-20")!

    func importedSamples(_ kind: TestStore) async throws -> TestWorkspace {
        let workspace = try await TestWorkspace.samplesCopy(store: kind)
        let importer = Importer(store: try await workspace.store(), config: try workspace.config())
        _ = try await importer.importOrders(from: workspace.url("orders.csv"))
        _ = try await importer.importLicenses(from: workspace.url("licenses.csv"), allowEarlier: false)
        return workspace
    }

    @Test(arguments: TestStore.available)
    func theSamplesShowEveryExceptionCode(_ kind: TestStore) async throws {
        let workspace = try await importedSamples(kind)
        let outcome = try await workspace.job().run(date: day)
        #expect(outcome.filesIngested == 5)
        #expect(outcome.filesRejected == 1)
        #expect(outcome.applied == 15)
        #expect(outcome.held == 14)
        let monday = try await workspace.job().run(date: BusinessDate(iso: "2026-11-23")!)
        #expect(monday.applied == 0)
        #expect(monday.sweepRaised[.noSettlementFile] == 1)

        let outputs = try workspace.outputs()
        let mails = try #require(outputs["mail/2026-11-20/completion-mails.jsonl"])
        #expect(mails.split(separator: 0x0A).count == 15)
        let feed = try #require(outputs["licenses/2026-11-20/license-extensions.jsonl"])
        #expect(feed.split(separator: 0x0A).count == 15)

        var codes = Set<Substring>()
        for report in ["reports/2026-11-20/exceptions.csv", "reports/2026-11-23/exceptions.csv"] {
            let csv = try #require(try workspace.outputs()[report])
            #expect(csv.starts(with: [0xEF, 0xBB, 0xBF]))
            let lines = String(decoding: csv.dropFirst(3), as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first == ExceptionsCSV.header.joined(separator: ","))
            codes.formUnion(lines.dropFirst().map { $0.split(separator: ",")[1] })
        }
        for code in ExceptionCode.allCases {
            #expect(codes.contains(Substring(code.rawValue)), "no \(code.rawValue) in the samples' reports")
        }
    }

    @Test(arguments: TestStore.available)
    func aSecondRunChangesNothing(_ kind: TestStore) async throws {
        let workspace = try await importedSamples(kind)
        _ = try await workspace.job().run(date: day)
        let first = try workspace.outputs()
        let second = try await workspace.job().run(date: day)
        #expect(second.applied == 0)
        #expect(second.filesIngested == 0)
        #expect(try workspace.outputs() == first)
        let store = try await workspace.store()
        #expect(try await store.outbox(on: day).count == 15)
    }

    @Test func theMailIsPlainTextAndNamesWhatTheCustomerBought() async throws {
        let workspace = try await importedSamples(.sqlite)
        _ = try await workspace.job().run(date: day)
        let mails = try #require(try workspace.outputs()["mail/2026-11-20/completion-mails.jsonl"])
        let first = try #require(mails.split(separator: 0x0A).first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(first)) as? [String: Any])
        #expect(object["schema"] as? String == "renewal-completion-mail/v1")
        #expect(object["from"] as? String == "no-reply@renewal.example.com")
        let text = try #require(object["text"] as? String)
        #expect(text.contains("「RCH*TrendMicro」または「With Reach」"))
        #expect(!text.contains("&"))
        let variables = try #require(object["variables"] as? [String: Any])
        #expect(text.contains(try #require(variables["serial"] as? String)))
        #expect(text.contains(try #require(variables["new_expires_on"] as? String)))
    }

    @Test func runCreatesAMissingStoreButOtherCommandsNeedInit() async throws {
        let workspace = try TestWorkspace()
        await #expect(throws: StoreError.self) { try await workspace.store(.existing) }
        _ = try await workspace.store(.createIfMissing)
        #expect(try await workspace.store(.existing).schemaStatus().isCurrent)
    }

    /// The workspace's SQLite file, created (without tables) and opened.
    static func newStoreFile(in workspace: TestWorkspace) throws -> SQLiteDatabase {
        try FileManager.default.createDirectory(at: workspace.url("var"), withIntermediateDirectories: true)
        return try SQLiteDatabase(path: workspace.url("var/recon.sqlite").path, create: true)
    }

    @Test func aStoreWithPendingMigrationsIsRefusedUntilInit() async throws {
        let workspace = try TestWorkspace()
        let older = SQLReconStore(database: try Self.newStoreFile(in: workspace))
        #expect(try await older.migrate(through: 2) == 2)
        await older.close()
        let error = await #expect(throws: StoreError.self) { try await workspace.store(.createIfMissing) }
        #expect(error?.description.contains("run `renewal-recon init`") == true)
        _ = try await workspace.store(.migrate)
        #expect(try await workspace.store(.existing).schemaStatus().isCurrent)
    }

    /// A store a later version migrated (a binary rolled back) is refused by every command,
    /// `init` included, with a usage error that says so, not "run init".
    @Test func aStoreNewerThanTheJobIsRefusedByEveryCommand() async throws {
        let workspace = try TestWorkspace()
        let newer = try #require(try await workspace.store(.migrate) as? SQLReconStore)
        try await newer.database.transaction { db in
            try await db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, '2027-01-01T00:00:00Z')",
                                 [.integer(Int64(Migrations.latest + 1))])
        }
        await newer.close()
        for purpose in [StoreOpener.Purpose.existing, .createIfMissing, .migrate] {
            let error = await #expect(throws: StoreError.self) { try await workspace.store(purpose) }
            #expect(error?.code == .notInitialised, "\(purpose)")
            #expect(error?.description.contains("newer than this version") == true, "\(error?.description ?? "")")
        }
    }

    /// SPEC §7: a run stopped after it created the SQLite file and before it migrated it (here,
    /// while it waited for the lock) left a file without tables; the next run creates the store
    /// in it, as in a missing file, and a reading command still refuses it.
    @Test func aFileARunCreatedButNeverMigratedIsAMissingStore() async throws {
        let workspace = try TestWorkspace()
        _ = try Self.newStoreFile(in: workspace)
        await #expect(throws: StoreError.self) { try await workspace.store(.existing) }
        #expect(try await workspace.store(.createIfMissing).schemaStatus().isCurrent)
    }

    /// A file that holds someone else's tables is not a missing store: run refuses it rather than
    /// build its schema among them.
    @Test func aFileHoldingOtherTablesIsNotTakenForAMissingStore() async throws {
        let workspace = try TestWorkspace()
        let other = SQLReconStore(database: try Self.newStoreFile(in: workspace))
        try await other.database.transaction { db in try await db.execute("CREATE TABLE customers (id INTEGER)", []) }
        await other.close()
        await #expect(throws: StoreError.self) { try await workspace.store(.createIfMissing) }
        let reopened = SQLReconStore(database: try Self.newStoreFile(in: workspace))
        #expect(try await !reopened.database.tableExists("orders"))
        await reopened.close()
    }

    /// All pending migrations commit together: one that fails leaves the store at the schema it
    /// had, not between the two.
    @Test func aFailedMigrationLeavesTheSchemaAsItWas() async throws {
        let workspace = try TestWorkspace()
        let store = SQLReconStore(database: try Self.newStoreFile(in: workspace))
        #expect(try await store.migrate(through: 2) == 2)
        // Migration 5 drops this index; gone already, it fails after 3 and 4 ran.
        try await store.database.transaction { db in try await db.execute("DROP INDEX orders_status", []) }
        await #expect(throws: (any Error).self) { try await store.migrate() }
        #expect(try await store.schemaStatus().applied == 2)
        await store.close()
    }
}
