import Foundation
import ReconCore

/// A batch or summary figure that disagrees with what the file holds (SPEC §3.1 batch
/// integrity): the records are still ingested, and one `batch_total_mismatch` names it.
public struct BatchMismatch: Hashable, Sendable {
    /// What is compared, stable across runs (`Ntry 3`, `Ntry 3 Btch 1`, `Stmt 1 TxsSummry`).
    public var position: String
    public var line: Int
    public var detail: String
}

/// What a `Stmt` / `Ntfctn` holds, counted entry by entry, to compare with what its
/// `TxsSummry` declares.
struct ReportSummary {
    struct Declared {
        /// The line of the report's start tag.
        var line = 0
        var count: Int?
        var sum: String?
        var net: String?
        var netIndicator: String?
        var creditCount: Int?
        var creditSum: String?
        var debitCount: Int?
        var debitSum: String?
    }

    var entries = 0
    var credits = 0
    var debits = 0
    /// nil once a sum no longer fits: it is then not compared.
    var creditSum: ExactDecimal? = .zero
    var debitSum: ExactDecimal? = .zero

    mutating func count(_ entry: CamtEntry) {
        entries += 1
        guard let amount = entry.amount.flatMap({ entry.decimal($0.text) }), let indicator = entry.cdtDbtInd else { return }
        if entry[indicator, is: "DBIT"] {
            debits += 1
            debitSum += amount
        } else if entry[indicator, is: "CRDT"] {
            credits += 1
            creditSum += amount
        }
    }

    /// Every declared figure that differs from the counted one.
    func mismatches(_ declared: Declared, position: CamtPosition) -> [BatchMismatch] {
        var found: [String] = []
        func compare(_ name: String, _ declared: Int?, _ actual: Int) {
            if let declared, declared != actual { found.append("\(name) \(declared), the file holds \(actual)") }
        }
        func compare(_ name: String, _ declared: String?, _ actual: ExactDecimal?) {
            guard let declared else { return }
            guard let value = ExactDecimal(declared) else {
                found.append("\(name) '\(declared)' is not a number")
                return
            }
            if let actual, value != actual { found.append("\(name) \(declared), the file holds \(actual)") }
        }
        compare("TtlNtries/NbOfNtries", declared.count, entries)
        func sum(_ a: ExactDecimal?, _ b: ExactDecimal?) -> ExactDecimal? {
            guard let a, let b else { return nil }
            return a + b
        }
        compare("TtlNtries/Sum", declared.sum, sum(creditSum, debitSum))
        if let net = declared.net {
            let signed = declared.netIndicator == "DBIT" ? "-" + net : net
            compare("TtlNtries/TtlNetNtry", signed, sum(creditSum, debitSum.map { -$0 }))
        }
        compare("TtlCdtNtries/NbOfNtries", declared.creditCount, credits)
        compare("TtlCdtNtries/Sum", declared.creditSum, creditSum)
        compare("TtlDbtNtries/NbOfNtries", declared.debitCount, debits)
        compare("TtlDbtNtries/Sum", declared.debitSum, debitSum)
        guard !found.isEmpty else { return [] }
        return [BatchMismatch(position: "\(position)", line: declared.line, detail: "\(position): " + found.joined(separator: "; "))]
    }
}

enum CamtIntegrity {
    /// The entry's amount against the net of its `TxDtls`, and each `Btch` against its `TxDtls`.
    static func mismatches(in entry: CamtEntry, position: CamtPosition) -> [BatchMismatch] {
        var found: [BatchMismatch] = []
        func signed(_ money: CamtEntry.Amount?, _ indicator: CamtEntry.Span?) -> ExactDecimal? {
            guard let money, let value = entry.decimal(money.text) else { return nil }
            return indicator.map { entry[$0, is: "DBIT"] } == true ? -value : value
        }
        func net(_ transactions: ArraySlice<CamtEntry.Transaction>, currency: CamtEntry.Span) -> ExactDecimal? {
            var total: ExactDecimal? = .zero
            for tx in transactions {
                guard let money = tx.amount ?? tx.txAmount, entry.same(money.currency, currency),
                      let value = signed(money, tx.cdtDbtInd ?? entry.cdtDbtInd) else { return nil }
                total += value
            }
            return total
        }
        if !entry.transactions.isEmpty, let amount = entry.amount, let declared = signed(amount, entry.cdtDbtInd),
           let held = net(entry.transactions[...], currency: amount.currency), held != declared {
            found.append(BatchMismatch(position: "\(position)", line: entry.line,
                                       detail: "\(position): entry amount \(declared) \(entry.string(amount.currency)!), its TxDtls net \(held)"))
        }
        for (index, batch) in entry.batches.enumerated() {
            let slice = entry.transactions[batch.first..<(batch.end ?? entry.transactions.count)]
            var problems: [String] = []
            // A batch that lists no TxDtls reports what the bank booked in one sum: nothing to count.
            if let count = batch.count, !slice.isEmpty, count != slice.count {
                problems.append("NbOfTxs \(count), the file holds \(slice.count) TxDtls")
            }
            if let total = batch.total, !slice.isEmpty, let declared = signed(total, batch.indicator ?? entry.cdtDbtInd),
               let held = net(slice, currency: total.currency), held != declared {
                problems.append("TtlAmt \(declared) \(entry.string(total.currency)!), its TxDtls net \(held)")
            }
            if !problems.isEmpty {
                let batchPosition = "\(position) Btch \(index + 1)"
                found.append(BatchMismatch(position: batchPosition, line: batch.line,
                                           detail: "\(batchPosition): " + problems.joined(separator: "; ")))
            }
        }
        return found
    }
}
