import Foundation
import Testing
@testable import ReconCore

@Suite struct RenewalRulesTests {
    typealias F = RuleFixtures

    @Test(arguments: [("2026-11-09", ExceptionCode?.some(.settledBeforeOrder)), ("2026-11-10", nil),
                      ("2026-11-15", nil), ("2026-11-16", .some(.lateSettlement))])
    func theWindowIsZeroToFiveDays(booked: String, expected: ExceptionCode?) {
        #expect(F.verdictCode(F.record(booked: booked)) == expected)
    }

    @Test func aLateSettlementAppliesWithAWarningUnderApplyPolicy() {
        var settings = F.settings
        settings.appliesLateSettlements = true
        let verdict = RenewalRules(settings: settings).evaluate(
            F.record(booked: "2026-11-16"), fileName: nil,
            ledger: Ledger(orders: [F.order()], licenses: [F.license()], extensions: []))
        #expect(verdict == .apply(order: F.order(), lagDays: 6, lateWarning: true))
    }

    @Test func foreignDescriptorsAreNotOurs() {
        let record = F.record(descriptor: "AMAZON MKTPLACE JP")
        let ledger = Ledger(orders: [F.order()], licenses: [F.license()], extensions: [])
        #expect(RenewalRules(settings: F.settings).evaluate(record, fileName: nil, ledger: ledger) == .foreign)
    }

    /// Descriptors that match the same records share a fingerprint: the store keeps it with
    /// each foreign record, which is evaluated again only under another.
    @Test func descriptorsThatMatchAlikeShareAFingerprint() {
        let configured = DescriptorMatcher(descriptors: ["RCH*TrendMicro", "With Reach"]).fingerprint
        #expect(configured.count == 16 && configured.allSatisfy(\.isHexDigit))
        #expect(DescriptorMatcher(descriptors: ["with   reach", "ＲＣＨ＊ＴｒｅｎｄＭｉｃｒｏ", "rch*trendmicro", " "]).fingerprint
                == configured)
        #expect(DescriptorMatcher(descriptors: ["RCH*TrendMicro"]).fingerprint != configured)
        #expect(DescriptorMatcher(descriptors: ["RCH*TrendMicro", "With", "Reach"]).fingerprint != configured)
        #expect(DescriptorMatcher(descriptors: ["RCH*TrendMicro", "WithReach"]).fingerprint != configured)
    }

    @Test func fullWidthDescriptorCountsAsOurs() {
        let matcher = DescriptorMatcher(descriptors: ["RCH*TrendMicro", "With Reach"])
        #expect(matcher.matches("ＲＣＨ＊ＴｒｅｎｄＭｉｃｒｏ ＲＮ20261110-0001"))
        #expect(matcher.matches("rch*trendmicro rn20261120-0001"))
        #expect(matcher.matches("Paid  With\tReach"))
        #expect(!matcher.matches("RCH*TrendMicroX"))
        #expect(!matcher.matches("WithReach"))
    }

    /// SPEC §4 rule 1 case-folds, which lowercasing does not: `ß` folds to `ss`, a final `ς` to `σ`.
    @Test func descriptorsAreCaseFoldedNotOnlyLowercased() {
        let matcher = DescriptorMatcher(descriptors: ["STRASSE Shop", "ΟΔΟΣ"])
        #expect(matcher.matches("Straße shop RN-A0000001"))
        #expect(matcher.matches("οδος RN-A0000002"))
        #expect(matcher.matches("strasse SHOP"))
        #expect(!matcher.matches("Strase shop"))
        #expect(DescriptorMatcher(descriptors: ["Straße"]).fingerprint == DescriptorMatcher(descriptors: ["STRASSE"]).fingerprint)
    }

    @Test func applyingExtendsTheLicenseAndCompletesTheOrder() throws {
        var ledger = Ledger(orders: [F.order()], licenses: [F.license()], extensions: [])
        let outcomes = Reconciler(settings: F.settings).evaluate(
            [EvaluationCandidate(record: F.record(), fileName: "f.xml")], ledger: &ledger,
            appliedOn: BusinessDate(iso: "2026-11-20")!, appliedAt: Date(), runID: "run-1")
        guard case .applied(let applied, let warnings) = try #require(outcomes.first).outcome else {
            Issue.record("expected an apply, got \(outcomes)")
            return
        }
        #expect(applied.previousExpiresOn.description == "2026-12-10")
        #expect(applied.newExpiresOn.description == "2027-12-10")
        #expect(warnings.isEmpty)
        #expect(ledger.orders["RN20261110-0001"]?.status == .completed)
        #expect(ledger.licenses["TM-0001"]?.expiresOn.description == "2027-12-10")
    }

    @Test func aSecondSettlementForACompletedOrderIsADuplicatePayment() {
        var ledger = Ledger(orders: [F.order()], licenses: [F.license()], extensions: [])
        let outcomes = Reconciler(settings: F.settings).evaluate(
            [EvaluationCandidate(record: F.record(id: "TX-2", booked: "2026-11-13"), fileName: nil),
             EvaluationCandidate(record: F.record(id: "TX-1", booked: "2026-11-12"), fileName: nil)],
            ledger: &ledger, appliedOn: BusinessDate(iso: "2026-11-20")!, appliedAt: Date(), runID: "run-1")
        let codes = outcomes.map { outcome -> String in
            switch outcome.outcome {
            case .applied: "applied"
            case .held(let facts): facts.code.rawValue
            case .foreign: "foreign"
            }
        }
        #expect(codes == ["applied", "duplicate_payment"])
    }

    @Test func aRenewalPlacedBeforeAnExtensionIsJudgedOnTheExpiryAsItStood() {
        // Two orders for one serial: once the first applies, the license runs to 2027-12-10,
        // but the second order was placed when it still ran to 2026-12-10 (not too early).
        let first = F.order("RN-A", placed: "2026-11-10T10:00:00+09:00")
        let second = F.order("RN-B", placed: "2026-11-12T10:00:00+09:00")
        var ledger = Ledger(orders: [first, second], licenses: [F.license()], extensions: [])
        let outcomes = Reconciler(settings: F.settings).evaluate(
            [EvaluationCandidate(record: F.record("RN-A", id: "TX-A", booked: "2026-11-12"), fileName: nil),
             EvaluationCandidate(record: F.record("RN-B", id: "TX-B", booked: "2026-11-13"), fileName: nil)],
            ledger: &ledger, appliedOn: BusinessDate(iso: "2026-11-20")!, appliedAt: Date(), runID: "run-1")
        guard case .applied(let applied, let warnings) = outcomes[1].outcome else {
            Issue.record("expected the second order to apply, got \(outcomes[1].outcome)")
            return
        }
        #expect(applied.newExpiresOn.description == "2028-12-10")
        #expect(warnings.map(\.code) == [.repeatRenewal])
    }

    @Test func moneyOutIsHeldAgainstTheOrder() {
        #expect(F.verdictCode(F.record(direction: .debit)) == .refundOrChargeback)
        #expect(F.verdictCode(F.record(reversal: true)) == .refundOrChargeback)
    }

    @Test func referenceAndOrderStateChecks() {
        #expect(F.verdictCode(F.record(nil)) == .missingReference)
        #expect(F.verdictCode(F.record("RN-NOPE")) == .unknownOrder)
        #expect(F.verdictCode(F.record(), orders: [F.order(status: .cancelled)]) == .orderNotPending)
        #expect(F.verdictCode(F.record(), orders: [F.order(status: .completed)]) == .duplicatePayment)
    }

    @Test func amountAndCurrencyChecks() {
        #expect(F.verdictCode(F.record(currency: "USD")) == .currencyMismatch)
        #expect(F.verdictCode(F.record(amount: 5979)) == .amountMismatch)
        var tolerant = F.settings
        tolerant.amountToleranceMinor = 1
        #expect(F.verdictCode(F.record(amount: 5979), settings: tolerant) == nil)
        #expect(F.verdictCode(F.record(amount: 5978), settings: tolerant) == .amountMismatch)
    }

    @Test func licenseChecks() {
        #expect(F.verdictCode(F.record(), licenses: []) == .licenseNotFound)
        // Placed 2026-11-10: expired exactly two years before is still renewable, a day more is not.
        #expect(F.verdictCode(F.record(), licenses: [F.license(expires: "2024-11-10")]) == nil)
        #expect(F.verdictCode(F.record(), licenses: [F.license(expires: "2024-11-09")]) == .licenseNotRenewable)
        // 180 days after the placed date is the limit.
        #expect(F.verdictCode(F.record(), licenses: [F.license(expires: "2027-05-09")]) == nil)
        #expect(F.verdictCode(F.record(), licenses: [F.license(expires: "2027-05-10")]) == .renewalTooEarly)
    }

    /// A license that "never expires" (9999-12-31) cannot be renewed: its new expiry would
    /// leave the calendar. Held as too early even where support waives that check, so that no
    /// mail tells the customer of an extension that extends nothing.
    @Test func aRenewalPastTheCalendarsEndIsHeldEvenWhenWaived() throws {
        let forever = [F.license(expires: "9999-12-31")]
        let ledger = Ledger(orders: [F.order()], licenses: forever, extensions: [])
        let rules = RenewalRules(settings: F.settings)
        guard case .held(let facts) = rules.evaluate(F.record(), fileName: "f.xml", ledger: ledger, waiving: .renewalTooEarly) else {
            Issue.record("applied an extension past 9999-12-31")
            return
        }
        #expect(facts.code == .renewalTooEarly)
        #expect(facts.detail == "the license expires 9999-12-31: 1 year(s) more fall after 9999-12-31")
        #expect(F.verdictCode(F.record(), licenses: forever) == .renewalTooEarly)
        #expect(F.verdictCode(F.record(), licenses: [F.license(expires: "0001-01-01")]) == .licenseNotRenewable)
    }

    @Test func productChecks() {
        #expect(F.verdictCode(F.record(), orders: [F.order(target: "TS-STD")]) == nil)
        #expect(F.verdictCode(F.record(), orders: [F.order(target: "TS-STD")], licenses: [F.license(autoRenew: true)]) == .autoRenewActive)
        #expect(F.verdictCode(F.record(), orders: [F.order(target: "VBC")], licenses: [F.license(product: "TS-PRM")]) == .invalidUpgradePath)
        #expect(F.verdictCode(F.record(), licenses: [F.license(autoRenew: true)]) == nil)
    }
}
