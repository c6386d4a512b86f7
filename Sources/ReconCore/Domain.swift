import Foundation

/// Where a renewal order stands.
public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case pending, cancelled, completed
}

/// A pending (or settled, or cancelled) license renewal, as the shop recorded it.
public struct RenewalOrder: Hashable, Sendable {
    public var orderID: String
    public var serial: String
    /// Informational only: the rules use the license's product.
    public var currentProduct: String
    public var targetProduct: String
    public var years: Int
    public var amount: Money
    public var email: String
    public var placedAt: Timestamp
    public var status: OrderStatus

    public init(orderID: String, serial: String, currentProduct: String, targetProduct: String, years: Int,
                amount: Money, email: String, placedAt: Timestamp, status: OrderStatus) {
        self.orderID = orderID
        self.serial = serial
        self.currentProduct = currentProduct
        self.targetProduct = targetProduct
        self.years = years
        self.amount = amount
        self.email = email
        self.placedAt = placedAt
        self.status = status
    }

    /// SPEC §2: the `placed_at` instant as a calendar date in the settlement time zone. (An
    /// import refuses a `placed_at` whose date there leaves the years 1–9999; a zone changed
    /// since could still move it out, and then the date as written stands.)
    public func placedDate(in timeZone: TimeZone) -> BusinessDate { placedAt.date(in: timeZone) ?? placedAt.localDate }
}

/// A license: a serial number with a product and an expiry date.
public struct License: Hashable, Sendable {
    public var serial: String
    public var product: String
    public var expiresOn: BusinessDate
    public var autoRenew: Bool
    public var email: String

    public init(serial: String, product: String, expiresOn: BusinessDate, autoRenew: Bool, email: String) {
        self.serial = serial
        self.product = product
        self.expiresOn = expiresOn
        self.autoRenew = autoRenew
        self.email = email
    }
}

/// The audit of one applied renewal (SPEC §4 rule 9): old and new expiry and product.
public struct LicenseExtension: Hashable, Sendable {
    public var orderID: String
    public var serial: String
    public var transactionID: String?
    public var recordID: String
    public var previousProduct: String
    public var product: String
    public var previousExpiresOn: BusinessDate
    public var newExpiresOn: BusinessDate
    public var years: Int
    /// The business date the extension belongs to (the run's D, or today for a manual apply).
    public var appliedOn: BusinessDate
    public var appliedAt: Date
    public var placedOn: BusinessDate
    /// The booking date of the settlement that paid the order (the mail's `settled_on`).
    public var settledOn: BusinessDate?
    public var runID: String
    /// What the settlement paid: the amount the customer's card was charged, which an apply
    /// within `amount_tolerance_minor`, or a support decision, lets differ from the order's.
    /// nil for an extension stored before migration 13 whose record had no amount.
    public var paid: Money?

    public init(orderID: String, serial: String, transactionID: String?, recordID: String, previousProduct: String,
                product: String, previousExpiresOn: BusinessDate, newExpiresOn: BusinessDate, years: Int,
                appliedOn: BusinessDate, appliedAt: Date, placedOn: BusinessDate, settledOn: BusinessDate?, runID: String,
                paid: Money?) {
        self.orderID = orderID
        self.serial = serial
        self.transactionID = transactionID
        self.recordID = recordID
        self.previousProduct = previousProduct
        self.product = product
        self.previousExpiresOn = previousExpiresOn
        self.newExpiresOn = newExpiresOn
        self.years = years
        self.appliedOn = appliedOn
        self.appliedAt = appliedAt
        self.placedOn = placedOn
        self.settledOn = settledOn
        self.runID = runID
        self.paid = paid
    }

    /// Rule 9: the base is the current expiry when it is on or after the placed date (the
    /// remaining period is kept), else the placed date; the new expiry is base + years, nil
    /// when that falls after 9999-12-31 (rule 7 holds such a renewal).
    public static func newExpiry(current: BusinessDate, placedOn: BusinessDate, years: Int) -> BusinessDate? {
        let base = current >= placedOn ? current : placedOn
        return base.adding(years: years)
    }
}
