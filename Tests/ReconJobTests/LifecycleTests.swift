import Foundation
import Testing
import ReconCore
import ReconTestSupport
@testable import renewal_recon

@Suite struct LifecycleTests {
    @Test(arguments: TestStore.available)
    func aLateOrderImportHealsTheUnknownOrderOnTheNextRun(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: "RN20261110-0001")], as: "a.xml")
        _ = try await shop.run("2026-11-12")
        #expect(try await shop.exception(.unknownOrder)?.status == "open")
        try await shop.importOrders(Shop.orderRow("RN20261110-0001", serial: "TM-1"))
        let second = try await shop.run("2026-11-13")
        #expect(second.applied == 1)
        #expect(try await shop.exception(.unknownOrder)?.status == "resolved")
        #expect(try await shop.license("TM-1")?.expiresOn.description == "2027-12-10")
        #expect(try await shop.run("2026-11-14").applied == 0)
        #expect(try await shop.license("TM-1")?.expiresOn.description == "2027-12-10")
    }

    @Test(arguments: TestStore.available)
    func rerunAfterImportingAMissingOrderExtendsExactlyOnce(_ kind: TestStore) async throws {
        var shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: "RN20261110-0001")], as: "a.xml")
        _ = try await shop.run("2026-11-12")
        try await shop.importOrders(Shop.orderRow("RN20261110-0001", serial: "TM-1"))
        shop.today = BusinessDate(iso: "2026-11-13")!
        let start = BusinessDate(iso: "2026-11-12")!
        let rerun = try await shop.job().rerun(from: start, to: start)
        #expect(rerun.applied == 1)
        let exception = try #require(try await shop.exception(.unknownOrder))
        #expect(exception.status == "resolved")
        #expect(try await shop.license("TM-1")?.expiresOn.description == "2027-12-10")
        let again = try await shop.job().rerun(from: start, to: start)
        #expect(again.applied == 0)
        #expect(try await shop.store().outbox(on: shop.today).count == 1)
        // The new mail belongs to the day of the rerun.
        #expect(try shop.workspace.outputs()["mail/2026-11-13/completion-mails.jsonl"]?.isEmpty == false)
    }

    @Test(arguments: TestStore.available)
    func changingTheDescriptorsReevaluatesForeignRecords(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN20261110-0001", serial: "TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: "RN20261110-0001", descriptor: "NEWBRAND*SHOP")], as: "a.xml")
        #expect(try await shop.run("2026-11-12").applied == 0)
        let ours = try await shop.run("2026-11-13", environment: ["RECON_DESCRIPTORS": "RCH*TrendMicro,NEWBRAND*SHOP"])
        #expect(ours.applied == 1)
    }

    @Test(arguments: TestStore.available)
    func aSupportApplyWaivesOnlyTheCheckThatRaisedTheException(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"), Shop.licenseRow("TM-2"))
        try await shop.importOrders(Shop.orderRow("RN-AMOUNT", serial: "TM-1"), Shop.orderRow("RN-LATE", serial: "TM-9", placed: "2026-11-01"))
        try shop.deliver([.init(id: "TX-1", ref: "RN-AMOUNT", amount: 5900), .init(id: "TX-2", ref: "RN-LATE", booked: "2026-11-12")],
                         as: "a.xml")
        _ = try await shop.run("2026-11-12")
        let desk = SupportDesk(job: try await shop.job())
        let amount = try #require(try await shop.exception(.amountMismatch))
        let message = try await desk.resolve(amount.exceptionID, .apply(order: nil), note: "price change agreed", by: "sato")
        #expect(message.contains("2026-12-10 -> 2027-12-10"))
        #expect(try await shop.exception(.amountMismatch)?.status == "resolved")
        await #expect(throws: SupportDesk.Refusal.self) {
            try await desk.resolve(amount.exceptionID, .apply(order: nil), note: "again", by: "sato")
        }
        // Waiving lateness does not waive the missing license.
        let late = try #require(try await shop.exception(.lateSettlement))
        let refusal = await #expect(throws: SupportDesk.Refusal.self) {
            try await desk.resolve(late.exceptionID, .apply(order: nil), note: "ok", by: "sato")
        }
        #expect(refusal?.description.contains("license_not_found") == true)
        #expect(try await shop.license("TM-1")?.expiresOn.description == "2027-12-10")
    }

    @Test(arguments: TestStore.available)
    func aMissingReferenceIsAppliedToTheOrderSupportNames(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN20261110-0001", serial: "TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: nil)], as: "a.xml")
        _ = try await shop.run("2026-11-12")
        let missing = try #require(try await shop.exception(.missingReference))
        #expect(missing.facts.candidates == ["RN20261110-0001"])
        let desk = SupportDesk(job: try await shop.job())
        await #expect(throws: SupportDesk.Refusal.self) {
            try await desk.resolve(missing.exceptionID, .apply(order: nil), note: "x", by: "sato")
        }
        _ = try await desk.resolve(missing.exceptionID, .apply(order: "RN20261110-0001"), note: "customer confirmed", by: "sato")
        #expect(try await shop.license("TM-1")?.expiresOn.description == "2027-12-10")
        #expect(try await shop.run("2026-11-13").applied == 0)
        #expect(try await !shop.store().unnamedPendingOrders().contains { $0.orderID == "RN20261110-0001" })
    }

    @Test(arguments: TestStore.available)
    func codesWithoutApplyAreRefusedAndDismissalsStay(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", status: "cancelled"))
        try shop.deliver([.init(id: "TX-1", ref: "RN-1")], as: "a.xml")
        _ = try await shop.run("2026-11-12")
        let held = try #require(try await shop.exception(.orderNotPending))
        let desk = SupportDesk(job: try await shop.job())
        await #expect(throws: SupportDesk.Refusal.self) {
            try await desk.resolve(held.exceptionID, .apply(order: nil), note: "x", by: "sato")
        }
        _ = try await desk.resolve(held.exceptionID, .dismiss, note: "refunded by phone", by: "sato")
        _ = try await shop.run("2026-11-13")
        #expect(try await shop.exception(.orderNotPending)?.status == "dismissed")
        #expect(try await shop.exception(.orderNotPending)?.lastSeen.description == "2026-11-13")
    }

    @Test(arguments: TestStore.available)
    func aRefundForAnExtendedOrderLeavesTheLicenseAlone(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: "RN-1")], as: "a.xml")
        _ = try await shop.run("2026-11-12")
        try shop.deliver([.init(id: "TX-R", ref: "RN-1", booked: "2026-11-14", indicator: "DBIT")], as: "b.xml")
        _ = try await shop.run("2026-11-14")
        let refund = try #require(try await shop.exception(.refundOrChargeback))
        #expect(refund.facts.serial == "TM-1")
        #expect(try await shop.license("TM-1")?.expiresOn.description == "2027-12-10")
    }

    @Test(arguments: TestStore.available)
    func unsettledOverdueResolvesWhenASettlementNamesTheOrder(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", placed: "2026-11-01"))
        _ = try await shop.run("2026-11-06")
        #expect(try await shop.exception(.unsettledOverdue) == nil)
        _ = try await shop.run("2026-11-07")
        #expect(try await shop.exception(.unsettledOverdue)?.status == "open")
        try shop.deliver([.init(id: "TX-1", ref: "RN-1", booked: "2026-11-07")], as: "a.xml")
        _ = try await shop.run("2026-11-08")
        #expect(try await shop.exception(.unsettledOverdue)?.status == "resolved")
        #expect(try await shop.exception(.lateSettlement)?.status == "open")
    }

    @Test func silenceOnAFileDayIsAnException() async throws {
        let shop = try await Shop(yaml: "min_file_age_s: 0\nexpect_daily_files: true\nholidays: [2026-11-23]\n")
        _ = try await shop.run("2026-11-21")  // Saturday
        _ = try await shop.run("2026-11-23")  // a holiday
        #expect(try await shop.exception(.noSettlementFile) == nil)
        _ = try await shop.run("2026-11-24")
        let silence = try #require(try await shop.exception(.noSettlementFile))
        #expect(silence.facts.subject == "2026-11-24")
        try shop.deliver([.init(id: "TX-1", ref: "RN-1")], as: "a.xml")
        _ = try await shop.run("2026-11-25")
        #expect(try await shop.store().exceptions(code: .noSettlementFile, status: "open").count == 1)
    }

    @Test(arguments: TestStore.available)
    func aDryRunChangesNeitherStoreNorFiles(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1"))
        _ = try await shop.run("2026-11-11")
        let before = try shop.workspace.outputs()
        try shop.deliver([.init(id: "TX-1", ref: "RN-1")], as: "a.xml")
        let dry = try await shop.job().run(date: BusinessDate(iso: "2026-11-12")!, dryRun: true)
        #expect(dry.applied == 1)
        #expect(dry.planLines.contains { $0.hasPrefix("ingest a.xml: 1 new record") })
        #expect(try shop.workspace.outputs() == before)
        #expect(try await shop.store().settlementFile(sha256: try Data(contentsOf: shop.workspace.url("inbox/a.xml")).sha256Hex) == nil)
        #expect(try await shop.license("TM-1")?.expiresOn.description == "2026-12-10")
        #expect(try await shop.run("2026-11-12").applied == 1)
    }

    @Test func aReversedOrOverlongRangeIsAUsageError() {
        #expect(throws: (any Error).self) { try RerunCommand.parse(["--from", "2026-11-20", "--to", "2026-11-19"]) }
        #expect(throws: (any Error).self) { try RerunCommand.parse(["--from", "2025-11-20", "--to", "2026-11-21"]) }
        #expect(throws: Never.self) { try RerunCommand.parse(["--from", "2025-11-21", "--to", "2026-11-21"]) }
    }
}

extension Data {
    var sha256Hex: String { Fingerprint.hex(of: self) }
}
