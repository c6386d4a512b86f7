import Foundation
import Logging
import Synchronization
import Testing
import ReconCore
@testable import ReconStore
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

    /// SPEC §5: a date's summary is the state of that date, the same whichever runs produced
    /// it. The orders imported the day after give the settlements a lag from then on, not on
    /// the day they were held as `unknown_order` and as a refund of no known order.
    @Test(arguments: TestStore.available)
    func aDaysSummaryStaysAsItWasWhenItsUnknownOrderArrivesLater(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"), Shop.licenseRow("TM-2"))
        try shop.deliver([.init(id: "TX-1", ref: "RN20261110-0001"),
                          .init(id: "TX-R", ref: "RN20261110-0002", indicator: "DBIT")], as: "a.xml")
        let day = BusinessDate(iso: "2026-11-12")!
        _ = try await shop.run(day.description)
        let written = try shop.summary(of: day)
        let lags = try #require(written["lag_histogram"] as? [String: Int])
        #expect(lags.values.reduce(0, +) == 0, "no order, no lag")
        try await shop.importOrders(Shop.orderRow("RN20261110-0001", serial: "TM-1"),
                                    Shop.orderRow("RN20261110-0002", serial: "TM-2"))
        #expect(try await shop.run("2026-11-13").applied == 1)
        try await shop.rewriteOutputs(of: day)
        let rewritten = try shop.summary(of: day)
        #expect(NSDictionary(dictionary: rewritten) == NSDictionary(dictionary: written), "\(rewritten["lag_histogram"] ?? "")")
    }

    /// The same for a settlement's outcome: descriptors widened the next day make a foreign
    /// settlement ours (it applies then), and narrowed they make a held one foreign; the
    /// earlier date's summary, written again, counts each as it was at the end of that date.
    @Test(arguments: TestStore.available)
    func aDaysSummaryCountsItsForeignSettlementsAsTheyWere(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN20261110-0001", serial: "TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: "RN20261110-0001", descriptor: "NEWBRAND*SHOP"),
                          .init(id: "TX-2", ref: "RN-UNKNOWN", amount: 7000, descriptor: "OLDBRAND*SHOP")], as: "a.xml")
        let day = BusinessDate(iso: "2026-11-12")!
        _ = try await shop.run(day.description, environment: ["RECON_DESCRIPTORS": "RCH*TrendMicro,OLDBRAND*SHOP"])
        let written = try shop.summary(of: day)
        #expect((written["records"] as? [String: Any])?["foreign"] as? Int == 1)
        let totals = try #require((written["totals"] as? [String: [String: String]])?["JPY"])
        #expect(totals["foreign"] == "5980" && totals["held"] == "7000" && totals["matched"] == "0")

        let next = try await shop.run("2026-11-13", environment: ["RECON_DESCRIPTORS": "RCH*TrendMicro,NEWBRAND*SHOP"])
        #expect(next.applied == 1)
        #expect(try await shop.exception(.unknownOrder)?.status == "resolved", "no longer ours")
        try await shop.rewriteOutputs(of: day)
        let rewritten = try shop.summary(of: day)
        #expect(NSDictionary(dictionary: rewritten) == NSDictionary(dictionary: written),
                "\(rewritten["totals"] ?? "") against \(written["totals"] ?? "")")
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
        // A dry rerun plans the apply and leaves the store and out/ as they were.
        let state = try await BusinessState.dump(shop.store())
        let outputs = try shop.workspace.outputs()
        let plan = PlanLines()
        var dryJob = try await shop.job()
        dryJob.plan = plan.add
        let dry = try await dryJob.rerun(from: start, to: start, dryRun: true)
        #expect(dry.applied == 1 && dry.writtenFiles.isEmpty)
        #expect(plan.all == ["apply RN20261110-0001 (TX-1): TM-1 2026-12-10 -> 2027-12-10"])
        #expect(try await BusinessState.dump(shop.store()) == state)
        #expect(try shop.workspace.outputs() == outputs)
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

    /// A foreign record is evaluated again only under other descriptors: under the same ones
    /// (in another order, case or width) a night does not read it again.
    @Test(arguments: TestStore.available)
    func changingTheDescriptorsReevaluatesForeignRecords(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN20261110-0001", serial: "TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: "RN20261110-0001", descriptor: "NEWBRAND*SHOP")], as: "a.xml")
        let first = try await shop.run("2026-11-12")
        #expect(first.evaluated == 1 && first.applied == 0)
        #expect(try await shop.run("2026-11-13").evaluated == 0)
        let sameAgain = try await shop.run("2026-11-14", environment: ["RECON_DESCRIPTORS": "with reach,ＲＣＨ＊ＴｒｅｎｄＭｉｃｒｏ"])
        #expect(sameAgain.evaluated == 0)
        let ours = try await shop.run("2026-11-15", environment: ["RECON_DESCRIPTORS": "RCH*TrendMicro,NEWBRAND*SHOP"])
        #expect(ours.evaluated == 1 && ours.applied == 1)
    }

    /// A held record turns foreign under narrowed descriptors and is not evaluated again under
    /// them; with the descriptors restored it is evaluated, held again, and its exception
    /// reopens (its foreign verdict is kept with the descriptors it was reached under).
    @Test(arguments: TestStore.available)
    func aRecordFoundForeignUnderNarrowerDescriptorsIsOursWhenTheyAreRestored(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN20261110-0001", serial: "TM-1", amount: 6980))
        try shop.deliver([.init(id: "TX-1", ref: "RN20261110-0001", descriptor: "With Reach")], as: "a.xml")
        #expect(try await shop.run("2026-11-12").held == 1, "held short: amount_mismatch")
        let narrowed = try await shop.run("2026-11-13", environment: ["RECON_DESCRIPTORS": "RCH*TrendMicro"])
        #expect(narrowed.evaluated == 1 && narrowed.held == 0)
        #expect(try await shop.run("2026-11-14", environment: ["RECON_DESCRIPTORS": "RCH*TrendMicro"]).evaluated == 0)
        let restored = try await shop.run("2026-11-15")
        #expect(restored.evaluated == 1 && restored.held == 1)
        #expect(try await shop.exception(.amountMismatch)?.status == "open")
    }

    /// A support apply of an `amount_mismatch` mails the amount settled.
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
        // Today's report lists it resolved, last seen by the night's run, not by the decision.
        let reported = try #require(try await shop.store().exceptionReport(on: shop.today).first { $0.exceptionID == amount.exceptionID })
        #expect(reported.status == "resolved" && reported.lastSeen.description == "2026-11-12" && reported.facts.orderID == "RN-AMOUNT")
        // The mail tells the customer what the card was charged, not the order's 5,980 yen.
        let file = try #require(try shop.workspace.outputs()["mail/\(shop.today)/completion-mails.jsonl"])
        let mails = String(decoding: file, as: UTF8.self)
        #expect(mails.contains(#""amount":"5900""#) && mails.contains("お支払い金額　：5,900円"), "\(mails)")
        // The summary's `run` object says what the decision did.
        let summary = try Data(contentsOf: shop.workspace.url("out/reports/\(shop.today)/summary.json"))
        let run = try #require((try JSONSerialization.jsonObject(with: summary) as? [String: Any])?["run"] as? [String: Any])
        #expect((run["did"] as? [String: Int])?["licenses_extended"] == 1 && run["command"] as? String == "exceptions resolve",
                "\(run)")
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

    /// `--allow-earlier` accepts a stale licenses export, and says which expiries it moved
    /// back and which paid renewals it undid: it used to print only "saved".
    @Test(arguments: TestStore.available)
    func licensesMovedEarlierAreNamedWithTheRenewalTheyUndo(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"), Shop.licenseRow("TM-2", expires: "2027-06-01"),
                                      Shop.licenseRow("TM-3"))
        try await shop.importOrders(Shop.orderRow("RN20261110-0001", serial: "TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: "RN20261110-0001")], as: "a.xml")
        #expect(try await shop.run("2026-11-12").applied == 1)
        try shop.workspace.write("serial,product,expires_on,auto_renew,email\n" + Shop.licenseRow("TM-3")
            + Shop.licenseRow("TM-1") + Shop.licenseRow("TM-2", expires: "2027-01-01"), to: "older.csv")
        let summary = try await Importer(store: try await shop.workspace.store(), config: try shop.workspace.config())
            .importLicenses(from: shop.workspace.url("older.csv"), allowEarlier: true)
        #expect(summary.saved == 3 && summary.movedEarlier == 2)
        #expect(summary.movedEarlierLines == [
            "2 license(s) moved earlier than stored (--allow-earlier):",
            "  line 3: TM-1 2027-12-10 -> 2026-12-10 (undoes the renewal paid by order RN20261110-0001)",
            "  line 4: TM-2 2027-06-01 -> 2027-01-01",
        ])
        #expect(try await shop.license("TM-1")?.expiresOn.description == "2026-12-10")
    }

    /// An orders export without the `status` column says nothing of status: a cancelled order
    /// stays cancelled (it used to turn pending, and its late payment would then apply).
    @Test(arguments: TestStore.available)
    func anExportWithoutStatusKeepsACancellation(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", status: "cancelled"),
                                    Shop.orderRow("RN-2", serial: "TM-2"))
        let withoutStatus = Shop.orderHeader.replacingOccurrences(of: ",status\n", with: "\n")
            + [Shop.orderRow("RN-1", serial: "TM-1", amount: 6980), Shop.orderRow("RN-3", serial: "TM-3")]
                .map { $0.replacingOccurrences(of: ",pending\n", with: "\n") }.joined()
        try shop.workspace.write(withoutStatus, to: "no-status.csv")
        let summary = try await Importer(store: try await shop.workspace.store(), config: try shop.workspace.config())
            .importOrders(from: shop.workspace.url("no-status.csv"))
        #expect(summary.saved == 2)
        let orders = try await shop.workspace.store().orders(ids: ["RN-1", "RN-2", "RN-3"])
        #expect(orders["RN-1"]?.status == .cancelled && orders["RN-1"]?.amount.minorUnits == 6980, "the rest is updated")
        #expect(orders["RN-2"]?.status == .pending && orders["RN-3"]?.status == .pending)
    }

    /// Ids that differ only in how an accent is written (composed `É`, decomposed `E` + U+0301)
    /// are two licenses and two orders, as the store keeps them; Swift's `String` takes them for
    /// one. A ledger keyed by it extended one license with both renewals (and another's product),
    /// and completed the order a settlement did not pay. They are written to the store directly
    /// here, as the shop may (SPEC §3.2); an import refuses the decomposed ones.
    @Test(arguments: TestStore.available)
    func idsThatDifferOnlyInTheirUnicodeFormAreNeverTakenForEachOther(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        let composed = "SER-\u{00C9}", decomposed = "SER-E\u{0301}"
        #expect(composed == decomposed && composed.utf8.count != decomposed.utf8.count, "one String, two keys")
        func license(_ serial: String, expires: String) -> License {
            License(serial: serial, product: "VBC", expiresOn: BusinessDate(iso: expires)!, autoRenew: false, email: "a@example.com")
        }
        func order(_ id: String, serial: String, years: Int = 1) -> RenewalOrder {
            RenewalOrder(orderID: id, serial: serial, currentProduct: "VBC", targetProduct: "VBC", years: years,
                         amount: Money(minorUnits: 5980, currency: Currency(code: "JPY")!), email: "b@example.com",
                         placedAt: Timestamp(iso: "2026-11-10T10:00:00+09:00")!, status: .pending)
        }
        let paidID = "RN-e\u{0301}", unpaidID = "RN-\u{00E9}"
        try await shop.store().save(
            orders: [order("RN-A1", serial: composed), order("RN-A2", serial: decomposed, years: 3),
                     order(unpaidID, serial: "TM-1"), order(paidID, serial: "TM-2")],
            licenses: [license(composed, expires: "2026-12-15"), license(decomposed, expires: "2027-01-20"),
                       license("TM-1", expires: "2026-12-10"), license("TM-2", expires: "2026-12-20")])
        // A settlement for each; one more without reference, whose candidates bring the unpaid
        // order into the same ledger as the paid one.
        try shop.deliver([.init(id: "TX-1", ref: "RN-A1"), .init(id: "TX-2", ref: "RN-A2"), .init(id: "TX-3", ref: paidID),
                          .init(id: "TX-4", ref: nil, amount: 5980)], as: "a.xml")
        let outcome = try await shop.run("2026-11-12")
        #expect(outcome.applied == 3, "\(outcome)")
        #expect(try await shop.license(composed)?.expiresOn.description == "2027-12-15")
        #expect(try await shop.license(decomposed)?.expiresOn.description == "2030-01-20")
        #expect(try await shop.license("TM-2")?.expiresOn.description == "2027-12-20")
        #expect(try await shop.license("TM-1")?.expiresOn.description == "2026-12-10", "the unpaid order's license")
        let orders = try await shop.store().orders(ids: [unpaidID])
        #expect(orders.values.map { Array($0.orderID.utf8) } == [Array(unpaidID.utf8)] && orders.values.first?.status == .pending)
        #expect(try await shop.exception(.repeatRenewal) == nil, "two licenses, one renewal each")
    }

    /// A license that "never expires" cannot take a renewal, even by hand: waiving
    /// `renewal_too_early` used to apply it, leave the expiry at 9999-12-31 and mail the
    /// customer that the license was renewed for a year.
    @Test func aSupportApplyCannotRenewALicensePastTheCalendarsEnd() async throws {
        let shop = try await Shop(store: .sqlite)
        try await shop.importLicenses(Shop.licenseRow("TM-1", expires: "9999-12-31"))
        try await shop.importOrders(Shop.orderRow("RN20261110-0001", serial: "TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: "RN20261110-0001")], as: "a.xml")
        _ = try await shop.run("2026-11-12")
        let early = try #require(try await shop.exception(.renewalTooEarly))
        let refusal = await #expect(throws: SupportDesk.Refusal.self) {
            try await SupportDesk(job: try await shop.job()).resolve(early.exceptionID, .apply(order: nil), note: "ok", by: "sato")
        }
        #expect(refusal?.description == "renewal_too_early still holds: the license expires 9999-12-31: "
                    + "1 year(s) more fall after 9999-12-31")
        #expect(try await shop.license("TM-1")?.expiresOn.description == "9999-12-31")
        #expect(try await shop.exception(.renewalTooEarly)?.status == "open")
        #expect(try shop.workspace.outputs()["mail/\(shop.today)/completion-mails.jsonl"] == nil)
    }

    /// Writing a date's outputs removes the temporaries a killed command left in another
    /// date's folder (a mail file's, with addresses), which used to stay until that date was
    /// written again.
    @Test func writingOutputsRemovesAnotherDatesStaleTemporaries() async throws {
        let shop = try await Shop(store: .sqlite)
        let stale = "out/mail/2026-11-01/.completion-mails.jsonl.4242.tmp"
        try shop.workspace.write("a@example.com", to: stale)
        try await shop.rewriteOutputs(of: BusinessDate(iso: "2026-11-12")!)
        #expect(!FileManager.default.fileExists(atPath: shop.workspace.url(stale).path))
    }

    /// Each amount fits 64 bits, a day's sum of them need not: two foreign settlements of five
    /// quintillion yen (a garbled or hostile file) overflowed the day's totals and ended every
    /// run and report of that date.
    @Test(arguments: TestStore.available)
    func aDaysTotalsPastSixtyFourBitsAreExact(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        let huge = 5_000_000_000_000_000_000
        try shop.deliver([.init(id: "TX-1", ref: nil, amount: huge, descriptor: "OTHER SHOP"),
                          .init(id: "TX-2", ref: nil, amount: huge, descriptor: "OTHER SHOP")], as: "a.xml")
        let outcome = try await shop.run("2026-11-12")
        #expect(outcome.recordsAdded == 2)
        let night = try #require(BusinessDate(iso: "2026-11-12"))
        let totals = try #require(try shop.summary(of: night)["totals"] as? [String: [String: String]])
        #expect(totals["JPY"]?["foreign"] == "10000000000000000000", "\(totals)")
        let page = String(decoding: try #require(try shop.workspace.outputs()["reports/\(night)/report.html"]), as: UTF8.self)
        #expect(page.contains("10,000,000,000,000,000,000"))
    }

    /// A settlement within `amount_tolerance_minor` of its order applies, and its mail tells
    /// what the card was charged; a mail whose extension does not know it (stored before the
    /// store kept it) gives the order's amount.
    @Test(arguments: TestStore.available)
    func aSettlementWithinTheToleranceMailsWhatItPaid(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind, yaml: "min_file_age_s: 0\namount_tolerance_minor: 100\n")
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: "RN-1", amount: 5900)], as: "a.xml")
        #expect(try await shop.run("2026-11-12").applied == 1)
        let file = try #require(try shop.workspace.outputs()["mail/2026-11-12/completion-mails.jsonl"])
        let mails = String(decoding: file, as: UTF8.self)
        #expect(mails.contains(#""amount":"5900""#) && mails.contains("お支払い金額　：5,900円"), "\(mails)")
        var mail = try #require(try await shop.store().outbox(on: BusinessDate(iso: "2026-11-12")!).first)
        #expect(mail.amount.minorUnits == 5900 && mail.order.amount.minorUnits == 5980)
        mail.extensionRecord.paid = nil
        #expect(mail.amount == mail.order.amount)
    }

    /// SPEC §4: severity `error` is held, `warning` applied. A late settlement held under
    /// `late_settlement: review` and applied once the config says `apply` keeps its exception
    /// (the same code and subject), now a warning.
    @Test(arguments: TestStore.available)
    func aLateSettlementAppliedLaterBecomesAWarning(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-LATE", serial: "TM-1", placed: "2026-11-05"))
        try shop.deliver([.init(id: "TX-1", ref: "RN-LATE")], as: "a.xml")
        #expect(try await shop.run("2026-11-12").heldByCode == [.lateSettlement: 1])
        let held = try #require(try await shop.exception(.lateSettlement))
        #expect(held.facts.severity == .error)
        #expect(try await shop.run("2026-11-13", environment: ["RECON_LATE_SETTLEMENT": "apply"]).applied == 1)
        let applied = try #require(try await shop.exception(.lateSettlement))
        #expect(applied.exceptionID == held.exceptionID)
        #expect(applied.facts.severity == .warning)
        #expect(applied.status == "open")
        #expect(applied.lastSeen.description == "2026-11-13")
        // Each date's report (exceptions.csv, report.html, `exceptions list --date`) gives the
        // severity of its date.
        let store = try await shop.store()
        var severities: [Severity?] = []
        for day in ["2026-11-12", "2026-11-13"] {
            let report = try await store.exceptionReport(on: try #require(BusinessDate(iso: day)))
            severities.append(report.first { $0.facts.code == .lateSettlement }?.facts.severity)
        }
        #expect(severities == [.error, .warning])
    }

    /// README: a `missing_reference` decided before a later settlement of the same run
    /// completed one of its candidates lists only the orders still pending after that apply.
    @Test(arguments: TestStore.available)
    func aMissingReferenceListsTheOrdersStillPendingAfterTheRunsApplies(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"), Shop.licenseRow("TM-2"))
        try await shop.importOrders(Shop.orderRow("RN20261110-0001", serial: "TM-1"),
                                    Shop.orderRow("RN20261110-0002", serial: "TM-2"))
        // TX-1, without reference, comes first in the rules' order; TX-2 then completes RN20261110-0001.
        try shop.deliver([.init(id: "TX-1", ref: nil), .init(id: "TX-2", ref: "RN20261110-0001")], as: "a.xml")
        #expect(try await shop.run("2026-11-12").applied == 1)
        let missing = try #require(try await shop.exception(.missingReference))
        #expect(missing.facts.candidates == ["RN20261110-0002"])
    }

    /// The exception and its history then name the order the settlement paid.
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
        let nightly = try await shop.store().overview().lastRun?.id
        _ = try await desk.resolve(missing.exceptionID, .apply(order: "RN20261110-0001"), note: "customer confirmed", by: "sato")
        #expect(try await shop.license("TM-1")?.expiresOn.description == "2027-12-10")
        #expect(try await shop.store().exception(id: missing.exceptionID)?.facts.orderID == "RN20261110-0001")
        let decided = try #require(try await shop.store().history(ofException: missing.exceptionID).last)
        #expect([decided.actor, decided.action, decided.status, decided.note] == ["sato", "applied to order RN20261110-0001", "resolved", "customer confirmed"])
        #expect(try await shop.store().overview().lastRun?.id == nightly, "status's last run is the nightly job's")
        let day = BusinessDate(iso: "2026-11-12")!
        _ = try await shop.job().rerun(from: day, to: day)
        #expect(try await shop.store().overview().lastRun?.id == nightly, "a rerun by hand is not the nightly job either")
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

    /// SPEC §4 lifecycle: an overdue order stops being overdue when `window_days` grows past
    /// its lag; a rerun of a date before it was due leaves the exception alone.
    @Test(arguments: TestStore.available)
    func unsettledOverdueResolvesWhenTheWindowGrows(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", placed: "2026-11-01"))
        _ = try await shop.run("2026-11-07")
        #expect(try await shop.exception(.unsettledOverdue)?.status == "open")
        let earlier = BusinessDate(iso: "2026-11-05")!
        _ = try await shop.job().rerun(from: earlier, to: earlier)
        #expect(try await shop.exception(.unsettledOverdue)?.status == "open")
        _ = try await shop.run("2026-11-08", environment: ["RECON_WINDOW_DAYS": "10"])
        #expect(try await shop.exception(.unsettledOverdue)?.status == "resolved")
        // A rerun over three days it is overdue on (the window back at 5 days) counts it once,
        // as the one exception it is.
        let overdueDays = try await shop.job().rerun(from: BusinessDate(iso: "2026-11-07")!, to: BusinessDate(iso: "2026-11-09")!)
        #expect(overdueDays.sweepRaised == [.unsettledOverdue: 1])
        #expect(try await shop.exception(.unsettledOverdue)?.status == "open")
    }

    /// SPEC §4: only the final verdict of the passes is recorded. The first payment of RN-1
    /// is short, and held as amount_mismatch until the second, booked a day later, completes
    /// the order; the next pass finds the first a duplicate payment. No amount_mismatch was
    /// ever the verdict, so none is opened (and resolved) on the way.
    @Test(arguments: TestStore.available)
    func aVerdictALaterApplyChangesIsNeverRecorded(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", placed: "2026-11-15"))
        try shop.deliver([.init(id: "TX-1", ref: "RN-1", amount: 5900, booked: "2026-11-16"),
                          .init(id: "TX-2", ref: "RN-1", booked: "2026-11-17")], as: "a.xml")
        let outcome = try await shop.run("2026-11-20")
        #expect(outcome.applied == 1)
        #expect(outcome.heldByCode == [.duplicatePayment: 1])
        #expect(try await shop.exception(.amountMismatch) == nil)
        #expect(try await shop.exception(.duplicatePayment)?.status == "open")
        // The held verdict stands, and a second run records it again, unchanged.
        #expect(try await shop.run("2026-11-21").heldByCode == [.duplicatePayment: 1])
        #expect(try await shop.exception(.amountMismatch) == nil)
    }

    /// A catalog where TS-PRM is reached from VBC only through TS-STD.
    static let throughTSSTD = """
        min_file_age_s: 0
        renewals:
          VBC: [VBC, TS-STD]
          TS-STD: [TS-STD, TS-PRM]
          TS-PRM: [TS-PRM]
        """

    /// SPEC §4 again, down a chain of applies. Under a catalog where TS-PRM is reached from
    /// VBC only through TS-STD, TX-2's upgrade waits for TX-3's apply (the first pass), and
    /// TX-2's apply in the second pass completes RN-B, which makes TX-1 (short, and held as
    /// `amount_mismatch` earlier in that pass) a duplicate payment in the third. The license
    /// stands as TX-2's apply, the last, left it, whether the three are one slice or three.
    @Test(arguments: TestStore.available, [1, 3])
    func aChainOfAppliesOverThreePassesRecordsOnlyTheFinalState(_ kind: TestStore, slice: Int) async throws {
        let shop = try await Shop(store: kind, yaml: Self.throughTSSTD)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-B", serial: "TM-1", target: "TS-PRM"),
                                    Shop.orderRow("RN-C", serial: "TM-1", target: "TS-STD"))
        try shop.deliver([.init(id: "TX-1", ref: "RN-B", amount: 5900), .init(id: "TX-2", ref: "RN-B"),
                          .init(id: "TX-3", ref: "RN-C")], as: "a.xml")
        let outcome = try await shop.run("2026-11-20", slice: slice)
        #expect(outcome.applied == 2)
        #expect(outcome.heldByCode == [.duplicatePayment: 1])
        let license = try await shop.license("TM-1")
        #expect(license?.product == "TS-PRM")
        #expect(license?.expiresOn.description == "2028-12-10")
        #expect(try await shop.exception(.invalidUpgradePath) == nil)
        #expect(try await shop.exception(.amountMismatch) == nil)
        #expect(try await shop.exception(.duplicatePayment)?.status == "open")
    }

    /// SPEC §4: a pass goes over every record before the next pass begins, whatever slices
    /// and booking dates the records fall into. Under the same catalog, TX-2's upgrade waits
    /// for TX-3's renewal to TS-STD; TX-4, booked a day later, renews TS-STD as TS-STD in the
    /// first pass, and only then does the second pass apply TX-2. Had TX-2 applied before TX-4
    /// was looked at, TX-4 would be held (TS-PRM may not become TS-STD).
    @Test(arguments: TestStore.available, [1, 2, 3])
    func aLaterPassBeginsAfterTheWholePass(_ kind: TestStore, slice: Int) async throws {
        let shop = try await Shop(store: kind, yaml: Self.throughTSSTD)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-B", serial: "TM-1", target: "TS-PRM"),
                                    Shop.orderRow("RN-C", serial: "TM-1", target: "TS-STD"),
                                    Shop.orderRow("RN-D", serial: "TM-1", target: "TS-STD"))
        try shop.deliver([.init(id: "TX-2", ref: "RN-B"), .init(id: "TX-3", ref: "RN-C"),
                          .init(id: "TX-4", ref: "RN-D", booked: "2026-11-13")], as: "a.xml")
        let outcome = try await shop.run("2026-11-20", slice: slice)
        #expect(outcome.applied == 3)
        #expect(outcome.held == 0)
        let license = try await shop.license("TM-1")
        #expect(license?.product == "TS-PRM")
        #expect(license?.expiresOn.description == "2029-12-10")
        #expect(try await shop.exception(.invalidUpgradePath) == nil)
    }

    /// SPEC §4 sweep: an order that a held settlement names is not overdue, whether the rules
    /// or the ingestion held it (here an `invalid_record`, its amount unreadable for JPY).
    @Test(arguments: TestStore.available)
    func anOrderNamedByASettlementHeldAtIngestionIsNotOverdue(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"), Shop.licenseRow("TM-2"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", placed: "2026-11-01"),
                                    Shop.orderRow("RN-2", serial: "TM-2", placed: "2026-11-01"))
        try shop.deliver([.init(id: "TX-1", ref: "RN-1", booked: "2026-11-02")], as: "a.xml")
        let text = try String(contentsOf: shop.workspace.url("inbox/a.xml"), encoding: .utf8)
        try shop.workspace.write(text.replacingOccurrences(of: ">5980<", with: ">5980.5<"), to: "inbox/a.xml")
        _ = try await shop.run("2026-11-07")
        #expect(try await shop.exception(.invalidRecord)?.facts.orderID == "RN-1")
        let overdue = try await shop.store().exceptions(code: .unsettledOverdue, status: "open")
        #expect(overdue.map(\.facts.orderID) == ["RN-2"])
    }

    /// A dismissal stands while its facts do (SPEC §4, lifecycle): once a settlement names the
    /// overdue order, or the held settlement's order arrives and it applies, the exception is
    /// resolved like an open one.
    @Test(arguments: TestStore.available)
    func aDismissedExceptionResolvesWhenItsFactsGoAway(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"), Shop.licenseRow("TM-2"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", placed: "2026-11-01"))
        try shop.deliver([.init(id: "TX-2", ref: "RN20261105-0002", booked: "2026-11-07")], as: "a.xml")
        _ = try await shop.run("2026-11-07")
        let desk = SupportDesk(job: try await shop.job())
        for code in [ExceptionCode.unsettledOverdue, .unknownOrder] {
            let exception = try #require(try await shop.exception(code))
            _ = try await desk.resolve(exception.exceptionID, .dismiss, note: "waiting", by: "sato")
        }
        _ = try await shop.run("2026-11-08")
        #expect(try await shop.exception(.unsettledOverdue)?.status == "dismissed", "its facts stand")
        try shop.deliver([.init(id: "TX-1", ref: "RN-1", booked: "2026-11-08")], as: "b.xml")
        try await shop.importOrders(Shop.orderRow("RN20261105-0002", serial: "TM-2", placed: "2026-11-05"))
        #expect(try await shop.run("2026-11-09").applied == 1)
        #expect(try await shop.exception(.unsettledOverdue)?.status == "resolved")
        #expect(try await shop.exception(.unknownOrder)?.status == "resolved")
    }

    /// A product the catalog does not know (a legacy license, a product on sale before the
    /// config has it) imports, is held by rule 8 order by order, and heals once the config
    /// knows it (SPEC §4: a changed config heals on the next night).
    @Test(arguments: TestStore.available)
    func aProductTheCatalogDoesNotKnowIsHeldUntilTheConfigKnowsIt(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        let licenses = try await shop.importLicenses(Shop.licenseRow("TM-1", product: "VB2019"), Shop.licenseRow("TM-2"))
        let orders = try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", target: "TS-STD"),
                                                 Shop.orderRow("RN-2", serial: "TM-2", target: "TS-ULT"))
        #expect(licenses.unknownProducts == ["VB2019": 1] && orders.unknownProducts == ["TS-ULT": 1])
        #expect(orders.unknownProductsLine?.hasSuffix("does): TS-ULT (1)") == true)
        try shop.deliver([.init(id: "TX-1", ref: "RN-1"), .init(id: "TX-2", ref: "RN-2")], as: "a.xml")
        #expect(try await shop.run("2026-11-12").applied == 0)
        let held = try await shop.store().exceptions(code: .invalidUpgradePath, status: "open")
        #expect(held.compactMap(\.facts.orderID).sorted() == ["RN-1", "RN-2"])
        let yaml = try String(contentsOf: shop.workspace.url("recon.yaml"), encoding: .utf8)
        try shop.workspace.write(yaml + """

            products: {VBC: VBC, TS-STD: TS-STD, TS-ULT: TS-ULT}
            renewals: {VB2019: [TS-STD], VBC: [VBC, TS-STD, TS-ULT]}

            """, to: "recon.yaml")
        #expect(try await shop.run("2026-11-13").applied == 2)
        #expect(try await shop.license("TM-1")?.product == "TS-STD")
        #expect(try await shop.license("TM-2")?.product == "TS-ULT")
    }

    /// `status` counts as overdue the orders the sweep raises `unsettled_overdue` for: not an
    /// order a held settlement names.
    @Test func statusCountsOverdueOrdersAsTheSweepDoes() async throws {
        var shop = try await Shop()
        try await shop.importLicenses(Shop.licenseRow("TM-1"), Shop.licenseRow("TM-2"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", placed: "2026-11-01"),
                                    Shop.orderRow("RN-2", serial: "TM-2", placed: "2026-11-01"))
        try shop.deliver([.init(id: "TX-1", ref: "RN-1", amount: 5900, booked: "2026-11-03")], as: "a.xml")
        shop.today = BusinessDate(iso: "2026-11-12")!
        _ = try await shop.run("2026-11-12")
        #expect(try await shop.store().exceptions(code: .unsettledOverdue, status: "open").map(\.facts.orderID) == ["RN-2"])
        let job = try await shop.job()
        let report = try await StatusReport(store: job.store, today: shop.today, config: job.config)
        #expect(report.text.contains("pending orders: 2 (overdue: 1)"), "\(report.text)")
    }

    /// A settlement of 5,900 for an order of 5,980, held on 2026-11-12 as `amount_mismatch`,
    /// whose exception support dismissed today (2026-11-20).
    static func amountMismatchDismissedToday(_ kind: TestStore) async throws -> (Shop, ExceptionRow) {
        let shop = try await Shop(store: kind)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", amount: 5980))
        try shop.deliver([.init(id: "TX-1", ref: "RN-1", amount: 5900)], as: "a.xml")
        _ = try await shop.run("2026-11-12")
        let held = try #require(try await shop.exception(.amountMismatch))
        _ = try await SupportDesk(job: try await shop.job()).resolve(held.exceptionID, .dismiss, note: "asked", by: "sato")
        return (shop, held)
    }

    /// "Stays dismissed unless its facts change" (SPEC §4, lifecycle): an order imported again
    /// with another price gives the held settlement another expected amount, so its dismissed
    /// `amount_mismatch` reopens with the new figure, the reason in its history.
    @Test(arguments: TestStore.available)
    func aDismissedExceptionReopensWithItsNewFacts(_ kind: TestStore) async throws {
        let (shop, held) = try await Self.amountMismatchDismissedToday(kind)
        _ = try await shop.run("2026-11-13")
        #expect(try await shop.exception(.amountMismatch)?.status == "dismissed", "its facts stand")

        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", amount: 6200))
        _ = try await shop.run("2026-11-14")
        let reopened = try #require(try await shop.exception(.amountMismatch))
        #expect(reopened.status == "open")
        #expect(reopened.facts.expectedAmountMinor == 6200)
        #expect(reopened.facts.amountMinor == 5900)
        #expect(reopened.lastSeen.description == "2026-11-14")
        let database = try #require((try await shop.store() as? SQLReconStore)?.database)
        let history = try await database.read { db in
            try await db.query("SELECT action, status, business_date, note FROM exception_history WHERE exception_id = ? ORDER BY seq",
                               .text(held.exceptionID))
                .map { [$0.string(0), $0.string(1), $0.string(2), $0.string(3)] }
        }
        // Dismissed today (2026-11-20), then seen and reopened by runs for earlier dates: seen
        // on its own date, open then; reopened on the dismissal's date, so that the history's
        // last entry is the status it has now.
        #expect(history.last == ["reopened", "open", "2026-11-20", "facts changed: expected_amount_minor"])
        #expect(history.map(\.[0]) == ["opened", "dismissed", "seen", "reopened"])
        #expect(history.map(\.[2]) == ["2026-11-12", "2026-11-20", "2026-11-13", "2026-11-20"])
        #expect(history[2][1] == "open")
        // The report of the date lists it open, with the new figure.
        let csv = try String(contentsOf: shop.workspace.url("out/reports/2026-11-14/exceptions.csv"), encoding: .utf8)
        #expect(csv.contains("\(held.exceptionID),amount_mismatch,open,") && csv.contains(",5900,6200,JPY,"))
    }

    /// A run by hand for a past date, after support dismissed the exception today, leaves that
    /// date's report as it was: open at the end of that date, as the dismissal came later, and
    /// last seen then. (Its "seen" entry, dated then, used to carry today's "dismissed" into it.)
    @Test(arguments: TestStore.available)
    func aRunForAPastDateKeepsThatDatesStatusBeforeALaterDismissal(_ kind: TestStore) async throws {
        let (shop, held) = try await Self.amountMismatchDismissedToday(kind)
        _ = try await shop.run("2026-11-13")
        let csv = try String(contentsOf: shop.workspace.url("out/reports/2026-11-13/exceptions.csv"), encoding: .utf8)
        #expect(csv.contains("\(held.exceptionID),amount_mismatch,open,"), "\(csv)")
        #expect(csv.contains(",2026-11-12,2026-11-13,"), "first seen on the 12th, last seen by the run for the 13th: \(csv)")
        let listed = try await shop.store().exceptionReport(on: BusinessDate(iso: "2026-11-13")!)
        #expect(listed.map(\.status) == ["open"])
        try await shop.rewriteOutputs(of: shop.today)
        let today = try String(contentsOf: shop.workspace.url("out/reports/2026-11-20/exceptions.csv"), encoding: .utf8)
        #expect(today.contains("\(held.exceptionID),amount_mismatch,dismissed,"), "\(today)")
    }

    /// The same for a file refused whole: dismissed while it is too large, resolved once the
    /// limit lets it read.
    @Test(arguments: TestStore.available)
    func aDismissedRejectionResolvesWhenTheFileReads(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try Self.deliverOverOneMebibyte(shop)
        #expect(try await shop.run("2026-11-12", environment: ["RECON_MAX_FILE_MB": "1"]).filesRejected == 1)
        let rejected = try #require(try await shop.exception(.fileRejected))
        _ = try await SupportDesk(job: try await shop.job()).resolve(rejected.exceptionID, .dismiss, note: "too large", by: "sato")
        #expect(try await shop.run("2026-11-13").filesIngested == 1)
        #expect(try await shop.exception(.fileRejected)?.status == "resolved")
        // SPEC §5: each date's summary stays what it was at the end of its date. The quarantine
        // is 11-12's, the file's record 11-13's, the day it came in.
        func summary(_ day: String) throws -> [String: Any] {
            let url = shop.workspace.url("out/reports/\(day)/summary.json")
            var summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            summary["run"] = nil
            return summary
        }
        let first = try summary("2026-11-12")
        try await shop.rewriteOutputs(of: BusinessDate(iso: "2026-11-12")!)
        #expect(NSDictionary(dictionary: try summary("2026-11-12")) == NSDictionary(dictionary: first))
        let files = { (day: String) in try summary(day)["files"] as? [String: Int] }
        let records = { (day: String) in (try summary(day)["records"] as? [String: Any])?["total"] as? Int }
        #expect(try files("2026-11-12") == ["ingested": 0, "quarantined": 1, "skipped_duplicates": 0])
        #expect(try files("2026-11-13") == ["ingested": 1, "quarantined": 0, "skipped_duplicates": 0])
        #expect(try [records("2026-11-12"), records("2026-11-13")] == [0, 1])
        // A file came on both days: a sweep of either finds no silence (`no_settlement_file`).
        let store = try await shop.store()
        let received = [try await store.filesReceived(on: BusinessDate(iso: "2026-11-12")!),
                        try await store.filesReceived(on: BusinessDate(iso: "2026-11-13")!)]
        #expect(received == [1, 1])
    }

    /// Each inbox file quarantined counts on its date, though two share one content (two empty
    /// files) or a broken file is sent again: the store knows a file by its content, and
    /// counted one quarantine, on the first date, where the runs named each file and exited 2.
    /// A file left in the inbox (no `archive_dir`), refused again each run, counts on its
    /// first date only; one put back from the quarantine counts again.
    @Test(arguments: TestStore.available)
    func eachFileQuarantinedCountsOnItsDateThoughItsContentWasSeenBefore(_ kind: TestStore) async throws {
        func counts(_ shop: Shop, _ days: [String]) async throws -> [Int] {
            let store = try await shop.store()
            var counts: [Int] = []
            for day in days {
                let date = BusinessDate(iso: day)!
                counts.append(try await store.dayFacts(on: date, settlementTimeZone: TimeZone(identifier: "Asia/Tokyo")!).filesQuarantined)
                counts.append(try await store.filesReceived(on: date))
            }
            return counts
        }
        let leftInPlace = try await Shop(store: kind)
        for name in ["a.xml", "b.xml"] { try leftInPlace.workspace.write("", to: "inbox/\(name)") }
        #expect(try await leftInPlace.run("2026-11-12").filesRejected == 2)
        try leftInPlace.workspace.write("", to: "inbox/c.xml")
        #expect(try await leftInPlace.run("2026-11-13").filesRejected == 3, "a.xml and b.xml are tried again")
        #expect(try await counts(leftInPlace, ["2026-11-12", "2026-11-13"]) == [2, 2, 1, 1])

        let moved = try await Shop(store: kind, yaml: "min_file_age_s: 0\narchive_dir: archive\nquarantine_dir: quarantine\n")
        for name in ["a.xml", "b.xml"] { try moved.workspace.write("", to: "inbox/\(name)") }
        #expect(try await moved.run("2026-11-12").filesRejected == 2)
        try moved.workspace.write("", to: "inbox/a.xml")
        #expect(try await moved.run("2026-11-13").filesRejected == 1, "sent again")
        // Put back from the quarantine by a rename, which keeps its inode and time.
        try FileManager.default.moveItem(at: moved.workspace.url("quarantine/b.xml"), to: moved.workspace.url("inbox/b.xml"))
        #expect(try await moved.run("2026-11-14").filesRejected == 1, "put back")
        #expect(try await counts(moved, ["2026-11-12", "2026-11-13", "2026-11-14"]) == [2, 2, 1, 1, 1, 1])
    }

    /// A PostgreSQL role that may write the store but not make the run's queue is refused
    /// before the run changes anything (exit 69): the inbox, the files and the runs as they
    /// were. It used to ingest the night's files and fail at the first booking date.
    @Test(.enabled(if: TestStore.available.contains(.postgres), "PostgreSQL only"))
    func aRoleThatMayNotMakeTheQueueChangesNothing() async throws {
        let shop = try await Shop(store: .postgres)
        try shop.deliver([.init(id: "TX-1", ref: "RN-1")], as: "a.xml")
        guard case .postgres(let url) = try shop.workspace.config().store else { Issue.record("not PostgreSQL"); return }
        let role = "recon_writer_" + UUID().uuidString.lowercased().prefix(8)
        let admin = try await PostgresDatabase.connect(url: url, password: nil, logger: Logger(label: "test"))
        try await admin.read { db in
            try await db.execute("CREATE ROLE \(role) LOGIN", [])
            // PostgreSQL 14 and earlier grant CREATE on public to every role.
            try await db.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC", [])
            try await db.execute("GRANT USAGE ON SCHEMA public TO \(role)", [])
            try await db.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role)", [])
        }
        await admin.close()
        var components = try #require(URLComponents(string: url))
        components.user = role
        let refused = await #expect(throws: StoreError.self) {
            try await shop.run("2026-11-12", environment: ["RECON_DATABASE_URL": try #require(components.string)])
        }
        // Refused as the store opens, or by the run's own check where the opening passes.
        #expect(refused?.code == .unavailable && refused.map { "\($0)".contains("schema public") } == true,
                "\(String(describing: refused))")
        #expect(FileManager.default.fileExists(atPath: shop.workspace.url("inbox/a.xml").path))
        let store = try await shop.store()
        #expect(try await store.overview().newestFile == nil)
        #expect(try await store.overview().unfinishedRun == nil)
    }

    /// A file over `max_file_mb: 1`: one settlement, and a comment of a mebibyte.
    static func deliverOverOneMebibyte(_ shop: Shop) throws {
        try shop.deliver([.init(id: "TX-1", ref: "RN-1")], as: "a.xml")
        let file = shop.workspace.url("inbox/a.xml")
        let padded = try String(contentsOf: file, encoding: .utf8) + "<!-- " + String(repeating: "x", count: 1 << 20) + " -->\n"
        try shop.workspace.write(padded, to: "inbox/a.xml")
    }

    /// A file quarantined and read again on one date (the limit raised between two runs) counts
    /// as read only in that date's summary, as it did before quarantines kept their own date.
    @Test(arguments: TestStore.available)
    func aFileQuarantinedAndReadOnOneDateCountsAsRead(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind)
        try Self.deliverOverOneMebibyte(shop)
        #expect(try await shop.run("2026-11-12", environment: ["RECON_MAX_FILE_MB": "1"]).filesRejected == 1)
        #expect(try await shop.run("2026-11-12").filesIngested == 1)
        let facts = try await shop.store().dayFacts(on: BusinessDate(iso: "2026-11-12")!,
                                                    settlementTimeZone: TimeZone(identifier: "Asia/Tokyo")!)
        let counts: [Int] = [facts.filesIngested, facts.filesQuarantined, facts.records.total]
        #expect(counts == [1, 0, 1])
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
        // Its facts go away when the date turns out to be a holiday, and a rerun sweeps it again.
        var later = shop
        later.today = BusinessDate(iso: "2026-11-26")!
        let day = BusinessDate(iso: "2026-11-24")!
        _ = try await later.job(environment: ["RECON_HOLIDAYS": "2026-11-23,2026-11-24"]).rerun(from: day, to: day)
        #expect(try await shop.exception(.noSettlementFile)?.status == "resolved")
    }

    /// The lines a dry run plans, gathered as the job hands them on.
    final class PlanLines: Sendable {
        private let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func add(_ line: String) { lines.withLock { $0.append(line) } }
    }

    /// A dry run is the run rehearsed: it plans each file and each apply the run then does,
    /// counts the same, and leaves the store, the inbox and out/ as they were.
    @Test(arguments: TestStore.available)
    func aDryRunPlansWhatTheRunThenDoesAndChangesNothing(_ kind: TestStore) async throws {
        let shop = try await Shop(store: kind, yaml: "min_file_age_s: 0\narchive_dir: archive\nquarantine_dir: quarantine\n")
        try await shop.importLicenses(Shop.licenseRow("TM-1"), Shop.licenseRow("TM-2"), Shop.licenseRow("TM-3"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1"), Shop.orderRow("RN-2", serial: "TM-2"),
                                    Shop.orderRow("RN-3", serial: "TM-3", placed: "2026-11-05"))
        _ = try await shop.run("2026-11-11")
        try shop.deliver([.init(id: "TX-1", ref: "RN-1"), .init(id: "TX-2", ref: "RN-2", amount: 5900),
                          .init(id: "TX-9", ref: "RN-9")], as: "a.xml")
        try shop.workspace.write("<Document><unclosed>", to: "inbox/b.xml")
        let store = try await shop.store()
        let state = try await BusinessState.dump(store)
        let lastRun = try await store.overview().lastRun?.id
        let outputs = try shop.workspace.outputs()
        func folder(_ name: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: shop.workspace.url(name).path)) ?? []).sorted()
        }
        let inbox = folder("inbox")

        let plan = PlanLines()
        var job = try await shop.job()
        job.plan = plan.add
        let dry = try await job.run(date: BusinessDate(iso: "2026-11-12")!, dryRun: true)
        #expect(try await BusinessState.dump(store) == state)
        #expect(try await store.overview().lastRun?.id == lastRun)
        #expect(try shop.workspace.outputs() == outputs)
        #expect(folder("inbox") == inbox)
        #expect(folder("archive").isEmpty && folder("quarantine").isEmpty)
        #expect(dry.writtenFiles.isEmpty)

        let real = try await shop.run("2026-11-12")
        func counts(_ outcome: RunOutcome) -> [String] {
            ["\(outcome.filesIngested) \(outcome.filesRejected) \(outcome.filesSkipped) \(outcome.recordsAdded)",
             "\(outcome.applied) \(outcome.held)"]
                + (outcome.heldByCode.map { "held \($0.key) \($0.value)" } + outcome.sweepRaised.map { "sweep \($0.key) \($0.value)" }).sorted()
        }
        #expect(counts(dry) == counts(real))
        #expect(real.applied == 1 && real.held == 2 && real.filesRejected == 1)
        #expect(folder("archive") == ["a.xml"])
        let applied = try await store.feed(on: BusinessDate(iso: "2026-11-12")!, into: [LicenseExtension]()) { $0.append($1) }.map {
            "apply \($0.orderID) (\($0.transactionID ?? "-")): \($0.serial) \($0.previousExpiresOn) -> \($0.newExpiresOn)"
        }
        #expect(applied == ["apply RN-1 (TX-1): TM-1 2026-12-10 -> 2027-12-10"])
        #expect(plan.all.filter { $0.hasPrefix("apply ") } == applied)
        #expect(plan.all.contains("ingest a.xml: 3 new record(s) of 3"))
        #expect(plan.all.contains { $0.hasPrefix("quarantine b.xml: ") })
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
