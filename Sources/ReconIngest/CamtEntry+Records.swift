import Foundation
import ReconCore

extension CamtEntry {
    /// One record per `TxDtls`, or one for an entry without any (SPEC §3.1 field sources).
    func records(options: ReadOptions, references: OrderReferenceFinder, emit: (inout SettlementRecord) -> Void) {
        let bookedOn = date(bookingDate, bookingDateTime, options) ?? date(valueDate, valueDateTime, options)
        let valueOn = date(valueDate, valueDateTime, options)
        let details = transactions.isEmpty ? [Transaction(line: line)] : transactions
        for (offset, tx) in details.enumerated() {
            let index = offset + 1
            // An element left empty is no source: the next one is read, as where it is absent.
            let transactionID = present(tx.acctSvcrRef) ?? present(tx.txID) ?? present(acctSvcrRef).map { "\($0)#\(index)" }
                ?? present(ntryRef).map { "\($0)#\(index)" }
            let endToEnd = tx.endToEndID.flatMap { self[$0, is: "NOTPROVIDED"] ? nil : present($0) }
            let reference = endToEnd ?? present(tx.creditorRef)
                ?? (tx.ustrd.isEmpty ? nil : references.firstReference(in: ustrd(of: tx)))
            let money = tx.amount ?? tx.txAmount ?? (details.count == 1 ? amount : nil)
            let indicator = tx.cdtDbtInd ?? cdtDbtInd
            let descriptor = switch tx.ustrd.count {
            case 0: string(tx.addtlTxInf) ?? string(addtlNtryInf) ?? ""
            case 1: string(ustrd[tx.ustrd.lowerBound])!
            default: ustrd(of: tx).joined(separator: " ")
            }
            let amountText = money.map { string($0.text)! } ?? ""
            let currencyCode = money.map { string($0.currency)! } ?? ""
            var record = SettlementRecord(
                transactionID: transactionID, orderReference: reference, amountText: amountText,
                currencyCode: currencyCode, amount: nil,
                direction: indicator.map { self[$0, is: "DBIT"] } == true ? .debit : .credit,
                reversal: reversal, bookedOn: bookedOn, valueOn: valueOn, descriptor: descriptor,
                line: tx.line == 0 ? line : tx.line)
            let currency = Currency(code: currencyCode)
            record.problem = problem(hasMoney: money != nil, currencyCode: currencyCode, currency: currency,
                                     indicator: indicator, bookedOn: bookedOn)
            if record.problem == nil, let currency {
                do throws(AmountError) {
                    record.amount = try Money.parse(amountText, currency: currency)
                } catch {
                    record.problem = error.description
                }
            }
            emit(&record)
        }
    }

    private func problem(hasMoney: Bool, currencyCode: String, currency: Currency?, indicator: Span?,
                         bookedOn: BusinessDate?) -> String? {
        guard hasMoney else { return "no amount for the transaction" }
        guard currency != nil else { return "currency '\(currencyCode)' is not an ISO 4217 code" }
        guard let indicator, self[indicator, is: "CRDT"] || self[indicator, is: "DBIT"] else {
            return "credit/debit indicator missing or unknown"
        }
        guard bookedOn != nil else { return "no booking date or value date" }
        return nil
    }

    private func date(_ plain: Span?, _ dateTime: Span?, _ options: ReadOptions) -> BusinessDate? {
        if let plain { return BusinessDate(iso: string(plain)!.prefix(10)) }
        return string(dateTime).flatMap { Timestamp(iso: $0) }?.date(in: options.settlementTimeZone)
    }
}
