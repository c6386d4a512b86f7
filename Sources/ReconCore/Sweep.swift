import Foundation

/// When settlement files are expected (`expect_daily_files`, `file_days`, `holidays`).
public struct FileCalendar: Sendable {
    public var expectDailyFiles: Bool
    /// ISO weekdays, 1 = Monday.
    public var fileDays: Set<Int>
    public var holidays: Set<BusinessDate>

    public init(expectDailyFiles: Bool = false, fileDays: Set<Int> = [1, 2, 3, 4, 5], holidays: Set<BusinessDate> = []) {
        self.expectDailyFiles = expectDailyFiles
        self.fileDays = fileDays
        self.holidays = holidays
    }

    public func expectsFile(on date: BusinessDate) -> Bool {
        expectDailyFiles && fileDays.contains(date.isoWeekday) && !holidays.contains(date)
    }
}

/// SPEC §4 sweep: what silence means at the end of a date.
public enum Sweep {
    /// What the sweep of `date` raises, and which standing sweep exceptions it resolves.
    public struct Plan: Sendable {
        public var raising: [ExceptionFacts] = []
        public var resolving: [(exceptionID: String, reason: String)] = []
    }

    /// - Parameters:
    ///   - unnamedPending: the orders still pending that no stored settlement names.
    ///   - standing: the `unsettled_overdue` and `no_settlement_file` exceptions open or dismissed.
    ///   - filesReceived: how many files arrived on `date`.
    public static func plan(on date: BusinessDate, unnamedPending: [RenewalOrder], standing: [ExceptionRow],
                            filesReceived: Int, settings: RuleSettings, calendar: FileCalendar) -> Plan {
        var plan = Plan()
        let pending = Set(unnamedPending.map { ExactID($0.orderID) })
        plan.raising = overdueOrders(unnamedPending, on: date, settings: settings)
        let overdue = Set(plan.raising.compactMap { $0.orderID.map { ExactID($0) } })
        for row in standing {
            switch row.facts.code {
            case .unsettledOverdue:
                guard let orderID = row.facts.orderID else { break }
                if !pending.contains(ExactID(orderID)) {
                    plan.resolving.append((row.exceptionID, "a settlement names the order, or it is no longer pending"))
                } else if !overdue.contains(ExactID(orderID)), date >= row.lastSeen {
                    // Not overdue on a date no earlier than it was last seen: `window_days` grew.
                    // (A rerun of an earlier date, before the order was due, leaves it alone.)
                    plan.resolving.append((row.exceptionID, "the order is no longer overdue under window_days"))
                }
            case .noSettlementFile where row.facts.subject == date.description:
                if filesReceived > 0 {
                    plan.resolving.append((row.exceptionID, "a settlement file arrived"))
                } else if !calendar.expectsFile(on: date) {
                    plan.resolving.append((row.exceptionID, "no file is expected on that date any more"))
                }
            default:
                break
            }
        }
        if calendar.expectsFile(on: date), filesReceived == 0 {
            plan.raising.append(ExceptionFacts(code: .noSettlementFile, subject: date.description, settledOn: date,
                                               detail: "no settlement file arrived on \(date)"))
        }
        return plan
    }

    /// Every order of `unnamedPending` (pending, and named by no stored settlement) whose placed
    /// date + `window_days` is before `date` → `unsettled_overdue`.
    public static func overdueOrders(_ unnamedPending: [RenewalOrder], on date: BusinessDate,
                                     settings: RuleSettings) -> [ExceptionFacts] {
        unnamedPending.compactMap { order in
            guard order.status == .pending else { return nil }
            let placedOn = order.placedDate(in: settings.settlementTimeZone)
            guard placedOn.adding(days: settings.windowDays) < date else { return nil }
            var facts = ExceptionFacts(code: .unsettledOverdue, subject: order.orderID, orderID: order.orderID,
                                       serial: order.serial, expectedAmountMinor: order.amount.minorUnits,
                                       currency: order.amount.currency.code, placedOn: placedOn,
                                       lagDays: date.days(since: placedOn))
            facts.expectedCurrency = order.amount.currency.code
            return facts
        }.sorted { $0.subject.utf8.lexicographicallyPrecedes($1.subject.utf8) }
    }
}
