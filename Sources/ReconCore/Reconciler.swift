import Foundation

/// A stored record that has not been matched yet, with what the evaluation needs of it.
public struct EvaluationCandidate: Sendable {
    public var record: SettlementRecord
    public var fileName: String?
    /// Set when a support decision attached the record to an order (`--order`).
    public var attachedOrderID: String?
    /// The record's id, known to the store; computed (a SHA-256) only when not given.
    public var recordID: String
    /// The record's row number in the store, when the store finds its rows by one (SQLite's
    /// rowid): the verdict is written through it instead of the hashed id's index.
    public var storeRow: Int64?

    public init(record: SettlementRecord, fileName: String?, attachedOrderID: String? = nil, recordID: String? = nil,
                storeRow: Int64? = nil) {
        self.record = record
        self.fileName = fileName
        self.attachedOrderID = attachedOrderID
        self.recordID = recordID ?? record.recordID
        self.storeRow = storeRow
    }
}

extension EvaluationCandidate {
    /// SPEC §4's order, and the record id (bytes) between records of equal keys, so an
    /// evaluation in slices of the store's queue sees them in the same order.
    public static func evaluationOrder(_ a: EvaluationCandidate, _ b: EvaluationCandidate) -> Bool {
        if SettlementRecord.evaluationOrder(a.record, b.record) { return true }
        if SettlementRecord.evaluationOrder(b.record, a.record) { return false }
        return a.recordID.utf8.lexicographicallyPrecedes(b.recordID.utf8)
    }
}

/// The final outcome of one record after the evaluation passes.
public enum RecordOutcome: Hashable, Sendable {
    /// Not ours under the descriptors of this `DescriptorMatcher.fingerprint`.
    case foreign(under: String)
    case held(ExceptionFacts)
    /// Applied; `warnings` are exceptions of severity warning raised with it.
    case applied(LicenseExtension, warnings: [ExceptionFacts])
}

/// A record's outcome, with how the store finds the record again.
public struct RecordVerdict: Sendable {
    public var recordID: String
    /// `EvaluationCandidate.storeRow`.
    public var storeRow: Int64?
    public var outcome: RecordOutcome

    public init(recordID: String, storeRow: Int64? = nil, outcome: RecordOutcome) {
        self.recordID = recordID
        self.storeRow = storeRow
        self.outcome = outcome
    }
}

extension Collection<RecordVerdict> {
    /// The extensions these verdicts apply, in the order of the verdicts (a `Reconciler`'s: the
    /// order they applied).
    public var applied: [LicenseExtension] {
        compactMap { verdict in
            if case .applied(let applied, _) = verdict.outcome { applied } else { nil }
        }
    }
}

/// SPEC §4: evaluates every candidate in (booking date, transaction id, key) order, each
/// seeing the applies before it, and repeats the pass until nothing more applies (or makes
/// one pass, where the candidates are a slice of a pass over more: `Passes`).
public struct Reconciler: Sendable {
    /// How many passes `evaluate` makes over its candidates.
    public enum Passes: Sendable {
        /// Until nothing more applies: the candidates are all there are (`rerun`).
        case untilSettled
        /// One: the candidates are a slice of a pass over more (`run`'s queue), and a later
        /// pass must come after the whole of it.
        case one
    }

    public let rules: RenewalRules

    public init(settings: RuleSettings) {
        self.rules = RenewalRules(settings: settings)
    }

    /// - Returns: one verdict per candidate: the applies in the order they applied (a later
    ///   pass applies after the whole pass before it), then the others in evaluation order;
    ///   after one pass, all in evaluation order. A store writes each license as the last apply
    ///   of its serial left it, and a ledger is caught up in the same order (`Ledger.catchUp`),
    ///   so the order of the applies matters.
    public func evaluate(_ candidates: [EvaluationCandidate], ledger: inout Ledger, appliedOn: BusinessDate,
                         appliedAt: Date, runID: String, passes: Passes = .untilSettled) -> [RecordVerdict] {
        let ordered = candidates.sorted(by: EvaluationCandidate.evaluationOrder)
        var outcomes = [RecordOutcome?](repeating: nil, count: ordered.count)
        var appliedInOrder: [Int] = []
        var open = Array(ordered.indices)
        var appliedSomething = true
        while appliedSomething {
            appliedSomething = false
            var stillOpen: [Int] = []
            for index in open {
                let candidate = ordered[index]
                switch rules.evaluate(candidate.record, fileName: candidate.fileName,
                                      attachedOrderID: candidate.attachedOrderID, ledger: ledger) {
                case .foreign:
                    outcomes[index] = .foreign(under: rules.settings.descriptors.fingerprint)
                    stillOpen.append(index)
                case .held(let facts):
                    outcomes[index] = .held(facts)
                    stillOpen.append(index)
                case .apply(let order, let lag, let late):
                    guard let outcome = apply(candidate, order: order, lagDays: lag, late: late, ledger: &ledger,
                                              appliedOn: appliedOn, appliedAt: appliedAt, runID: runID) else {
                        stillOpen.append(index)
                        continue
                    }
                    outcomes[index] = outcome
                    appliedInOrder.append(index)
                    appliedSomething = passes == .untilSettled
                }
            }
            open = stillOpen
        }
        let inOrder = passes == .one ? Array(ordered.indices) : appliedInOrder + open
        return inOrder.compactMap { index in
            outcomes[index].map { RecordVerdict(recordID: ordered[index].recordID, storeRow: ordered[index].storeRow, outcome: $0) }
        }
    }

    /// Rule 9 plus its warnings (`late_settlement` under `apply`, `repeat_renewal`).
    public func apply(_ candidate: EvaluationCandidate, order: RenewalOrder, lagDays: Int, late: Bool,
                      ledger: inout Ledger, appliedOn: BusinessDate, appliedAt: Date, runID: String) -> RecordOutcome? {
        guard let (applied, repeats) = ledger.apply(order: order, record: candidate.record, recordID: candidate.recordID,
                                                    settings: rules.settings,
                                                    appliedOn: appliedOn, appliedAt: appliedAt, runID: runID) else {
            return nil
        }
        var warnings: [ExceptionFacts] = []
        for (code, raised) in [(ExceptionCode.lateSettlement, late), (.repeatRenewal, repeats)] where raised {
            var facts = ExceptionFacts.about(candidate.record, fileName: candidate.fileName, code: code, severity: .warning)
            facts.orderID = order.orderID
            facts.serial = order.serial
            facts.expectedAmountMinor = order.amount.minorUnits
            facts.expectedCurrency = order.amount.currency.code
            facts.placedOn = applied.placedOn
            facts.lagDays = lagDays
            warnings.append(facts)
        }
        return .applied(applied, warnings: warnings)
    }
}

/// Whether the holds of a round over the store's queue are final, watched verdict by verdict
/// (SPEC §4: only the final verdict is recorded, so a round holds provisionally until it knows).
///
/// An apply completes its order and moves its serial's license (expiry, product, one more
/// extension); nothing else. A hold turns into an apply only through that license (rule 8: a
/// product another renewal reached, under a `renewals` table that is not transitively closed).
/// Rule 7 holds are watched too, though an extension applied after an order was placed leaves
/// the expiry rule 7 reads for it alone: to be safe, should an order be placed after the job's
/// clock. An order completed, or a candidate gone, only turns one hold into another. So the next
/// round applies nothing, and its verdicts are final, unless an apply after it in this round
/// touched the serial of a record held at rules 7–8; or, where those holds could not all be
/// watched (too many serials, or one not named), unless anything applied after them.
public struct RoundHolds: Sendable {
    /// The serials of the round's holds at rules 7–8 so far; nil once one could not be watched
    /// (it named no serial, or more serials than `watchLimit` were held): then any apply after
    /// it may have freed it.
    private var serials: Set<ExactID>? = []
    /// true once an apply may have freed a hold made before it, and the next round may apply.
    /// A round that applied nothing leaves the store as the round found it, so the next
    /// decides as it did: never true without an apply.
    public private(set) var mayApplyAgain = false

    /// Serials watched at most; past them, any later apply counts as one that may free a hold.
    let watchLimit: Int

    static let licenseCodes: Set<ExceptionCode> = [
        .licenseNotFound, .licenseNotRenewable, .renewalTooEarly, .invalidUpgradePath, .autoRenewActive,
    ]

    public init() {
        self.init(watchLimit: 100_000)
    }

    init(watchLimit: Int) {
        self.watchLimit = watchLimit
    }

    /// Notes verdicts in the order they were reached: one pass's, in evaluation order.
    public mutating func note(_ verdicts: [RecordVerdict]) {
        guard !mayApplyAgain else { return }
        for verdict in verdicts {
            switch verdict.outcome {
            case .applied(let applied, _) where serials?.contains(ExactID(applied.serial)) ?? true:
                mayApplyAgain = true
                serials = []
                return
            case .held(let facts) where serials != nil && Self.licenseCodes.contains(facts.code):
                // A license hold names its order's serial; one that did not could not be watched.
                guard let serial = facts.serial else {
                    serials = nil
                    continue
                }
                serials?.insert(ExactID(serial))
                if serials?.count ?? 0 > watchLimit { serials = nil }
            default:
                continue
            }
        }
    }
}
