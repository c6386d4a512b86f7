import Foundation

// The values that cross the store seam (`ReconStore`): what the job hands the store and
// what the store hands back.

/// Where the store's schema stands.
public struct SchemaStatus: Hashable, Sendable {
    public var applied: Int
    public var latest: Int
    public init(applied: Int, latest: Int) {
        self.applied = applied
        self.latest = latest
    }
    public var isCurrent: Bool { applied == latest }
}

/// One pass of `run`'s evaluation (SPEC §4) as the store keeps it while the run goes on: each
/// record it decides is stamped with its `number`, so that a run killed in the middle of the
/// pass is followed by one that finishes the pass, over the records it had not decided yet,
/// before beginning the next (SPEC §7). Deciding the others again at once would let an apply
/// committed late in the killed pass change a verdict ahead of its turn.
public struct EvaluationPass: Hashable, Sendable {
    /// Unique in the store: each pass begun takes the next number.
    public var number: Int64
    /// The pass's place in its run, from 1.
    public var round: Int
    /// Its holds wait for the next pass, which records them (`RoundHolds`).
    public var provisionalHolds: Bool

    public init(number: Int64, round: Int, provisionalHolds: Bool) {
        self.number = number
        self.round = round
        self.provisionalHolds = provisionalHolds
    }
}

/// A settlement file as the store knows it.
public struct SettlementFileReceipt: Hashable, Sendable {
    public enum Status: String, Sendable { case ingested, rejected }
    public var sha256: String
    public var name: String
    public var status: Status
    public var receivedOn: BusinessDate
    public init(sha256: String, name: String, status: Status, receivedOn: BusinessDate) {
        self.sha256 = sha256
        self.name = name
        self.status = status
        self.receivedOn = receivedOn
    }
}

/// A file an unfinished run quarantined (`ReconStore.filesQuarantinedByUnfinishedRuns`), with
/// the reason and position its quarantine gave.
public struct QuarantinedFile: Hashable, Sendable {
    public var name: String
    public var runID: String
    public var reason: String
    public var line: Int?
    public var column: Int?
    public init(name: String, runID: String, reason: String, line: Int?, column: Int?) {
        self.name = name
        self.runID = runID
        self.reason = reason
        self.line = line
        self.column = column
    }
}

/// Some of a file's records with their record ids, in the same order. The ids are hashed
/// where the batch is made: for a file being parsed, on the parser's thread, so that the
/// store's thread does not wait on a million SHA-256s.
public struct RecordBatch: Sendable {
    public let records: [SettlementRecord]
    public let ids: [String]

    public init(_ records: [SettlementRecord]) {
        self.records = records
        ids = records.map(\.recordID)
    }
}

/// A settlement file's records, handed to the store batch by batch while it is parsed.
public protocol RecordBatchSource: AnyObject, Sendable {
    /// The next batch, nil at the end; throws when the file turns out to be refused (the store
    /// then rolls back everything of it).
    func nextBatch() async throws -> RecordBatch?
    /// Known once the batches are done: what the file is, and the exceptions about it.
    func tail() -> IngestTail
}

/// The rows of an orders or licenses export, handed to the store batch by batch while read.
public protocol ImportRowSource<Row>: AnyObject, Sendable {
    associatedtype Row: Sendable
    /// The next rows with their lines, nil at the end; throws when the file cannot be read on.
    func nextBatch() async throws -> [(line: Int, row: Row)]?
    /// The rows that could not be read, known once the batches are done.
    var problems: [ImportProblem] { get }
}

/// A bad row of an export.
public struct ImportProblem: Sendable, Equatable {
    public var line: Int
    public var reason: String
    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
}

/// What a licenses import did: licenses saved, and those whose expiry it moved earlier than the
/// stored one (`--allow-earlier`), counted, with the first few named.
public struct LicenseImport: Sendable, Equatable {
    public var saved = 0
    public var movedEarlier = 0
    /// The first rows moved earlier, in line order (at most `LicenseImport.named`).
    public var firstMovedEarlier: [EarlierExpiry] = []
    public static let named = 20
    public init() {}
}

/// A license row that moves the stored expiry earlier.
public struct EarlierExpiry: Sendable, Equatable {
    public var line: Int
    public var serial: String
    public var stored: String
    public var imported: String
    /// The order whose extension set the stored expiry: the renewal the row undoes.
    public var undoesRenewalOf: String?
    public init(line: Int, serial: String, stored: String, imported: String, undoesRenewalOf: String?) {
        self.line = line
        self.serial = serial
        self.stored = stored
        self.imported = imported
        self.undoesRenewalOf = undoesRenewalOf
    }
}

/// An import refused whole (the store rolled it back): every bad row, in line order.
public struct ImportRowsRefused: Error, Sendable {
    public var problems: [ImportProblem]
    public init(problems: [ImportProblem]) { self.problems = problems }
}

/// What is known of a file once it is read through.
public struct IngestTail: Sendable {
    public var format: String
    public var version: String
    public var skippedStatus: Int
    public var fileExceptions: [ExceptionFacts]

    public init(format: String, version: String, skippedStatus: Int, fileExceptions: [ExceptionFacts]) {
        self.format = format
        self.version = version
        self.skippedStatus = skippedStatus
        self.fileExceptions = fileExceptions
    }
}

/// A parsed file on its way into the store: its records and the exceptions ingestion raised.
public struct IngestBatch: Sendable {
    public var sha256: String
    public var name: String
    public var format: String
    public var version: String
    public var sizeBytes: Int
    public var records: [SettlementRecord]
    public var skippedStatus: Int
    /// Exceptions about the file itself (`batch_total_mismatch`).
    public var fileExceptions: [ExceptionFacts]

    public init(sha256: String, name: String, format: String, version: String, sizeBytes: Int,
                records: [SettlementRecord], skippedStatus: Int, fileExceptions: [ExceptionFacts]) {
        self.sha256 = sha256
        self.name = name
        self.format = format
        self.version = version
        self.sizeBytes = sizeBytes
        self.records = records
        self.skippedStatus = skippedStatus
        self.fileExceptions = fileExceptions
    }
}

/// What storing one file added.
public struct IngestSummary: Hashable, Sendable {
    public var added = 0
    public var alreadyKnown = 0
    public var invalid = 0
    public var duplicates = 0
    public init() {}
}

/// One exception row as the reports read it, with its status as of a date.
public struct ExceptionRow: Hashable, Sendable {
    /// The statuses that last while the facts stand (SPEC §4, lifecycle): an exception in
    /// either is resolved automatically when its facts go away; a dismissal only holds off the
    /// support staff while they stand.
    public static let standingStatuses = ["open", "dismissed"]

    public var facts: ExceptionFacts
    public var exceptionID: String
    public var status: String
    public var firstSeen: BusinessDate
    public var lastSeen: BusinessDate
    public var email: String?

    public init(facts: ExceptionFacts, exceptionID: String, status: String, firstSeen: BusinessDate,
                lastSeen: BusinessDate, email: String?) {
        self.facts = facts
        self.exceptionID = exceptionID
        self.status = status
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.email = email
    }

    /// The exception report's order: code, order id, transaction id, exception id; UTF-8
    /// bytes, absent values as empty text.
    public static func reportOrder(_ a: ExceptionRow, _ b: ExceptionRow) -> Bool {
        let left = [a.facts.code.rawValue, a.facts.orderID ?? "", a.facts.transactionID ?? "", a.exceptionID]
        let right = [b.facts.code.rawValue, b.facts.orderID ?? "", b.facts.transactionID ?? "", b.exceptionID]
        for (x, y) in zip(left, right) where x != y {
            return x.utf8.lexicographicallyPrecedes(y.utf8)
        }
        return false
    }
}

/// One line of a date's exception report (SPEC §5).
public struct ExceptionReportEntry: Hashable, Sendable {
    /// The exception with its status as of the end of the date.
    public var row: ExceptionRow
    /// Whether it is about a record of a file received on the date.
    public var aboutTheDaysRecords: Bool

    public init(row: ExceptionRow, aboutTheDaysRecords: Bool) {
        self.row = row
        self.aboutTheDaysRecords = aboutTheDaysRecords
    }
}

/// A completion mail waiting in the outbox: the applied extension and the order it completes.
public struct OutboxMail: Hashable, Sendable {
    public var extensionRecord: LicenseExtension
    public var order: RenewalOrder
    public init(extensionRecord: LicenseExtension, order: RenewalOrder) {
        self.extensionRecord = extensionRecord
        self.order = order
    }

    /// The mail's `amount`: what the settlement paid, or the order's amount for an extension
    /// that does not know it.
    public var amount: Money { extensionRecord.paid ?? order.amount }
}

/// One entry of an exception's history (`exception_history`).
public struct ExceptionHistoryLine: Hashable, Sendable {
    /// The business date it belongs to.
    public var date: BusinessDate
    /// The wall-clock instant it was recorded, ISO 8601 UTC.
    public var recordedAt: String
    /// The job, or the person who decided.
    public var actor: String
    public var action: String
    /// The exception's status after it.
    public var status: String
    /// Why: a support decision's note, or what changed.
    public var note: String?

    public init(date: BusinessDate, recordedAt: String, actor: String, action: String, status: String, note: String?) {
        self.date = date
        self.recordedAt = recordedAt
        self.actor = actor
        self.action = action
        self.status = status
        self.note = note
    }
}

/// A support decision recorded by `exceptions resolve`.
public struct SupportDecision: Sendable {
    public enum Action: Sendable {
        case dismiss
        /// The outcome of rules 4–9 with the check waived; `attachOrderID` from `--order`.
        case apply(recordID: String, outcome: RecordOutcome, attachOrderID: String?)
    }

    public var exceptionID: String
    public var action: Action
    public var note: String
    public var actor: String

    public init(exceptionID: String, action: Action, note: String, actor: String) {
        self.exceptionID = exceptionID
        self.action = action
        self.note = note
        self.actor = actor
    }
}

/// How a `rerun` is named in the store's runs: `rerun FROM..TO`.
public enum RerunEntry {
    public static let prefix = "rerun "

    public static func name(from start: BusinessDate, to end: BusinessDate) -> String { "\(prefix)\(start)..\(end)" }

    /// The dates of a rerun's name; nil for another command.
    public static func dates(of name: String) -> (from: BusinessDate, to: BusinessDate)? {
        guard name.hasPrefix(prefix) else { return nil }
        let range = name.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: true)
        guard range.count == 2, let start = BusinessDate(iso: range[0]), let end = BusinessDate(iso: range[1]) else { return nil }
        return (start, end)
    }
}

/// What `status` shows.
public struct StoreOverview: Sendable {
    public var pendingOrders: Int
    public var openExceptions: [(code: ExceptionCode, firstSeen: BusinessDate)]
    public var lastRun: (id: String, date: BusinessDate, finishedAt: String)?
    /// The last `run` begun, where it began after `lastRun` finished and has not finished:
    /// running now, or stopped (killed, failed with an error, or its machine went down) and
    /// waiting to be run again.
    public var unfinishedRun: (id: String, date: BusinessDate, startedAt: String)?
    /// The `rerun`s not finished, oldest first, where no later rerun of their dates (or more)
    /// finished: a rerun stopped partway leaves its dates' reports as they were, and no nightly
    /// run writes them again.
    public var unfinishedReruns: [(id: String, from: BusinessDate, to: BusinessDate, startedAt: String)]
    public var newestFile: (name: String, receivedOn: BusinessDate)?
    public init(pendingOrders: Int, openExceptions: [(code: ExceptionCode, firstSeen: BusinessDate)],
                lastRun: (id: String, date: BusinessDate, finishedAt: String)?,
                unfinishedRun: (id: String, date: BusinessDate, startedAt: String)?,
                unfinishedReruns: [(id: String, from: BusinessDate, to: BusinessDate, startedAt: String)],
                newestFile: (name: String, receivedOn: BusinessDate)?) {
        self.pendingOrders = pendingOrders
        self.openExceptions = openExceptions
        self.lastRun = lastRun
        self.unfinishedRun = unfinishedRun
        self.unfinishedReruns = unfinishedReruns
        self.newestFile = newestFile
    }
}

/// What a run has grown, for `ReconStore.refreshStatistics(of:)`.
public enum StoreGrowth: Sendable {
    /// Settlement records, as files are ingested.
    case records
    /// License extensions and exceptions, as records are evaluated.
    case applies
}

/// When a run refreshes the statistics of what it grows: each time the count it has added
/// doubles, from `first` on. A planner that last looked at an emptier table reads it whole
/// for each batch of ids (PostgreSQL spent a minute of a million-settlement ingest and half
/// a minute of its matching so); a few refreshes a night cost far less than that.
public struct StatisticsSchedule: Sendable {
    private var next: Int

    public init(first: Int = 10_000) { next = max(1, first) }

    /// Whether statistics are due now that `count` rows were added.
    public mutating func isDue(at count: Int) -> Bool {
        guard count >= next else { return false }
        while next <= count { next *= 2 }
        return true
    }
}
