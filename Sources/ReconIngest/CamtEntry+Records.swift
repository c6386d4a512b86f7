import Foundation
import ReconCore

extension CamtEntry {
    /// One record per `TxDtls`, or one for an entry without any (SPEC §3.1 field sources).
    func records(options: ReadOptions, references: OrderReferenceFinder) -> [SettlementRecord] {
        let bookedOn = date(bookingDate, bookingDateTime, options) ?? date(valueDate, valueDateTime, options)
        let valueOn = date(valueDate, valueDateTime, options)
        let details = transactions.isEmpty ? [Transaction(line: line)] : transactions
        return details.enumerated().map { offset, tx in
            let index = offset + 1
            let transactionID = tx.acctSvcrRef ?? tx.txID ?? acctSvcrRef.map { "\($0)#\(index)" }
                ?? ntryRef.map { "\($0)#\(index)" }
            let endToEnd = tx.endToEndID.flatMap { $0 == "NOTPROVIDED" ? nil : $0 }
            let reference = endToEnd ?? tx.creditorRef ?? references.firstReference(in: tx.ustrd)
            let money = tx.amount ?? tx.txAmount ?? (details.count == 1 ? amount : nil)
            let indicator = tx.cdtDbtInd ?? cdtDbtInd
            let descriptor = tx.ustrd.isEmpty ? (tx.addtlTxInf ?? addtlNtryInf ?? "") : tx.ustrd.joined(separator: " ")
            var record = SettlementRecord(
                transactionID: transactionID, orderReference: reference, amountText: money?.text ?? "",
                currencyCode: money?.currency ?? "", amount: nil, direction: indicator == "DBIT" ? .debit : .credit,
                reversal: reversal, bookedOn: bookedOn, valueOn: valueOn, descriptor: descriptor,
                line: tx.line == 0 ? line : tx.line)
            record.problem = problem(money: money, indicator: indicator, bookedOn: bookedOn)
            if record.problem == nil, let money, let currency = Currency(code: money.currency) {
                do throws(AmountError) {
                    record.amount = try Money.parse(money.text, currency: currency)
                } catch {
                    record.problem = error.description
                }
            }
            return record
        }
    }

    private func problem(money: (text: String, currency: String)?, indicator: String?, bookedOn: BusinessDate?) -> String? {
        guard let money else { return "no amount for the transaction" }
        guard Currency(code: money.currency) != nil else { return "currency '\(money.currency)' is not an ISO 4217 code" }
        guard indicator == "CRDT" || indicator == "DBIT" else { return "credit/debit indicator missing or unknown" }
        guard bookedOn != nil else { return "no booking date or value date" }
        return nil
    }

    private func date(_ plain: String?, _ dateTime: String?, _ options: ReadOptions) -> BusinessDate? {
        if let plain { return BusinessDate(iso: plain.prefix(10)) }
        return dateTime.flatMap { Timestamp(iso: $0) }?.date(in: options.settlementTimeZone)
    }
}
