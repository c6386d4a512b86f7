import Foundation
import Testing
@testable import ReconCore

/// A round's holds are final, and the next round may record them, unless an apply after one of
/// them, in its slice or a later one, touched the serial of a record held over its license.
@Suite struct RoundHoldsTests {
    typealias F = RuleFixtures
    let today = BusinessDate(iso: "2026-11-20")!

    /// A hold naming `serial`, or none.
    func held(_ code: ExceptionCode, serial: String?) -> RecordVerdict {
        let name = serial ?? "none"
        var facts = ExceptionFacts.about(F.record("RN-\(name)"), fileName: "f.xml", code: code)
        facts.serial = serial
        return RecordVerdict(recordID: "held-\(name)", outcome: .held(facts))
    }

    func applied(serial: String) -> RecordVerdict {
        let extensionRecord = LicenseExtension(
            orderID: "RN-\(serial)-2", serial: serial, transactionID: nil, recordID: "x", previousProduct: "VBC",
            product: "VBC", previousExpiresOn: today, newExpiresOn: today, years: 1, appliedOn: today,
            appliedAt: Date(timeIntervalSince1970: 1_795_000_000), placedOn: today, settledOn: today, runID: "r1", paid: nil)
        return RecordVerdict(recordID: "applied-\(serial)", outcome: .applied(extensionRecord, warnings: []))
    }

    func mayApplyAgain(watching limit: Int = 100_000, _ slices: [[RecordVerdict]]) -> Bool {
        var holds = RoundHolds(watchLimit: limit)
        for slice in slices { holds.note(slice) }
        return holds.mayApplyAgain
    }

    @Test func anApplyAfterALicenseHoldOnItsSerialMayApplyAgain() {
        for code in [ExceptionCode.invalidUpgradePath, .autoRenewActive, .licenseNotRenewable, .renewalTooEarly,
                     .licenseNotFound] {
            #expect(mayApplyAgain([[held(code, serial: "TM-1")], [applied(serial: "TM-2")], [applied(serial: "TM-1")]]),
                    "\(code)")
        }
        // Later in the same slice: one pass over it, the next pass being the next round.
        #expect(mayApplyAgain([[held(.invalidUpgradePath, serial: "TM-1"), applied(serial: "TM-1")]]))
    }

    @Test func otherwiseTheRoundsHoldsAreFinal() {
        // Before the hold, in its slice or an earlier one: the hold saw the apply.
        #expect(!mayApplyAgain([[applied(serial: "TM-1"), held(.invalidUpgradePath, serial: "TM-1")]]))
        #expect(!mayApplyAgain([[applied(serial: "TM-1")], [held(.invalidUpgradePath, serial: "TM-1")]]))
        // A hold over the order, not the license: an apply only turns it into another hold.
        #expect(!mayApplyAgain([[held(.amountMismatch, serial: "TM-1")], [applied(serial: "TM-1")]]))
        #expect(!mayApplyAgain([[held(.invalidUpgradePath, serial: "TM-1")], [applied(serial: "TM-2")]]))
        #expect(!mayApplyAgain([]))
    }

    /// Holds that cannot be watched (more serials than the limit, or a hold naming none) make
    /// any apply after them one that may free them. Without an apply after them the round's
    /// holds are final: a round that applied nothing would otherwise be followed by rounds
    /// deciding the same again, without end, on a night of many license holds.
    @Test func holdsThatCannotBeWatchedWaitOnlyForAnApplyAfterThem() {
        let three = [held(.licenseNotFound, serial: "TM-1"), held(.licenseNotFound, serial: "TM-2"),
                     held(.invalidUpgradePath, serial: "TM-3")]
        #expect(!mayApplyAgain(watching: 2, [three]))
        #expect(mayApplyAgain(watching: 2, [three, [applied(serial: "TM-9")]]))
        #expect(!mayApplyAgain(watching: 2, [[applied(serial: "TM-9")], three]))
        // Watched, the apply is seen to touch none of their serials.
        #expect(!mayApplyAgain(watching: 3, [three, [applied(serial: "TM-9")]]))

        let unnamed = held(.licenseNotFound, serial: nil)
        #expect(!mayApplyAgain([[unnamed]]))
        #expect(mayApplyAgain([[unnamed, applied(serial: "TM-9")]]))
    }
}
