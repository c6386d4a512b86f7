import Foundation
@testable import ReconCore

/// Small builders for rule tests: one order, one license, one settlement.
enum RuleFixtures {
    static let jpy = Currency(code: "JPY")!
    static let settings = RuleSettings()

    static func order(_ id: String = "RN20261110-0001", serial: String = "TM-0001", target: String = "VBC",
                      years: Int = 1, amount: Int64 = 5980, placed: String = "2026-11-10T10:00:00+09:00",
                      status: OrderStatus = .pending) -> RenewalOrder {
        RenewalOrder(orderID: id, serial: serial, currentProduct: "VBC", targetProduct: target, years: years,
                     amount: Money(minorUnits: amount, currency: jpy), email: "customer@example.com",
                     placedAt: Timestamp(iso: placed)!, status: status)
    }

    static func license(_ serial: String = "TM-0001", product: String = "VBC", expires: String = "2026-12-10",
                        autoRenew: Bool = false) -> License {
        License(serial: serial, product: product, expiresOn: BusinessDate(iso: expires)!, autoRenew: autoRenew,
                email: "customer@example.com")
    }

    static func record(_ reference: String? = "RN20261110-0001", id: String = "TX-1", amount: Int64 = 5980,
                       currency: String = "JPY", booked: String = "2026-11-12", direction: Direction = .credit,
                       reversal: Bool = false, descriptor: String = "RCH*TrendMicro RN20261110-0001") -> SettlementRecord {
        SettlementRecord(transactionID: id, orderReference: reference, amountText: String(amount), currencyCode: currency,
                         amount: Currency(code: currency).map { Money(minorUnits: amount, currency: $0) },
                         direction: direction, reversal: reversal, bookedOn: BusinessDate(iso: booked), valueOn: nil,
                         descriptor: descriptor, line: 1)
    }

    /// The code a record is held with, or nil when it applies (or is foreign).
    static func verdictCode(_ record: SettlementRecord, orders: [RenewalOrder] = [order()],
                            licenses: [License] = [license()], settings: RuleSettings = settings) -> ExceptionCode? {
        let ledger = Ledger(orders: orders, licenses: licenses, extensions: [])
        if case .held(let facts) = RenewalRules(settings: settings).evaluate(record, fileName: "f.xml", ledger: ledger) {
            return facts.code
        }
        return nil
    }
}
