import Foundation
import Testing
@testable import ReconCore

/// SPEC §4 boundaries, through the whole evaluation and apply.
@Suite struct RenewalBoundaryTests {
    typealias F = RuleFixtures

    static let renewals: [(current: String, target: String, allowed: Bool)] = ProductCatalog.standard.renewals.keys.sorted()
        .flatMap { current -> [(String, String, Bool)] in
            let allowed = ProductCatalog.standard.renewals[current, default: []].sorted()
            let disallowed = ProductCatalog.standard.names.keys.sorted().first { !allowed.contains($0) } ?? "NO-SUCH-PRODUCT"
            return allowed.map { (current, $0, true) } + [(current, disallowed, false)]
        }

    @Test(arguments: renewals)
    func everyAllowedRenewalAppliesAndOneDisallowedIsHeld(current: String, target: String, allowed: Bool) {
        let code = F.verdictCode(F.record(), orders: [F.order(target: target)], licenses: [F.license(product: current)])
        #expect(code == (allowed ? nil : .invalidUpgradePath))
    }

    func applied(expires: String, placed: String, years: Int = 1, booked: String) throws -> LicenseExtension {
        var ledger = Ledger(orders: [F.order(years: years, placed: placed + "T10:00:00+09:00")],
                            licenses: [F.license(expires: expires)], extensions: [])
        let outcome = Reconciler(settings: F.settings).evaluate(
            [EvaluationCandidate(record: F.record(booked: booked), fileName: nil)], ledger: &ledger,
            appliedOn: BusinessDate(iso: booked)!, appliedAt: Date(), runID: "run")
        guard case .applied(let applied, _) = try #require(outcome.first).outcome else {
            throw Failure(description: "not applied: \(outcome)")
        }
        #expect(ledger.licenses["TM-0001"]?.expiresOn == applied.newExpiresOn)
        return applied
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    @Test func expiryTheDayBeforeOnAndAfterThePlacedDate() throws {
        #expect(try applied(expires: "2026-11-09", placed: "2026-11-10", booked: "2026-11-12").newExpiresOn.description == "2027-11-10")
        #expect(try applied(expires: "2026-11-10", placed: "2026-11-10", booked: "2026-11-12").newExpiresOn.description == "2027-11-10")
        #expect(try applied(expires: "2026-11-11", placed: "2026-11-10", booked: "2026-11-12").newExpiresOn.description == "2027-11-11")
    }

    @Test func leapDayExpiryRenewsToTheTwentyEighth() throws {
        let extended = try applied(expires: "2028-02-29", placed: "2028-02-10", booked: "2028-02-12")
        #expect(extended.newExpiresOn.description == "2029-02-28")
        #expect(try applied(expires: "2028-02-29", placed: "2028-02-10", years: 3, booked: "2028-02-12")
            .newExpiresOn.description == "2031-02-28")
    }

    @Test func theProductChangesWithTheRenewal() throws {
        var ledger = Ledger(orders: [F.order(target: "TS-PRM")], licenses: [F.license()], extensions: [])
        let outcome = Reconciler(settings: F.settings).evaluate(
            [EvaluationCandidate(record: F.record(), fileName: nil)], ledger: &ledger,
            appliedOn: BusinessDate(iso: "2026-11-12")!, appliedAt: Date(), runID: "run")
        guard case .applied(let applied, _) = outcome.first?.outcome else {
            Issue.record("not applied")
            return
        }
        #expect(applied.previousProduct == "VBC")
        #expect(applied.product == "TS-PRM")
        #expect(ledger.licenses["TM-0001"]?.product == "TS-PRM")
    }

    @Test func anApplyLateInThePassLetsAnEarlierRecordPassOnTheNextPass() {
        // A catalog where X renews only to Y, and Y to Z: A (booked first) wants Z, which only
        // B's renewal to Y (booked later) makes possible. The second pass applies A, and the
        // verdicts list the applies in that order, which is how a store writes the license.
        var settings = F.settings
        settings.catalog = ProductCatalog(names: ["X": "x", "Y": "y", "Z": "z"], renewals: ["X": ["Y"], "Y": ["Z"]])
        let a = F.order("RN-A", target: "Z", placed: "2026-11-10T10:00:00+09:00")
        let b = F.order("RN-B", target: "Y", placed: "2026-11-10T11:00:00+09:00")
        var ledger = Ledger(orders: [a, b], licenses: [F.license(product: "X")], extensions: [])
        let outcomes = Reconciler(settings: settings).evaluate(
            [EvaluationCandidate(record: F.record("RN-A", id: "TX-A", booked: "2026-11-11"), fileName: nil),
             EvaluationCandidate(record: F.record("RN-B", id: "TX-B", booked: "2026-11-12"), fileName: nil)],
            ledger: &ledger, appliedOn: BusinessDate(iso: "2026-11-12")!, appliedAt: Date(), runID: "run")
        let applied = outcomes.compactMap { item -> String? in
            if case .applied(let applied, _) = item.outcome { return applied.orderID } else { return nil }
        }
        #expect(applied == ["RN-B", "RN-A"])
        #expect(outcomes.applied.last?.product == "Z")
        #expect(outcomes.applied.last?.newExpiresOn.description == "2028-12-10")
        #expect(ledger.licenses["TM-0001"]?.product == "Z")
        #expect(ledger.licenses["TM-0001"]?.expiresOn.description == "2028-12-10")
    }
}
