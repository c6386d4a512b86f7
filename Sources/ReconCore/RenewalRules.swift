import Foundation

/// The settings the rules read (SPEC §8: `window_days`, `amount_tolerance_minor`,
/// `late_settlement`, `descriptors`, `products`, `renewals`, `settlement_timezone`).
public struct RuleSettings: Sendable {
    public var windowDays: Int
    public var amountToleranceMinor: Int64
    /// `late_settlement: apply` applies a late settlement and flags it as a warning.
    public var appliesLateSettlements: Bool
    public var descriptors: DescriptorMatcher
    public var catalog: ProductCatalog
    public var settlementTimeZone: TimeZone

    public init(windowDays: Int = 5, amountToleranceMinor: Int64 = 0, appliesLateSettlements: Bool = false,
                descriptors: DescriptorMatcher = DescriptorMatcher(descriptors: ["RCH*TrendMicro", "With Reach"]),
                catalog: ProductCatalog = .standard,
                settlementTimeZone: TimeZone = TimeZone(identifier: "Asia/Tokyo") ?? .current) {
        self.windowDays = windowDays
        self.amountToleranceMinor = amountToleranceMinor
        self.appliesLateSettlements = appliesLateSettlements
        self.descriptors = descriptors
        self.catalog = catalog
        self.settlementTimeZone = settlementTimeZone
    }
}

extension RuleSettings {
    /// Where rule 3 looks for a `missing_reference`'s candidates.
    public var candidateWindow: CandidateWindow { CandidateWindow(days: windowDays, timeZone: settlementTimeZone) }
}

/// The orders a record without reference may list as candidates (rule 3): placed so that its
/// lag would be in the window, 0 to `days`, the placed date taken in `timeZone`.
public struct CandidateWindow: Sendable {
    public var days: Int
    public var timeZone: TimeZone

    public init(days: Int, timeZone: TimeZone) {
        self.days = days
        self.timeZone = timeZone
    }

    public func contains(_ order: RenewalOrder, bookedOn: BusinessDate) -> Bool {
        (0...days).contains(bookedOn.days(since: order.placedDate(in: timeZone)))
    }
}

/// The verdict of the rules on one record.
public enum Verdict: Hashable, Sendable {
    case foreign
    case held(ExceptionFacts)
    /// Rule 9 may go ahead; `lateWarning` is set when a late settlement is applied by policy.
    case apply(order: RenewalOrder, lagDays: Int, lateWarning: Bool)
}

/// SPEC §4 rules 1–8 for one record against the current ledger: pure, no side effect.
public struct RenewalRules: Sendable {
    public let settings: RuleSettings

    public init(settings: RuleSettings) {
        self.settings = settings
    }

    /// - Parameters:
    ///   - attachedOrderID: an order a support decision attached the record to (`--order`).
    ///   - waiving: the one check a manual apply waives (`exceptions resolve --apply`).
    public func evaluate(_ record: SettlementRecord, fileName: String?, attachedOrderID: String? = nil,
                         ledger: Ledger, waiving: ExceptionCode? = nil) -> Verdict {
        func held(_ code: ExceptionCode, _ fill: (inout ExceptionFacts) -> Void = { _ in }) -> Verdict {
            var facts = ExceptionFacts.about(record, fileName: fileName, code: code)
            fill(&facts)
            return .held(facts)
        }
        // 1. Ours.
        guard settings.descriptors.matches(record.descriptor) else { return .foreign }
        let reference = attachedOrderID ?? record.orderReference
        // 2. Money out.
        if record.direction == .debit || record.reversal {
            return held(.refundOrChargeback) { facts in
                if let order = reference.flatMap({ ledger.orders[ExactID($0)] }) { facts.serial = order.serial }
            }
        }
        guard let amount = record.amount, let bookedOn = record.bookedOn else {
            return held(.invalidRecord)
        }
        // 3. Reference.
        guard let reference else {
            return held(.missingReference) { facts in
                facts.candidates = ledger.candidates(for: record, amount: amount, bookedOn: bookedOn, settings: settings)
            }
        }
        guard let order = ledger.orders[ExactID(reference)] else { return held(.unknownOrder) }
        let placedOn = order.placedDate(in: settings.settlementTimeZone)
        let lag = bookedOn.days(since: placedOn)
        func heldForOrder(_ code: ExceptionCode, detail: String? = nil) -> Verdict {
            held(code) { facts in
                if let detail { facts.detail = detail }
                facts.orderID = order.orderID
                facts.serial = order.serial
                facts.expectedAmountMinor = order.amount.minorUnits
                facts.expectedCurrency = order.amount.currency.code
                facts.placedOn = placedOn
                facts.lagDays = lag
            }
        }
        // 4. Order state.
        switch order.status {
        case .completed: return heldForOrder(.duplicatePayment)
        case .cancelled: return heldForOrder(.orderNotPending)
        case .pending: break
        }
        // 5. Amount.
        if amount.currency != order.amount.currency { return heldForOrder(.currencyMismatch) }
        if waiving != .amountMismatch,
           (amount.minorUnits - order.amount.minorUnits).magnitude > settings.amountToleranceMinor.magnitude {
            return heldForOrder(.amountMismatch)
        }
        // 6. Window.
        var lateWarning = false
        if lag < 0, waiving != .settledBeforeOrder { return heldForOrder(.settledBeforeOrder) }
        if lag > settings.windowDays, waiving != .lateSettlement {
            guard settings.appliesLateSettlements else { return heldForOrder(.lateSettlement) }
            lateWarning = true
        }
        // 7. License.
        guard let license = ledger.licenses[ExactID(order.serial)] else { return heldForOrder(.licenseNotFound) }
        let expiryWhenPlaced = ledger.expiry(of: license, whenPlaced: order)
        if let renewable = expiryWhenPlaced.adding(years: 2), renewable < placedOn { return heldForOrder(.licenseNotRenewable) }
        if expiryWhenPlaced.days(since: placedOn) > 180, waiving != .renewalTooEarly {
            return heldForOrder(.renewalTooEarly)
        }
        // Too early whatever support waives: the new expiry would leave the calendar (a license
        // that "never expires", 9999-12-31), and the extension would extend nothing.
        if LicenseExtension.newExpiry(current: license.expiresOn, placedOn: placedOn, years: order.years) == nil {
            return heldForOrder(.renewalTooEarly, detail: """
                the license expires \(license.expiresOn): \(order.years) year(s) more fall after 9999-12-31
                """)
        }
        // 8. Product.
        if !settings.catalog.allows(from: license.product, to: order.targetProduct) {
            return heldForOrder(.invalidUpgradePath)
        }
        if order.targetProduct != license.product, license.autoRenew, waiving != .autoRenewActive {
            return heldForOrder(.autoRenewActive)
        }
        return .apply(order: order, lagDays: lag, lateWarning: lateWarning)
    }
}
