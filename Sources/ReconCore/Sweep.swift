import Foundation

/// SPEC §4 sweep: what silence means at the end of a run date.
public enum Sweep {
    /// Every order still pending whose placed date + `window_days` is before `date` and that
    /// no stored settlement names → `unsettled_overdue`.
    public static func overdueOrders(_ orders: some Sequence<RenewalOrder>, namedOrderIDs: Set<String>,
                                     on date: BusinessDate, settings: RuleSettings) -> [ExceptionFacts] {
        orders.compactMap { order in
            guard order.status == .pending, !namedOrderIDs.contains(order.orderID) else { return nil }
            let placedOn = order.placedDate(in: settings.settlementTimeZone)
            guard placedOn.adding(days: settings.windowDays) < date else { return nil }
            return ExceptionFacts(code: .unsettledOverdue, subject: order.orderID, orderID: order.orderID,
                                  serial: order.serial, expectedAmountMinor: order.amount.minorUnits,
                                  currency: order.amount.currency.code, placedOn: placedOn,
                                  lagDays: date.days(since: placedOn))
        }
    }
}
