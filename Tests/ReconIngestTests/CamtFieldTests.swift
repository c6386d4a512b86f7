import Foundation
import Testing
@testable import ReconCore
@testable import ReconIngest

/// SPEC §3.1 field sources, first present wins.
@Suite struct CamtFieldTests {
    func records(_ build: (CamtXML) -> [String]) throws -> [SettlementRecord] {
        var camt = CamtXML()
        camt.entries = build(camt)
        return try Read.xml(camt).records
    }

    @Test func transactionIDFallsBackThroughItsSources() throws {
        let found = try records { c in [
            c.entry(transactions: [c.tx(id: "SVC-1", txID: "TXID-1")]),
            c.entry(transactions: [c.tx(id: nil, txID: "TXID-2")]),
            c.entry(servicerRef: "NTRY-SVC", transactions: [c.tx(id: nil), c.tx(id: nil)]),
            c.entry(ntryRef: "NTRY-REF", transactions: [c.tx(id: nil)]),
            c.entry(transactions: [c.tx(id: nil)]),
            c.entry(servicerRef: "NO-TX", transactions: []),
        ] }
        #expect(found.map(\.transactionID) == ["SVC-1", "TXID-2", "NTRY-SVC#1", "NTRY-SVC#2", "NTRY-REF#1", nil, "NO-TX#1"])
    }

    @Test func orderReferenceFallsBackThroughItsSources() throws {
        let found = try records { c in [
            c.entry(transactions: [c.tx(endToEnd: "RN-E2E-1", creditorRef: "RF-1")]),
            c.entry(transactions: [c.tx(endToEnd: "NOTPROVIDED", creditorRef: "RF-2")]),
            c.entry(transactions: [c.tx(endToEnd: nil, ustrd: ["Paid With Reach", "order RN20261120-0007 thanks"])]),
            c.entry(transactions: [c.tx(endToEnd: nil, ustrd: ["xRN20261120-0007 RN2026"])]),
        ] }
        #expect(found.map(\.orderReference) == ["RN-E2E-1", "RF-2", "RN20261120-0007", nil])
        #expect(found[2].descriptor == "Paid With Reach order RN20261120-0007 thanks")
    }

    @Test func amountFallsBackToTxAmtThenToTheEntryOfASingleTransaction() throws {
        let found = try records { c in [
            c.entry(amount: "100", transactions: [c.tx(amount: nil, txAmount: "100")]),
            c.entry(amount: "200", transactions: [c.tx(amount: nil)]),
            c.entry(amount: "300", transactions: [c.tx(id: "A", amount: nil), c.tx(id: "B", amount: nil)]),
        ] }
        #expect(found.map { $0.amount?.minorUnits } == [100, 200, nil, nil])
        #expect(found[2].problem == "no amount for the transaction")
    }

    @Test func directionReversalAndDescriptorFallBackToTheEntry() throws {
        let found = try records { c in [
            c.entry(indicator: "DBIT", reversal: true, info: "entry info", transactions: [c.tx(indicator: nil, ustrd: [])]),
            c.entry(transactions: [c.tx(indicator: "DBIT", ustrd: [], info: "tx info")]),
        ] }
        #expect(found.map(\.direction) == [.debit, .debit])
        #expect(found.map(\.reversal) == [true, false])
        #expect(found.map(\.descriptor) == ["entry info", "tx info"])
    }

    @Test func bookingDateTimesBecomeDatesInTheSettlementZone() throws {
        let found = try records { c in [
            c.entry(booked: "<DtTm>2014-01-04T23:00:00.000Z</DtTm>", transactions: [c.tx(id: "A")]),
            c.entry(booked: "<DtTm>2025-07-23T00:00:00.000000000</DtTm>", transactions: [c.tx(id: "B")]),
            c.entry(booked: nil, value: "<Dt>2026-11-13</Dt>", transactions: [c.tx(id: "C")]),
            c.entry(booked: nil, value: nil, transactions: [c.tx(id: "D")]),
        ] }
        #expect(found.map { $0.bookedOn?.description } == ["2014-01-05", "2025-07-23", "2026-11-13", nil])
        #expect(found[2].valueOn?.description == "2026-11-13")
        #expect(found[3].problem == "no booking date or value date")
    }

    /// The value date stands in for a booking date that is absent, not for one written wrong:
    /// such a record is invalid rather than dated, and applied, by another element.
    @Test func anUnreadableBookingDateMakesTheRecordInvalid() throws {
        let found = try records { c in [
            c.entry(booked: "<Dt>2026-11-31</Dt>", value: "<Dt>2026-11-20</Dt>", transactions: [c.tx(id: "A")]),
            c.entry(booked: "<DtTm>2026-11-20T25:00:00+09:00</DtTm>", value: "<Dt>2026-11-19</Dt>", transactions: [c.tx(id: "B")]),
            c.entry(booked: "<Dt>20261120</Dt>", transactions: [c.tx(id: "C")]),
            c.entry(booked: nil, value: "<Dt>2026-13-01</Dt>", transactions: [c.tx(id: "D")]),
            c.entry(booked: "<Dt>2026-11-20+09:00</Dt>", transactions: [c.tx(id: "E")]),
            c.entry(booked: "<Dt>2026-11-20Z</Dt>", value: "<Dt>2026-11-2</Dt>", transactions: [c.tx(id: "F")]),
            // 10000-01-01 in Tokyo: it was read as 0000-01-01, stored and never evaluated.
            c.entry(booked: "<DtTm>9999-12-31T20:00:00Z</DtTm>", transactions: [c.tx(id: "G")]),
        ] }
        #expect(found.map { $0.bookedOn?.description } == [nil, nil, nil, nil, "2026-11-20", "2026-11-20", nil])
        #expect(found.map(\.problem) == [
            "booking date '2026-11-31' is not a date",
            "booking date '2026-11-20T25:00:00+09:00' is not a date",
            "booking date '20261120' is not a date",
            "no booking date, and value date '2026-13-01' is not a date",
            nil, nil,
            "booking date '9999-12-31T20:00:00Z' is not a date",
        ])
        #expect(found[0].valueOn?.description == "2026-11-20")
        #expect(found[5].valueOn == nil)
    }

    @Test func onlyBookedEntriesOrEntriesWithoutStatusAreSettlements() throws {
        var camt = CamtXML()
        camt.entries = [camt.entry(status: "PDNG", transactions: [camt.tx(id: "P1"), camt.tx(id: "P2")]),
                        camt.entry(status: "INFO", transactions: [camt.tx(id: "I")]),
                        camt.entry(status: nil, transactions: [camt.tx(id: "N")]),
                        camt.entry(transactions: [camt.tx(id: "B")])]
        let parsed = try Read.xml(camt)
        #expect(parsed.records.map(\.transactionID) == ["N", "B"])
        #expect(parsed.summary.skipped == 3)
        var older = CamtXML(version: 4)
        older.entries = [older.entry(status: "FUTR", transactions: [older.tx()])]
        #expect(try Read.xml(older).summary.skipped == 1)
        // From version 08 a status may be proprietary: it is a status, and not BOOK.
        var proprietary = CamtXML()
        proprietary.entries = [proprietary.entry(proprietaryStatus: "PENDING", transactions: [proprietary.tx(id: "P")]),
                               proprietary.entry(transactions: [proprietary.tx(id: "B")])]
        let read = try Read.xml(proprietary)
        #expect(read.records.map(\.transactionID) == ["B"])
        #expect(read.summary.skipped == 1)
    }

    /// An element left empty is no source: an empty `EndToEndId` gives way to the reference in
    /// `Ustrd`, and two settlements under one `AcctSvcrRef`, one with an empty `EndToEndId` and
    /// one with none, are two records, not one key twice.
    @Test func anEmptyElementIsNoSource() throws {
        let found = try records { c in [
            c.entry(transactions: [c.tx(id: "X", endToEnd: " ", ustrd: ["RCH*TrendMicro"]),
                                   c.tx(id: "X", endToEnd: nil, ustrd: ["RCH*TrendMicro"]),
                                   c.tx(id: "Y", endToEnd: "", ustrd: ["RCH*TrendMicro RN20261110-0007"])]),
            c.entry(servicerRef: "E-1", transactions: [c.tx(id: " ")]),
        ] }
        #expect(found.map(\.orderReference) == [nil, nil, "RN20261110-0007", "RN20261110-0001"])
        #expect(found[0].recordID != found[1].recordID)
        #expect(found[3].transactionID == "E-1#1")
    }

    @Test func moneyIsExactAndNeverRounded() throws {
        let found = try records { c in [
            c.entry(amount: "5980.5", transactions: [c.tx(id: "A", amount: "5980.5")]),
            c.entry(amount: "18.150", currency: "EUR", transactions: [c.tx(id: "B", amount: "18.150", currency: "EUR")]),
            c.entry(amount: "1", currency: "XYZ", transactions: [c.tx(id: "C", amount: "1", currency: "XYZ")]),
            c.entry(amount: "-1", transactions: [c.tx(id: "D", amount: "-1")]),
        ] }
        #expect(found[0].amount == nil)
        #expect(found[0].problem == "amount '5980.5' has more decimals than JPY allows")
        #expect(found[1].amount?.minorUnits == 1815)
        #expect(found[2].problem == "currency 'XYZ' is not an ISO 4217 code")
        #expect(found[3].problem?.contains("not a decimal number") == true)
    }

    @Test func aBatchRepeatingOneIDOnSeveralLinesKeepsEveryLine() throws {
        let found = try records { c in [
            c.entry(amount: "17940", transactions: [c.tx(id: "BATCH-9"), c.tx(id: "BATCH-9"), c.tx(id: "BATCH-9")]),
        ] }
        #expect(found.map(\.ordinal) == [0, 1, 2])
        #expect(Set(found.map(\.recordID)).count == 3)
    }

    /// Two records share ordinals only when every part of (transaction id, content) is the same.
    @Test func everyPartOfARecordsIdentitySeparatesItsOrdinals() throws {
        let base = SettlementRecord(transactionID: "T-1", orderReference: "RN20261110-0001", amountText: "5980",
                                    currencyCode: "JPY", amount: Money(minorUnits: 5980, currency: Currency(code: "JPY")!),
                                    direction: .credit, reversal: false, bookedOn: BusinessDate(iso: "2026-11-12"),
                                    valueOn: nil, descriptor: "", line: 1)
        let variants: [(String, (inout SettlementRecord) -> Void)] = [
            ("no transaction id", { $0.transactionID = nil }),
            ("empty transaction id", { $0.transactionID = "" }),
            ("transaction id", { $0.transactionID = "T-2" }),
            ("no reference", { $0.orderReference = nil }),
            ("reference", { $0.orderReference = "RN20261110-0002" }),
            ("amount", { $0.amount = Money(minorUnits: 5981, currency: Currency(code: "JPY")!) }),
            ("unreadable amount", { $0.amount = nil }),
            ("currency", { $0.currencyCode = "USD" }),
            ("direction", { $0.direction = .debit }),
            ("reversal", { $0.reversal = true }),
            ("booking date", { $0.bookedOn = BusinessDate(iso: "2026-11-13") }),
            ("no booking date", { $0.bookedOn = nil }),
            ("id and reference shifted", { $0.transactionID = "T-1RN"; $0.orderReference = "20261110-0001" }),
        ]
        var counter = OrdinalCounter()
        var first = base
        counter.assign(&first)
        #expect(first.ordinal == 0)
        for (name, change) in variants {
            var record = base
            change(&record)
            counter.assign(&record)
            #expect(record.ordinal == 0, "\(name)")
            counter.assign(&record)
            #expect(record.ordinal == 1, "\(name)")
        }
        var again = base
        again.descriptor = "a descriptor and line are not part of the identity"
        again.line = 99
        counter.assign(&again)
        #expect(again.ordinal == 1)
    }
}
