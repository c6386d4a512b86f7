import Foundation

/// What the store holds about one date's files and applies: the input of `summary.json` and
/// the HTML report (SPEC §5). The records are tallied as they are read, never held.
public struct DayFacts: Sendable {
    public var date: BusinessDate
    public var filesIngested: Int
    public var filesQuarantined: Int
    public var skippedDuplicates: Int
    public var skippedStatus: Int
    public var records: DayTally
    public var licensesExtended: Int
    public var mailsWritten: Int

    public init(date: BusinessDate, filesIngested: Int, filesQuarantined: Int, skippedDuplicates: Int,
                skippedStatus: Int, records: DayTally, licensesExtended: Int, mailsWritten: Int) {
        self.date = date
        self.filesIngested = filesIngested
        self.filesQuarantined = filesQuarantined
        self.skippedDuplicates = skippedDuplicates
        self.skippedStatus = skippedStatus
        self.records = records
        self.licensesExtended = licensesExtended
        self.mailsWritten = mailsWritten
    }
}

/// Counts and sums over the records of a date's files, with their outcome as of its end.
public struct DayTally: Sendable {
    public enum Outcome: String, Sendable { case matched, held, foreign }

    public var total = 0
    public var matched = 0
    public var foreign = 0
    /// Per currency, in minor units.
    public var totals: [String: DaySummary.Totals] = [:]
    /// Records of ours naming an order, by lag in days.
    public var lags: [Int: Int] = [:]

    public init() {}

    /// One of the date's records: its currency, its amount in minor units (none when it has no
    /// amount in a known currency), whether it gives money back (a debit or a reversal), its
    /// booking date, its outcome and the placement date of its order.
    public mutating func add(currencyCode: String, minorUnits: Int64?, givesBack: Bool, bookedOn: BusinessDate?,
                             outcome: Outcome, placedOn: BusinessDate?) {
        total += 1
        if outcome == .matched { matched += 1 }
        if outcome == .foreign { foreign += 1 }
        if let minor = minorUnits {
            var sums = totals[currencyCode, default: DaySummary.Totals()]
            let minor = Int128(minor)
            switch outcome {
            case .foreign:
                sums.foreign += minor
            case _ where givesBack:
                sums.refunded += minor
            case .matched:
                sums.received += minor
                sums.matched += minor
            case .held:
                sums.received += minor
                sums.held += minor
            }
            totals[currencyCode] = sums
        }
        if outcome != .foreign, let placedOn, let bookedOn {
            lags[bookedOn.days(since: placedOn), default: 0] += 1
        }
    }
}

/// A date's exception report tallied as it is read: exceptions on the date's records by code,
/// open ones by code and by age.
public struct ExceptionTally: Sendable {
    public let date: BusinessDate
    /// Lines in the report.
    public private(set) var lines = 0
    var onRecords: [ExceptionCode: Int] = [:]
    var open: [ExceptionCode: Int] = [:]
    var ages = [Int](repeating: 0, count: DaySummary.ageBuckets.count)

    public init(date: BusinessDate) {
        self.date = date
    }

    public mutating func add(_ entry: ExceptionReportEntry) {
        lines += 1
        let row = entry.row
        guard row.status != "resolved" else { return }
        if entry.aboutTheDaysRecords { onRecords[row.facts.code, default: 0] += 1 }
        guard row.status == "open" else { return }
        open[row.facts.code, default: 0] += 1
        let age = date.days(since: row.firstSeen)
        if let bucket = DaySummary.ageBuckets.firstIndex(where: { $0.range.contains(max(0, age)) }) { ages[bucket] += 1 }
    }
}

/// The state of one date, as `summary.json` and `report.html` show it.
public struct DaySummary: Sendable {
    /// Each amount fits 64 bits; a day's sum of them need not (a garbled or hostile file of
    /// huge amounts), and a sum that overflowed would end every run of that date.
    public struct Totals: Sendable, Equatable {
        public var received: Int128 = 0
        public var matched: Int128 = 0
        public var held: Int128 = 0
        public var refunded: Int128 = 0
        public var foreign: Int128 = 0
    }

    public var date: BusinessDate
    public var filesIngested: Int
    public var filesQuarantined: Int
    public var skippedDuplicates: Int
    public var recordsTotal: Int
    public var recordsMatched: Int
    public var recordsForeign: Int
    public var skippedStatus: Int
    /// Exceptions on the date's records open (or dismissed) at its end, by code.
    public var recordExceptions: [ExceptionCode: Int]
    public var licensesExtended: Int
    public var mailsWritten: Int
    /// Per currency, in minor units.
    public var totals: [String: Totals]
    /// `early`, `0` … `window_days`, `late`, in that order.
    public var lagHistogram: [(bucket: String, count: Int)]
    public var openByCode: [ExceptionCode: Int]
    /// `0-1`, `2-7`, `8-30`, `31+`, in that order.
    public var openByAge: [(bucket: String, count: Int)]

    public static let ageBuckets: [(label: String, range: ClosedRange<Int>)] = [
        ("0-1", 0...1), ("2-7", 2...7), ("8-30", 8...30), ("31+", 31...Int.max),
    ]

    /// - Parameter exceptions: the date's exception report, tallied.
    public init(facts: DayFacts, exceptions: ExceptionTally, windowDays: Int) {
        date = facts.date
        filesIngested = facts.filesIngested
        filesQuarantined = facts.filesQuarantined
        skippedDuplicates = facts.skippedDuplicates
        skippedStatus = facts.skippedStatus
        licensesExtended = facts.licensesExtended
        mailsWritten = facts.mailsWritten
        recordsTotal = facts.records.total
        recordsMatched = facts.records.matched
        recordsForeign = facts.records.foreign
        recordExceptions = exceptions.onRecords
        openByCode = exceptions.open
        openByAge = zip(Self.ageBuckets, exceptions.ages).map { ($0.label, $1) }
        totals = facts.records.totals
        var lags = [Int](repeating: 0, count: windowDays + 3)
        for (lag, count) in facts.records.lags {
            lags[lag < 0 ? 0 : lag > windowDays ? windowDays + 2 : lag + 1] += count
        }
        let labels = ["early"] + (0...windowDays).map(String.init) + ["late"]
        lagHistogram = zip(labels, lags).map { ($0, $1) }
    }
}
