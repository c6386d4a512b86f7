import Foundation
import Testing
import ReconCore
import ReconTestSupport
@testable import ReconStore

@Suite struct StoreBehaviourTests {
    let jpy = Currency(code: "JPY")!
    let day = BusinessDate(iso: "2026-11-20")!

    func record(_ id: String, ref: String = "RN-1", amount: Int64 = 5980, ordinal: Int = 0) -> SettlementRecord {
        SettlementRecord(transactionID: id, orderReference: ref, amountText: String(amount), currencyCode: "JPY",
                         amount: Money(minorUnits: amount, currency: jpy), direction: .credit, reversal: false,
                         bookedOn: BusinessDate(iso: "2026-11-12"), valueOn: nil,
                         descriptor: "RCH*TrendMicro", line: 10, ordinal: ordinal)
    }

    func batch(_ records: [SettlementRecord], sha: String = "aa") -> IngestBatch {
        IngestBatch(sha256: sha, name: "f-\(sha).xml", format: "camt.054", version: "001.08", sizeBytes: 100,
                    records: records, skippedStatus: 0, fileExceptions: [])
    }

    @Test(arguments: TestStore.available)
    func aKeyAlreadyStoredIsANoOp(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        let first = try await store.ingest(batch([record("TX-1"), record("TX-1", ordinal: 1)]), on: day, runID: "r1")
        #expect(first.added == 2)
        let again = try await store.ingest(batch([record("TX-1")], sha: "bb"), on: day, runID: "r2")
        #expect(again.added == 0)
        #expect(again.alreadyKnown == 1)
        #expect(try await store.openCandidates().count == 2)
    }

    @Test(arguments: TestStore.available)
    func sameIDAndReferenceWithOtherContentIsADuplicateSettlement(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        _ = try await store.ingest(batch([record("TX-1")]), on: day, runID: "r1")
        let corrected = try await store.ingest(batch([record("TX-1", amount: 6980)], sha: "bb"), on: day, runID: "r2")
        #expect(corrected.duplicates == 1)
        let report = try await store.exceptionReport(on: day)
        #expect(report.map(\.facts.code) == [.duplicateSettlement])
        #expect(try await store.openCandidates().count == 1)
    }

    @Test(arguments: TestStore.available)
    func aCompletedOrderIsNeverOverwrittenByAnUpsert(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        var order = RenewalOrder(orderID: "RN-1", serial: "TM-1", currentProduct: "VBC", targetProduct: "VBC", years: 1,
                                 amount: Money(minorUnits: 5980, currency: jpy), email: "a@example.com",
                                 placedAt: Timestamp(iso: "2026-11-10T10:00:00+09:00")!, status: .pending)
        try await store.save(orders: [order], licenses: [])
        try await store.database.transaction { db in
            try await db.execute("UPDATE orders SET status = 'completed' WHERE order_id = 'RN-1'", [])
        }
        order.status = .cancelled
        try await store.save(orders: [order], licenses: [])
        #expect(try await store.orders(ids: ["RN-1"])["RN-1"]?.status == .completed)
    }
}
