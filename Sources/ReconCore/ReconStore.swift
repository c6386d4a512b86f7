import Foundation

/// The store seam: SQLite and PostgreSQL implement it; the rules never see SQL.
///
/// Every method that changes state does so in one transaction, so a crash leaves either
/// all of it or none.
public protocol ReconStore: Sendable {
    /// Takes the job's exclusive lock if it is free (SQLite: `flock`; PostgreSQL: an advisory
    /// lock); held until `close()` or the end of the process.
    func tryLock() async throws -> Bool
    /// Ends the store's session; the job's lock is free when this returns. A command closes
    /// its store before it exits, so the next command of a script never finds the lock held
    /// by a process that has finished (PostgreSQL frees a session's lock only once it notices
    /// the connection gone).
    func close() async
    func schemaStatus() async throws -> SchemaStatus
    /// Applies pending migrations; returns how many ran.
    @discardableResult func migrate() async throws -> Int

    /// The stored orders and licenses among these ids, keyed by their bytes.
    func orders(ids: [String]) async throws -> [ExactID: RenewalOrder]
    func licenses(serials: [String]) async throws -> [ExactID: License]
    /// Upserts orders, then licenses, as the imports below do (an expiry may move earlier).
    func save(orders: [RenewalOrder], licenses: [License]) async throws
    /// Imports an orders export in one transaction: all of it, or nothing when any row is bad
    /// (the source's problems, or an order id twice in the file: `ImportRowsRefused`). A
    /// completed order is left as it is; without `statusGiven` (an export without the `status`
    /// column) a stored order keeps its status. Statistics are refreshed after it.
    /// - Returns: orders saved, and completed ones left.
    func importOrders(from source: any ImportRowSource<RenewalOrder>, statusGiven: Bool) async throws
        -> (saved: Int, skippedCompleted: Int)
    /// Imports a licenses export the same way; unless `allowEarlier`, a row whose `expires_on`
    /// is earlier than the stored one is a bad row.
    func importLicenses(from source: any ImportRowSource<License>, allowEarlier: Bool) async throws -> LicenseImport

    func settlementFile(sha256: String) async throws -> SettlementFileReceipt?
    /// Stores a parsed file, its new records (a key already stored is a no-op) and the
    /// ingestion exceptions, in one transaction.
    func ingest(_ batch: IngestBatch, on date: BusinessDate, runID: String) async throws -> IngestSummary
    /// The same, for a file streamed batch by batch: one transaction, rolled back whole when
    /// the source throws.
    func ingest(sha256: String, name: String, sizeBytes: Int, from source: any RecordBatchSource,
                on date: BusinessDate, runID: String) async throws -> IngestSummary
    /// Keeps a refused file's verdict and its `file_rejected` exception, and counts the
    /// quarantine on `date`: once per name and date, or with `oncePerName` (a file left in the
    /// inbox, refused again each run) on the first date only; and never twice as the same
    /// `inboxFile`, which a run stopped before moving it out of the inbox left there.
    func reject(sha256: String, name: String, sizeBytes: Int, facts: ExceptionFacts, on date: BusinessDate,
                oncePerName: Bool, inboxFile: String?, runID: String) async throws
    /// Counts a known file sent again: once per name and date, or with `oncePerName` (a copy
    /// left in the inbox) once ever; and never twice as the same `inboxFile` (its inode, size
    /// and modification time), which a run stopped before taking it out of the inbox left
    /// there. Returns whether it was counted now.
    func noteDuplicateArrival(sha256: String, name: String, on date: BusinessDate, oncePerName: Bool,
                              inboxFile: String?) async throws -> Bool

    /// Everything the rules read.
    func ledger() async throws -> Ledger
    /// What the rules read for these candidates: the orders they name, the pending orders a
    /// record without reference could be (same amount and currency, placed in its `window`, the
    /// first `Ledger.candidatePoolLimit` in candidate order), those orders' licenses, and the
    /// licenses' extensions.
    func ledger(for candidates: [EvaluationCandidate], window: CandidateWindow) async throws -> Ledger
    /// The queued records at positions `after`+1 … `after`+`limit` (`queuedCandidates`) and
    /// their ledger (`ledger(for:window:)`), read from the last committed state on a
    /// connection of its own, so that it may run while a commit is in progress (whose writes it
    /// may or may not see: `Ledger.catchUp`). nil where the store cannot read beside its
    /// writer: no second connection, its reader busy, or a rehearsal.
    func committedSlice(after position: Int, limit: Int,
                        window: CandidateWindow) async throws -> (candidates: [EvaluationCandidate], ledger: Ledger)?
    /// The booking dates of the records to evaluate under `descriptors`
    /// (`DescriptorMatcher.fingerprint`), in order: `run` evaluates one date at a time. The
    /// records to evaluate are those not yet matched, but for the foreign ones found foreign
    /// under these descriptors.
    func candidateBookingDates(descriptors: String) async throws -> [BusinessDate]
    /// Queues the records of `date` to evaluate under `descriptors` in evaluation order
    /// (positions 1…count), replacing the previous queue, so `run` reads them a slice at a time
    /// and memory holds a slice, not the day; but those `finishing` has decided already, where
    /// it is a pass a killed run left unfinished. - Returns: how many were queued.
    func queueCandidates(bookedOn date: BusinessDate, descriptors: String, finishing: EvaluationPass?) async throws -> Int
    /// The queued records at positions `after`+1 … `after`+`limit` still not matched, in order.
    func queuedCandidates(after position: Int, limit: Int) async throws -> [EvaluationCandidate]
    /// Empties the queue once its dates are evaluated, where it is a table of the store and
    /// would otherwise outlive the run (SQLite: its reader reads the queue beside the session).
    func emptyQueue() async throws
    /// Throws `StoreError(.unavailable)` when the store may not make the run's queue (a
    /// PostgreSQL role without `CREATE` on its schema, or another role's queue left in it):
    /// checked before a run changes the store, which would otherwise ingest the night's files
    /// and fail at its first booking date.
    func refuseIfTheQueueCannotBeMade() async throws
    /// Begins a pass of the evaluation of a run for `date`, in its own transaction: from now
    /// until `finishPasses`, the next run, should this one be killed, finishes it
    /// (`unfinishedPass`) before beginning another. The date is kept as the sign that a pass
    /// is open; the run that finishes it may be for another date.
    func beginPass(round: Int, provisionalHolds: Bool, on date: BusinessDate) async throws -> EvaluationPass
    /// The pass a killed run began and did not finish, whatever its date, if the last pass begun is one.
    func unfinishedPass() async throws -> EvaluationPass?
    /// Notes that the passes of the run begun last are all finished.
    func finishPasses() async throws
    /// Pending orders that no stored settlement names (the sweep's input).
    func unnamedPendingOrders() async throws -> [RenewalOrder]
    /// Every record of ours or possibly ours not yet matched, and not held by an ingestion verdict.
    func openCandidates() async throws -> [EvaluationCandidate]
    /// Records verdicts of an evaluation in one transaction: each apply with its audit, outbox
    /// and feed rows, each held record with its exception, superseded exceptions resolved.
    /// Verdicts of a run's `pass` are stamped with it; where its holds are provisional, a held
    /// record's state is stored but its exceptions are left as they are: a later pass decides
    /// it again, and only the final verdict is recorded.
    func commit(_ verdicts: [RecordVerdict], on date: BusinessDate, runID: String, pass: EvaluationPass?) async throws
    /// Raises (or sees again) the sweep's exceptions and resolves the ones whose facts went away.
    func commitSweep(raising facts: [ExceptionFacts], resolving: [(exceptionID: String, reason: String)],
                     on date: BusinessDate, runID: String) async throws
    /// How many files (ingested, rejected or sent again) arrived on `date`.
    func filesReceived(on date: BusinessDate) async throws -> Int
    /// The records not yet matched that `rerun` re-evaluates: booked in the range, or held by an
    /// exception first seen in it.
    func openCandidates(bookedOrFirstSeenFrom start: BusinessDate, to end: BusinessDate) async throws -> [EvaluationCandidate]

    /// Exceptions as they stand now, optionally of one code and status, ordered by id.
    func exceptions(code: ExceptionCode?, status: String?) async throws -> [ExceptionRow]
    func exception(id: String) async throws -> ExceptionRow?
    /// An exception's history, oldest first: what the runs saw and what support decided, with
    /// who and why.
    func history(ofException id: String) async throws -> [ExceptionHistoryLine]
    /// The stored record an exception is about, and its state.
    func candidate(recordID: String) async throws -> (candidate: EvaluationCandidate, state: String)?
    /// A support decision on one exception, in one transaction: dismissed, or resolved by a
    /// manual apply (the record attached to `attachOrderID` first, when given).
    func recordDecision(_ decision: SupportDecision, on date: BusinessDate, runID: String) async throws

    /// Dates whose mail or feed files lack rows the store holds, in date order.
    func datesWithUnwrittenOutputs() async throws -> [BusinessDate]
    /// One page of a date's mails in order-id byte order, after `orderID`.
    func outbox(on date: BusinessDate, after orderID: String?, limit: Int) async throws -> [OutboxMail]
    /// A date's feed rows in (serial, order id) byte order, as last committed, each added to
    /// `state` as it streams in (a day may hold a million): read on a connection of its own
    /// where the store has one, beside the mails'.
    func feed<State: Sendable>(on date: BusinessDate, into state: State,
                               _ add: @Sendable (inout State, LicenseExtension) throws -> Void) async throws -> State
    func markOutputsWritten(on date: BusinessDate) async throws
    /// Numbers the exceptions first seen on or before `date` in report order
    /// (`ExceptionRow.reportOrder`) for `queuedExceptionReport`; returns how many.
    func queueExceptionReport(on date: BusinessDate) async throws -> Int
    /// SPEC §5: of the queued exceptions at positions after `position`, up to `position + limit`,
    /// those open at the end of `date` or that changed status on it, in report order, with their
    /// status as of its end.
    func queuedExceptionReport(on date: BusinessDate, after position: Int, limit: Int) async throws -> [ExceptionReportEntry]

    /// The date's files, the records they brought with their outcome as of its end, and its applies,
    /// as last committed: read on a connection of its own where the store has one, so that it may
    /// run beside the session's reads.
    func dayFacts(on date: BusinessDate, settlementTimeZone: TimeZone) async throws -> DayFacts

    /// Lets the database plan on what bulk writes (an import, a day's records and applies)
    /// left in the tables.
    func refreshStatistics() async throws
    /// The same for the tables a run grows as it goes: `records` while files are ingested,
    /// `applies` while they are evaluated.
    func refreshStatistics(of growth: StoreGrowth) async throws
    /// Runs `body` with every change it makes to the store undone at the end (`--dry-run`):
    /// its own reads see its changes, no other session does, and a crash undoes them too.
    func rehearse<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T
    func beginRun(id: String, command: String, date: BusinessDate, startedAt: String) async throws
    func finishRun(id: String, finishedAt: String, outcome: String) async throws
    /// The files quarantined by `run`s begun after the last one that finished, but for
    /// `runID`, and left unfinished (killed, or failed): the run that finishes after them
    /// reports them, as one uninterrupted run would have (SPEC §6 exit 2, SPEC §7).
    func filesQuarantinedByUnfinishedRuns(otherThan runID: String) async throws -> [QuarantinedFile]
    /// The dates of the `run`s begun after the last one that finished, but for `runID`, and
    /// left unfinished: the run that finishes after them writes their reports, which no run of
    /// theirs wrote (their mails and feed follow from `datesWithUnwrittenOutputs` already).
    func datesOfUnfinishedRuns(otherThan runID: String) async throws -> [BusinessDate]
    /// The runs of `command` begun and not finished (killed), oldest first, with their dates.
    func unfinishedRuns(of command: String) async throws -> [(id: String, date: BusinessDate)]
    func overview() async throws -> StoreOverview
}

extension ReconStore {
    /// Verdicts that are final, held records with their exceptions, reached outside a run's passes.
    public func commit(_ verdicts: [RecordVerdict], on date: BusinessDate, runID: String) async throws {
        try await commit(verdicts, on: date, runID: runID, pass: nil)
    }

    /// A date's mails, all of them.
    public func outbox(on date: BusinessDate) async throws -> [OutboxMail] {
        try await outbox(on: date, after: nil, limit: Int.max)
    }

    /// The exception report `queueExceptionReport(on: date)` queued (`queued` exceptions), read
    /// a page at a time into `body` in report order; the queue may be read again.
    public func forEachExceptionReportPage(on date: BusinessDate, queued: Int, pageSize: Int = 10_000,
                                           _ body: ([ExceptionReportEntry]) async throws -> Void) async throws {
        for position in stride(from: 0, to: queued, by: pageSize) {
            try await body(try await queuedExceptionReport(on: date, after: position, limit: pageSize))
        }
    }

    /// A date's exception report, all of it.
    public func exceptionReport(on date: BusinessDate) async throws -> [ExceptionRow] {
        var rows: [ExceptionRow] = []
        let queued = try await queueExceptionReport(on: date)
        try await forEachExceptionReportPage(on: date, queued: queued) { page in rows += page.map(\.row) }
        return rows
    }
}
