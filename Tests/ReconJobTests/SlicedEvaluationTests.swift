import Foundation
import Testing
import ReconCore
import ReconTestSupport
@testable import renewal_recon

/// A day evaluated in slices, each slice's ledger read beside the commit of the slice before
/// (SQLite's second connection), ends as the same day read after each commit.
@Suite struct SlicedEvaluationTests {
    struct Day: CustomStringConvertible, Sendable {
        var description: String
        var slice: Int
        var licenses: [String]
        var orders: [String]
        var settlements: [Shop.Settlement]
    }

    /// Two orders on each of four serials, settled in slices of two, each slice leaning on the
    /// commit just before it: a license extended in one slice is extended again in the next, an
    /// order completed in one is settled again in the next, and a settlement without reference
    /// finds the one of two orders of its amount that the slice before did not complete.
    static let chained: Day = {
        let serials = (0..<4).map { "TM-\($0)" }
        var orders = serials.flatMap { serial in
            [Shop.orderRow("RN-\(serial)-A", serial: serial, placed: "2026-11-10"),
             Shop.orderRow("RN-\(serial)-B", serial: serial, placed: "2026-11-12")]
        }
        orders += [Shop.orderRow("RN-P0", serial: "TM-P0", amount: 6980, placed: "2026-11-11"),
                   Shop.orderRow("RN-P1", serial: "TM-P1", amount: 6980, placed: "2026-11-11")]
        func settled(_ id: String, _ ref: String?, amount: Int = 5980) -> Shop.Settlement {
            Shop.Settlement(id: id, ref: ref, amount: amount, booked: "2026-11-14")
        }
        return Day(description: "chained", slice: 2,
                   licenses: (serials + ["TM-P0", "TM-P1"]).map { Shop.licenseRow($0) }, orders: orders,
                   settlements: [settled("TX-01", "RN-P0", amount: 6980), settled("TX-02", "RN-TM-0-A"),
                                 settled("TX-03", nil, amount: 6980), settled("TX-04", "RN-TM-0-B"),
                                 settled("TX-05", "RN-TM-0-B"), settled("TX-06", "RN-TM-1-A"),
                                 settled("TX-07", "RN-TM-1-B"), settled("TX-08", "RN-TM-2-A"),
                                 settled("TX-09", "RN-TM-2-B"), settled("TX-10", "RN-TM-3-A", amount: 5000),
                                 settled("TX-11", "RN-TM-3-B"), settled("TX-12", "RN-TM-3-B")])
    }()

    /// A settlement without reference after a slice that completes 60 of the 100 orders its
    /// candidate pool reads: fewer than 50 are left of what was read, so its ledger is read again.
    static let poolCutShort: Day = {
        let serials = (0..<120).map { String(format: "TM-%03d", $0) }
        return Day(description: "pool cut short", slice: 60,
                   licenses: serials.map { Shop.licenseRow($0) },
                   orders: serials.map { Shop.orderRow("RN-\($0)", serial: $0) },
                   settlements: (0..<60).map { Shop.Settlement(id: String(format: "TX-%03d", $0), ref: "RN-\(serials[$0])",
                                                               booked: "2026-11-14") }
                       + [Shop.Settlement(id: "TX-999", ref: nil, booked: "2026-11-14")])
    }()

    static let arguments = TestStore.available.flatMap { kind in [chained, poolCutShort].map { (kind, $0) } }

    func run(_ day: Day, on kind: TestStore, besideCommits: Bool) async throws
        -> (state: [String], outputs: [String: Data], outcome: RunOutcome, queueLeft: Int?) {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(day.licenses.joined())
        try await shop.importOrders(day.orders.joined())
        try shop.deliver(day.settlements, as: "day.xml")
        var job = try await shop.job()
        job.evaluationSlice = day.slice
        job.readsBesideCommits = besideCommits
        let outcome = try await job.run(date: BusinessDate(iso: "2026-11-14")!)
        let store = try await shop.store()
        return (try await BusinessState.dump(store), try shop.workspace.outputs(), outcome,
                try await BusinessState.queueRowsLeft(store))
    }

    @Test(arguments: arguments)
    func aDayReadBesideItsCommitsEndsAsOneReadAfterThem(kind: TestStore, day: Day) async throws {
        let after = try await run(day, on: kind, besideCommits: false)
        let beside = try await run(day, on: kind, besideCommits: true)
        #expect(beside.state == after.state)
        #expect(beside.outputs == after.outputs)
        #expect(beside.outcome.applied == after.outcome.applied)
        #expect(beside.outcome.heldByCode == after.outcome.heldByCode)
        #expect(after.outcome.slicesReadBesideCommits == 0)
        // The queue is a table of the store, which the reader reads; emptied once the day is
        // evaluated.
        #expect(beside.queueLeft == 0)
        if day.description == "chained" {
            // RN-P0, and the A and B orders of TM-0 to TM-2 and TM-3-B; held: TX-03 without
            // reference (RN-P1 its one candidate), TX-05 and TX-12 paying completed orders again,
            // TX-10 short.
            #expect(after.outcome.applied == 8)
            #expect(after.outcome.heldByCode == [.missingReference: 1, .duplicatePayment: 2, .amountMismatch: 1])
            // Five slices follow the first, and one follows the first of the second round (its
            // four held records, none held over a license, so that round records them), each
            // read on the store's second connection.
            #expect(beside.outcome.slicesReadBesideCommits == 6)
        } else {
            #expect(after.outcome.applied == 60)
        }
    }
}
