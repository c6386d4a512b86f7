import Foundation
import Testing
@testable import ReconCore

/// A ledger read while a commit is in progress, caught up with that commit's applies, must
/// decide the next slice as a ledger read after the commit would.
@Suite struct LedgerCatchUpTests {
    typealias F = RuleFixtures
    let appliedAt = Date(timeIntervalSince1970: 1_795_000_000)
    let today = BusinessDate(iso: "2026-11-20")!

    func evaluate(_ records: [SettlementRecord], _ ledger: inout Ledger) -> [RecordVerdict] {
        Reconciler(settings: F.settings).evaluate(records.map { EvaluationCandidate(record: $0, fileName: "f.xml") },
                                                  ledger: &ledger, appliedOn: today, appliedAt: appliedAt, runID: "r1")
    }

    @Test func aCaughtUpLedgerDecidesAsOneReadAfterTheCommit() {
        let orders = [F.order("RN-A", serial: "TM-1", placed: "2026-11-10T10:00:00+09:00"),
                      F.order("RN-B", serial: "TM-1", placed: "2026-11-11T10:00:00+09:00"),
                      F.order("RN-C", serial: "TM-2")]
        let licenses = [F.license("TM-1"), F.license("TM-2", expires: "2027-01-05")]

        // Slice 1 applies RN-A; its ledger then holds the state its commit writes.
        var first = Ledger(orders: orders, licenses: licenses, extensions: [])
        let committed = evaluate([F.record("RN-A", id: "TX-A")], &first)
        let applied = committed.applied
        #expect(applied.map(\.orderID) == ["RN-A"])
        let readAfter = Ledger(orders: Array(first.orders.values), licenses: Array(first.licenses.values),
                               extensions: applied)

        // Slice 2's ledger, read before that commit landed, and caught up.
        var caughtUp = Ledger(orders: orders, licenses: licenses, extensions: [])
        let caughtUpWhole = caughtUp.catchUp(with: applied)
        #expect(caughtUpWhole)
        #expect(caughtUp.orders == readAfter.orders)
        #expect(caughtUp.licenses == readAfter.licenses)
        #expect(caughtUp.extensions == readAfter.extensions)
        #expect(caughtUp.orders["RN-A"]?.status == .completed)
        #expect(caughtUp.licenses["TM-1"]?.expiresOn == applied.first?.newExpiresOn)

        // Read after the commit landed, catching up changes nothing: the extension is listed once.
        var landed = readAfter
        let landedWhole = landed.catchUp(with: applied)
        #expect(landedWhole)
        #expect(landed.extensions == readAfter.extensions)
        #expect(landed.orders == readAfter.orders)

        // Slice 2 settles RN-A again and RN-B (a repeat renewal of TM-1, from RN-A's new expiry).
        let slice = [F.record("RN-B", id: "TX-B", booked: "2026-11-13"), F.record("RN-A", id: "TX-A2", booked: "2026-11-13")]
        var sequential = readAfter
        let expected = evaluate(slice, &sequential)
        let decided = evaluate(slice, &caughtUp)
        #expect(decided.map(\.outcome) == expected.map(\.outcome))
        // The applies first, then the rest: TX-B applied, TX-A2 (RN-A again) held.
        guard decided.count == 2, case .applied(let renewal, let warnings) = decided[0].outcome,
              case .held(let facts) = decided[1].outcome else {
            Issue.record("not RN-B applied and RN-A held: \(decided.map(\.outcome))")
            return
        }
        #expect(facts.code == .duplicatePayment)
        #expect(renewal.orderID == "RN-B")
        #expect(renewal.previousExpiresOn == applied.first?.newExpiresOn)
        #expect(warnings.map(\.code) == [.repeatRenewal])
    }

    /// Orders RN-00 … RN-(count-1), all of one amount and placed in the window of `record`.
    func pool(_ count: Int) -> [RenewalOrder] {
        (0..<count).map { F.order(String(format: "RN-%02d", $0), serial: String(format: "TM-%02d", $0)) }
    }

    func completing(_ orders: some Sequence<RenewalOrder>) -> [LicenseExtension] {
        orders.map { order in
            LicenseExtension(orderID: order.orderID, serial: order.serial, transactionID: nil, recordID: "x",
                             previousProduct: "VBC", product: "VBC", previousExpiresOn: today, newExpiresOn: today,
                             years: 1, appliedOn: today, appliedAt: appliedAt, placedOn: today, settledOn: today, runID: "r1",
                             paid: order.amount)
        }
    }

    @Test func aPoolKeepsItsFirstFiftyPendingOrdersOrAsksToBeReadAgain() {
        let record = F.record(nil, id: "TX-NOREF")
        let amount = record.amount!
        let bookedOn = record.bookedOn!
        func ledger(_ orders: [RenewalOrder]) -> Ledger {
            Ledger(orders: orders, licenses: [], extensions: [], candidatePools: [record.recordID: orders.map(\.orderID)],
                   poolReadLimit: Ledger.caughtUpPoolLimit)
        }
        let full = pool(Ledger.caughtUpPoolLimit)

        // 50 of a cut pool completed: the next 50 are the pool a read after the commit finds.
        var caughtUp = ledger(full)
        let fiftyLeft = caughtUp.catchUp(with: completing(full.prefix(50)))
        #expect(fiftyLeft)
        #expect(caughtUp.candidates(for: record, amount: amount, bookedOn: bookedOn, settings: F.settings)
                == ["RN-50", "RN-51", "RN-52"])

        // 51 completed: fewer than 50 are left of what was read, and what follows was never read.
        var cutShort = ledger(full)
        let fortyNineLeft = cutShort.catchUp(with: completing(full.prefix(51)))
        #expect(!fortyNineLeft)

        // A pool the read found whole may lose any number.
        let whole = pool(60)
        var small = ledger(whole)
        let twoLeft = small.catchUp(with: completing(whole.prefix(58)))
        #expect(twoLeft)
        #expect(small.candidates(for: record, amount: amount, bookedOn: bookedOn, settings: F.settings) == ["RN-58", "RN-59"])

        // Not caught up, a pool read long is considered to its first 50, as one read to 50 is:
        // with the first 49 completed, only RN-49 is a candidate, not RN-50 and RN-51 after it.
        let mostlyCompleted = full.enumerated().map { index, order in
            var order = order
            if index < 49 { order.status = .completed }
            return order
        }
        #expect(ledger(mostlyCompleted).candidates(for: record, amount: amount, bookedOn: bookedOn, settings: F.settings)
                == ["RN-49"])
    }

    /// Rule 7 reads the expiry from before the first extension applied since the order was
    /// placed. Extensions applied in one slice share their second, and their order ids say
    /// nothing of which came first (here RN-2 applied before RN-1): each one's previous expiry,
    /// later than the one before it, does.
    @Test func theExpiryWhenPlacedIsFromBeforeTheFirstOfExtensionsAppliedInOneSecond() {
        let orders = [F.order("RN-2", serial: "TM-1"), F.order("RN-1", serial: "TM-1"),
                      F.order("RN-0", serial: "TM-1", placed: "2026-11-16T10:00:00+09:00")]
        var ledger = Ledger(orders: orders, licenses: [F.license("TM-1")], extensions: [])
        let applied = evaluate([F.record("RN-2", id: "TX-1"), F.record("RN-1", id: "TX-2")], &ledger).applied
        #expect(applied.map(\.orderID) == ["RN-2", "RN-1"])
        #expect(applied.map(\.appliedAt) == [appliedAt, appliedAt])

        // As a store reads them back, in whatever order.
        for stored in [applied, applied.reversed()] {
            let readBack = Ledger(orders: orders, licenses: [ledger.licenses["TM-1"]!], extensions: stored)
            #expect(readBack.extensions["TM-1"]?.map(\.orderID) == ["RN-2", "RN-1"])
            #expect(readBack.expiry(of: readBack.licenses["TM-1"]!, whenPlaced: orders[2]).description == "2026-12-10")
        }
    }
}
