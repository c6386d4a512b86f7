import Foundation
import ReconCore

extension CamtEntry {
    /// One record per `TxDtls`, or one for an entry without any (SPEC §3.1 field sources).
    func records(options: ReadOptions, references: OrderReferenceFinder, emit: (inout SettlementRecord) -> Void) {
        // The value date stands in only for a booking date that is absent (SPEC §3.1): one
        // written but unreadable makes the record invalid, not booked on another day.
        let booking = date(bookingDate, bookingDateTime, options)
        let value = date(valueDate, valueDateTime, options)
        let bookedOn = booking.date ?? (booking.isAbsent ? value.date : nil)
        let valueOn = value.date
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
                                     indicator: indicator, booking: booking, value: value)
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
                         booking: EntryDate, value: EntryDate) -> String? {
        guard hasMoney else { return "no amount for the transaction" }
        guard currency != nil else { return "currency '\(currencyCode)' is not an ISO 4217 code" }
        guard let indicator, self[indicator, is: "CRDT"] || self[indicator, is: "DBIT"] else {
            return "credit/debit indicator missing or unknown"
        }
        switch (booking, value) {
        case (.unreadable(let text), _): return "booking date '\(text)' is not a date"
        case (.absent, .unreadable(let text)): return "no booking date, and value date '\(text)' is not a date"
        case (.absent, .absent): return "no booking date or value date"
        default: return nil
        }
    }

    /// A booking or value date of the entry: `Dt` as written (an `xs:date`, which may carry a
    /// zone: `2026-11-20+09:00`), else `DtTm` converted to the settlement time zone.
    private func date(_ plain: Span?, _ dateTime: Span?, _ options: ReadOptions) -> EntryDate {
        if let text = present(plain) {
            // Read as that day's midnight, so that a zone is checked as a date-time's is.
            guard let midnight = Timestamp(iso: "\(text.prefix(10))T00:00:00\(text.dropFirst(10))") else { return .unreadable(text) }
            return .date(midnight.localDate)
        }
        if let text = present(dateTime) {
            guard let date = Timestamp(iso: text)?.date(in: options.settlementTimeZone) else { return .unreadable(text) }
            return .date(date)
        }
        return .absent
    }
}

/// What an entry's date element gives.
enum EntryDate {
    case absent
    case date(BusinessDate)
    /// Written, and no date: the record is invalid rather than dated by another element.
    case unreadable(String)

    var date: BusinessDate? {
        if case .date(let date) = self { date } else { nil }
    }

    var isAbsent: Bool {
        if case .absent = self { true } else { false }
    }
}
