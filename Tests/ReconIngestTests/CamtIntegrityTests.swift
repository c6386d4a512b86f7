import Foundation
import Testing
@testable import ReconCore
@testable import ReconIngest

/// SPEC §3.1 batch integrity: records are still read, and each disagreement is reported once.
@Suite struct CamtIntegrityTests {
    @Test func consistentBatchesReportNothing() throws {
        var camt = CamtXML()
        camt.entries = [camt.entry(amount: "11960", batch: camt.batch(count: 2, total: "11960"),
                                   transactions: [camt.tx(id: "A"), camt.tx(id: "B")])]
        #expect(try Read.xml(camt).summary.mismatches.isEmpty)
    }

    @Test func anEntryAmountOtherThanItsTransactionsNetIsReported() throws {
        var camt = CamtXML()
        camt.entries = [camt.entry(amount: "12000", transactions: [camt.tx(id: "A"), camt.tx(id: "B", indicator: "DBIT")])]
        let parsed = try Read.xml(camt)
        #expect(parsed.records.count == 2)
        #expect(parsed.summary.mismatches.map(\.detail) == ["Ntfctn 1 Ntry 1: entry amount 12000 JPY, its TxDtls net 0"])
    }

    @Test func aBatchCountOrTotalOtherThanItsTransactionsIsReported() throws {
        var camt = CamtXML()
        camt.entries = [camt.entry(amount: "11960", batch: camt.batch(count: 3, total: "11970"),
                                   transactions: [camt.tx(id: "A"), camt.tx(id: "B")])]
        let mismatches = try Read.xml(camt).summary.mismatches
        #expect(mismatches.count == 1)
        #expect(mismatches.first?.position == "Ntfctn 1 Ntry 1 Btch 1")
        #expect(mismatches.first?.detail.contains("NbOfTxs 3, the file holds 2 TxDtls") == true)
        #expect(mismatches.first?.detail.contains("TtlAmt 11970 JPY, its TxDtls net 11960") == true)
    }

    /// The batch total is read in its own currency (`TtlAmt/@Ccy`), not that of an amount
    /// before it in the entry, such as the instructed amount in another currency.
    @Test func aBatchTotalIsCheckedInItsOwnCurrency() throws {
        var camt = CamtXML()
        let instructed = camt.tag("AmtDtls", camt.tag("InstdAmt", camt.tag("Amt", "80.00", attributes: " Ccy=\"USD\"")))
        let details = "<\(camt.el("NtryDtls"))>"
        camt.entries = [camt.entry(amount: "11960", batch: camt.batch(count: 2, total: "99999"),
                                   transactions: [camt.tx(id: "A"), camt.tx(id: "B")])
            .replacingOccurrences(of: details, with: instructed + details)]
        let mismatches = try Read.xml(camt).summary.mismatches
        #expect(mismatches.map(\.position) == ["Ntfctn 1 Ntry 1 Btch 1"])
        #expect(mismatches.first?.detail.contains("TtlAmt 99999 JPY, its TxDtls net 11960") == true, "\(mismatches)")
    }

    @Test func aTransactionsSummaryOtherThanTheEntriesIsReported() throws {
        var camt = CamtXML(kind: "053")
        camt.summary = camt.tag("TxsSummry", camt.tag("TtlNtries", camt.tag("NbOfNtries", "3") + camt.tag("Sum", "11960"))
                                    + camt.tag("TtlCdtNtries", camt.tag("NbOfNtries", "2") + camt.tag("Sum", "11960")))
        camt.entries = [camt.entry(transactions: [camt.tx(id: "A")]), camt.entry(transactions: [camt.tx(id: "B")])]
        let mismatches = try Read.xml(camt).summary.mismatches
        #expect(mismatches.map(\.position) == ["Stmt 1 TxsSummry"])
        #expect(mismatches.first?.detail == "Stmt 1 TxsSummry: TtlNtries/NbOfNtries 3, the file holds 2")
    }

    /// Entries cross from the parsing thread in groups: records, ordinals and mismatches still
    /// come out in document order, the report's check after all of its entries.
    @Test func manyEntriesKeepDocumentOrderAcrossHandOvers() throws {
        var camt = CamtXML(kind: "053")
        let count = CamtReader.entriesPerHandoff * 3 + 5
        camt.summary = camt.tag("TxsSummry", camt.tag("TtlNtries", camt.tag("NbOfNtries", String(count + 1))))
        camt.entries = (0..<count).map { index in
            camt.entry(amount: index % 50 == 0 ? "1" : "5980", transactions: [camt.tx(id: index % 7 == 0 ? "SAME" : "T\(index)")])
        }
        let parsed = try Read.xml(camt)
        let expectedIDs = (0..<count).map { $0 % 7 == 0 ? "SAME" : "T\($0)" }
        #expect(parsed.records.map(\.transactionID) == expectedIDs)
        #expect(parsed.records.filter { $0.transactionID == "SAME" }.map(\.ordinal) == Array(0..<(count + 6) / 7))
        let positions = parsed.summary.mismatches.map(\.position)
        #expect(positions == stride(from: 0, to: count, by: 50).map { "Stmt 1 Ntry \($0 + 1)" } + ["Stmt 1 TxsSummry"])
        #expect(parsed.summary.mismatches.last?.detail == "Stmt 1 TxsSummry: TtlNtries/NbOfNtries \(count + 1), the file holds \(count)")
    }
}
