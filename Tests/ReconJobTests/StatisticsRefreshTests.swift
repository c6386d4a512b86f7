import Foundation
import Testing
import ReconCore
@testable import ReconStore
import ReconTestSupport
@testable import renewal_recon

@Suite struct StatisticsRefreshTests {
    /// A run refreshes PostgreSQL's statistics of the tables it grows while it grows them (the
    /// planner otherwise reads a table analysed nearly empty whole for each batch of ids), not
    /// only once each phase is over. Counted by the server (`analyze_count`), on a day made
    /// small by refreshing from the first row.
    @Test func aRunRefreshesTheStatisticsOfWhatItGrowsAsItGoes() async throws {
        guard TestStore.available.contains(.postgres) else {
            print("note: PostgreSQL is not available; the statistics refresh test is skipped")
            return
        }
        let shop = try await Shop(store: .postgres)
        let ids = (1...4).map { "RN-\($0)" }
        for (index, id) in ids.enumerated() {
            try await shop.importOrders(Shop.orderRow(id, serial: "TM-\(index)"))
        }
        try await shop.importLicenses((0..<4).map { Shop.licenseRow("TM-\($0)") }.joined())
        try shop.deliver([.init(id: "TX-1", ref: "RN-1"), .init(id: "TX-2", ref: "RN-2")], as: "a.xml")
        try shop.deliver([.init(id: "TX-3", ref: "RN-3"), .init(id: "TX-4", ref: "RN-4")], as: "b.xml")
        let store = try #require(try await shop.store() as? SQLReconStore)
        func analyses() async throws -> [String: Int64] {
            try await store.database.read { db in
                try await db.query("""
                    SELECT relname, analyze_count FROM pg_stat_user_tables
                    WHERE relname IN ('settlement_records', 'license_extensions')
                    """, []).reduce(into: [:]) { $0[$1.string(0)] = $1.int(1) }
            }
        }
        let before = try await analyses()
        var job = try await shop.job()
        job.statisticsFrom = 1
        let outcome = try await job.run(date: shop.today)
        #expect(outcome.applied == 4)
        let after = try await analyses()
        // Each table is analysed whole after ingest and after evaluation (two). Records are
        // analysed besides after each file, as their count reaches 1, 2, 4…: two files of two;
        // extensions after the one slice that applied them.
        #expect(after["settlement_records"]! - before["settlement_records"]! == 4)
        #expect(after["license_extensions"]! - before["license_extensions"]! == 3)
    }
}
