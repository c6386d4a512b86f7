import Foundation

/// The orders, licenses and applied extensions the rules see, updated as each record applies.
/// Keyed by order id and serial as bytes (`ExactID`), as the store keys them.
public struct Ledger: Sendable {
    public private(set) var orders: [ExactID: RenewalOrder]
    public private(set) var licenses: [ExactID: License]
    /// Applied extensions by serial, oldest first.
    public private(set) var extensions: [ExactID: [LicenseExtension]]
    /// Pending orders by amount, in candidate order, for `missing_reference` candidates when no
    /// store found them (`candidatePools` nil).
    private let ordersByAmount: [Money: [String]]
    /// Per record without reference, the pending orders a store found for it (candidate order).
    private var candidatePools: [String: [String]]?
    /// How many orders the store read into each pool at most: more than `candidatePoolLimit`
    /// for a ledger to be caught up (`catchUp`).
    private let poolReadLimit: Int

    /// The pending orders of a record's candidate pool that the rules consider; they take the
    /// first three still pending inside the window.
    public static let candidatePoolLimit = 50
    /// How many pending orders a ledger to be caught up reads into each pool: the orders a
    /// commit completes leave the pool's first `candidatePoolLimit` among the rest.
    public static let caughtUpPoolLimit = 100

    /// - Parameters:
    ///   - candidatePools: for each record id without reference, the pending orders of its
    ///     amount around its booking date, as the store found them; nil to search all `orders`.
    ///   - poolReadLimit: the most orders the store read into a pool.
    public init(orders: [RenewalOrder], licenses: [License], extensions: [LicenseExtension],
                candidatePools: [String: [String]]? = nil, poolReadLimit: Int = Ledger.candidatePoolLimit) {
        self.candidatePools = candidatePools
        self.poolReadLimit = poolReadLimit
        self.orders = Dictionary(orders.map { (ExactID($0.orderID), $0) }, uniquingKeysWith: { _, last in last })
        self.licenses = Dictionary(licenses.map { (ExactID($0.serial), $0) }, uniquingKeysWith: { _, last in last })
        self.extensions = Dictionary(grouping: extensions.sorted(by: Ledger.extensionOrder)) { ExactID($0.serial) }
        var byAmount: [Money: [(id: String, placedAt: String)]] = [:]
        if candidatePools == nil {
            for order in orders where order.status == .pending {
                byAmount[order.amount, default: []].append((order.orderID, order.placedAt.text))
            }
        }
        self.ordersByAmount = byAmount.mapValues { $0.sorted(by: Ledger.candidateOrder).map(\.id) }
    }

    /// Brings a ledger read from an earlier committed state up to the state a commit in
    /// progress leaves: `applied` are that commit's extensions, in the order they applied. Their
    /// orders are completed, their licenses stand at the last extension of each serial, and their
    /// extensions are listed, each once: a ledger read after the commit landed is left as it was.
    /// Only what this ledger holds is touched; the rest is not the rules' business here.
    /// Each pool loses the orders completed: its first `candidatePoolLimit` are then those a read
    /// after the commit finds, unless a pool cut at `poolReadLimit` lost so many that fewer are
    /// left.
    /// - Returns: false in that case: the orders after the cut were never read, so the ledger
    ///   must be read again once the commit landed.
    public mutating func catchUp(with applied: [LicenseExtension]) -> Bool {
        var completed: Set<ExactID> = []
        for item in applied {
            let orderID = ExactID(item.orderID), serial = ExactID(item.serial)
            completed.insert(orderID)
            if var order = orders[orderID] {
                order.status = .completed
                orders[orderID] = order
            }
            guard var license = licenses[serial] else { continue }
            license.expiresOn = item.newExpiresOn
            license.product = item.product
            licenses[serial] = license
            if !(extensions[serial] ?? []).contains(where: { ExactID($0.orderID) == orderID }) {
                extensions[serial, default: []].append(item)
                extensions[serial]?.sort(by: Self.extensionOrder)
            }
        }
        guard let pools = candidatePools else { return true }
        var caughtUp: [String: [String]] = [:]
        for (recordID, pool) in pools {
            let pending = pool.filter { !completed.contains(ExactID($0)) }
            if pool.count >= poolReadLimit && pending.count < Self.candidatePoolLimit { return false }
            caughtUp[recordID] = pending
        }
        candidatePools = caughtUp
        return true
    }

    /// Rule 7: the license's expiry as it stood when the order was placed, before any
    /// extension applied since.
    public func expiry(of license: License, whenPlaced order: RenewalOrder) -> BusinessDate {
        guard let placedInstant = order.placedAt.instant,
              let firstSince = extensions[ExactID(license.serial)]?.first(where: { $0.appliedAt > placedInstant }) else {
            return license.expiresOn
        }
        return firstSince.previousExpiresOn
    }

    /// Up to 3 pending orders of this amount whose lag would be inside the window: the first
    /// in (placed_at as written, order id) byte order, listed by order id.
    public func candidates(for record: SettlementRecord, amount: Money, bookedOn: BusinessDate,
                           settings: RuleSettings) -> [String] {
        var found: [String] = []
        let pool = candidatePools.map { $0[record.recordID]?.prefix(Self.candidatePoolLimit) ?? [] }
        let window = settings.candidateWindow
        for orderID in pool ?? ordersByAmount[amount]?[...] ?? [] {
            guard let order = orders[ExactID(orderID)], order.status == .pending, order.amount == amount else { continue }
            if window.contains(order, bookedOn: bookedOn) { found.append(orderID) }
            if found.count == 3 { break }
        }
        return found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The order in which a serial's extensions applied, whatever order a store returned them
    /// in: when they applied, kept to the second, so the applies of one slice tie; between those,
    /// the previous expiry, as each apply extends the license past the expiry the one before it
    /// left (rule 9: at least a year past it); then order id (bytes).
    static func extensionOrder(_ a: LicenseExtension, _ b: LicenseExtension) -> Bool {
        if a.appliedAt != b.appliedAt { return a.appliedAt < b.appliedAt }
        if a.previousExpiresOn != b.previousExpiresOn { return a.previousExpiresOn < b.previousExpiresOn }
        return a.orderID.utf8.lexicographicallyPrecedes(b.orderID.utf8)
    }

    /// The order in which candidates are considered: `placed_at` as written, then order id,
    /// both compared as bytes (the store sorts the same way).
    static func candidateOrder(_ a: (id: String, placedAt: String), _ b: (id: String, placedAt: String)) -> Bool {
        if a.placedAt != b.placedAt { return a.placedAt.utf8.lexicographicallyPrecedes(b.placedAt.utf8) }
        return a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
    }

    /// Rule 9 for one record that passed rules 1–8: extends the license and completes the order.
    /// - Returns: the audit of the extension and whether it repeats a recent renewal of the serial.
    public mutating func apply(order: RenewalOrder, record: SettlementRecord, recordID: String, settings: RuleSettings,
                               appliedOn: BusinessDate, appliedAt: Date, runID: String) -> (LicenseExtension, repeatsRenewal: Bool)? {
        let serial = ExactID(order.serial)
        guard var license = licenses[serial] else { return nil }
        let placedOn = order.placedDate(in: settings.settlementTimeZone)
        guard let newExpiry = LicenseExtension.newExpiry(current: license.expiresOn, placedOn: placedOn,
                                                         years: order.years) else { return nil }
        let applied = LicenseExtension(
            orderID: order.orderID, serial: order.serial, transactionID: record.transactionID,
            recordID: recordID, previousProduct: license.product, product: order.targetProduct,
            previousExpiresOn: license.expiresOn, newExpiresOn: newExpiry, years: order.years,
            appliedOn: appliedOn, appliedAt: appliedAt, placedOn: placedOn, settledOn: record.bookedOn, runID: runID,
            paid: record.amount)
        let repeats = (extensions[serial] ?? []).contains { other in
            ExactID(other.orderID) != ExactID(order.orderID) && abs(other.placedOn.days(since: placedOn)) <= settings.windowDays + 1
        }
        license.expiresOn = newExpiry
        license.product = order.targetProduct
        licenses[serial] = license
        var completed = order
        completed.status = .completed
        orders[ExactID(order.orderID)] = completed
        extensions[serial, default: []].append(applied)
        return (applied, repeats)
    }
}
