import Foundation
import Logging
import ReconCore
import ReconIngest
import ReconReports

/// What one `run` or `rerun` did (or, dry, would do), for the exit status and the console.
struct RunOutcome {
    var runID: String
    var date: BusinessDate
    var filesIngested = 0
    var filesRejected = 0
    /// Each quarantined file with its reason, for the one stderr line of exit 2.
    var rejections: [String] = []
    /// Each file the job could not read (another user's upload it may not open), left in the
    /// inbox for the next run: also exit 2.
    var unreadable: [String] = []
    var filesSkipped = 0
    var recordsAdded = 0
    /// Records `run` evaluated (in its first round): those not yet matched, but the foreign
    /// ones found foreign under the current descriptors.
    var evaluated = 0
    var applied = 0
    var held = 0
    /// Held records by code, and the sweep's exceptions (each once, however many of a rerun's
    /// dates raise it).
    var heldByCode: [ExceptionCode: Int] = [:]
    var sweepRaised: [ExceptionCode: Int] = [:]
    /// A dry run's plan: each file and each apply, handed on as it happens (a day may apply
    /// a million). nil for a run that commits.
    var plan: (@Sendable (String) -> Void)?
    /// A dry run is the run that plans; it moves and writes no file.
    var isDryRun: Bool { plan != nil }
    var writtenFiles: [URL] = []
    /// Time spent matching (reading what the rules need, and the rules) and applying (commits).
    /// A slice is matched while the one before commits, so the two overlap.
    var matchTime = Duration.zero
    var applyTime = Duration.zero
    /// Slices read, with their ledger, while the slice before committed (`ReconJob.evaluateQueue`).
    var slicesReadBesideCommits = 0

    mutating func count(_ verdicts: [RecordVerdict]) {
        for verdict in verdicts {
            switch verdict.outcome {
            case .applied(let applied, _):
                self.applied += 1
                plan?("apply \(applied.orderID) (\(applied.transactionID ?? "-")): \(applied.serial) \(applied.previousExpiresOn) -> \(applied.newExpiresOn)")
            case .held(let facts):
                held += 1
                heldByCode[facts.code, default: 0] += 1
            case .foreign:
                break
            }
        }
    }
}

/// The nightly job: ingest → evaluate → sweep → outputs, one direction, for run date D.
struct ReconJob {
    let config: ReconConfig
    let store: any ReconStore
    let logger: Logger
    /// The clock of the business: apply instants, and "today" for rerun and resolve. Injected so
    /// tests pin it.
    var now: @Sendable () -> Date = { Date() }
    /// The clock the inbox's file times are compared with (`min_file_age_s`): always the real one.
    var fileClock: @Sendable () -> Date = { Date() }
    /// Where a dry run's plan goes, line by line.
    var plan: @Sendable (String) -> Void = { _ in }
    /// How many added rows first make a run refresh the statistics of what it grows
    /// (`StatisticsSchedule`); tests lower it to see the refreshes on a small day.
    var statisticsFrom = 10_000
    /// Records evaluated against one loaded slice of the ledger. The next slice and its ledger
    /// are read while one commits, so two slices are held at once: at a million settlements (and a
    /// 64 MiB page cache), slices of 10,000 peaked at 250 MB against 310 MB, but wrote 12.4 GB
    /// to the WAL and the database against 9.4 GB, and applied slower. Tests lower it to see a
    /// small day in several slices.
    var evaluationSlice = 20_000
    /// Whether a slice and its ledger are read beside the commit before it, where the store can;
    /// tests turn it off to compare with reading after each commit.
    var readsBesideCommits = true

    var today: BusinessDate { config.today(now: now()) }

    /// `run`: ingests the inbox and evaluates every record not yet matched, for run date `date`.
    /// With `dryRun`, does the same as a rehearsal (`ReconStore.rehearse`): the store's changes
    /// are rolled back, no file is moved or written, and each file and apply goes to `plan`.
    /// A dry run is the run itself, so it plans what the run would do, with the run's memory.
    func run(date: BusinessDate, dryRun: Bool = false) async throws -> RunOutcome {
        // Its booking dates are queued in the store (a rerun decides its few in memory).
        try await store.refuseIfTheQueueCannotBeMade()
        return try await start(on: date, dryRun: dryRun) { [self] startedAt, outcome, logger in
            try await run(date: date, startedAt: startedAt, outcome: outcome, logger: logger)
        }
    }

    /// What `run` and `rerun` start with: the run's id and outcome for `date`, a logger that
    /// names them (and `metadata`), and for a dry run the plan and the rehearsal around `body`.
    private func start(on date: BusinessDate, dryRun: Bool, metadata: Logger.Metadata = [:],
                       _ body: @escaping @Sendable (Date, RunOutcome, Logger) async throws -> RunOutcome)
        async throws -> RunOutcome {
        let startedAt = now()
        var outcome = RunOutcome(runID: Self.runID(startedAt), date: date)
        var logger = logger
        logger[metadataKey: "run.id"] = "\(outcome.runID)"
        logger[metadataKey: "run.date"] = "\(date)"
        for (key, value) in metadata { logger[metadataKey: key] = value }
        guard dryRun else { return try await body(startedAt, outcome, logger) }
        logger[metadataKey: "run.dry"] = "true"
        outcome.plan = plan
        return try await store.rehearse { [outcome, logger] in try await body(startedAt, outcome, logger) }
    }

    private func run(date: BusinessDate, startedAt: Date, outcome: RunOutcome, logger: Logger) async throws -> RunOutcome {
        var outcome = outcome
        try await store.beginRun(id: outcome.runID, command: "run", date: date, startedAt: startedAt.formatted(.iso8601))
        var phases = PhaseClock()
        try await ingest(on: date, outcome: &outcome, logger: logger)
        try await reportQuarantinesOfUnfinishedRuns(outcome: &outcome, logger: logger)
        // The planner's statistics, after bulk writes only: a quiet night changes nothing.
        if outcome.recordsAdded > 0 { try await store.refreshStatistics() }
        phases.lap("ingest")
        try await evaluateStored(on: date, runID: outcome.runID, outcome: &outcome)
        if outcome.applied > 0 { try await store.refreshStatistics() }
        phases.lap("evaluate")
        try await sweep(dates: [date], recordOn: date, runID: outcome.runID, outcome: &outcome)
        phases.lap("sweep")
        if !outcome.isDryRun {
            // A night whose run was stopped, and not run again, has no reports of its own: they
            // are written with tonight's, as of its end, so that no report folder stays empty.
            let stopped = try await store.datesOfUnfinishedRuns(otherThan: outcome.runID).filter { $0 != date }
            for night in stopped {
                logger.warning("writing the reports of a night whose run did not finish", metadata: ["report.date": "\(night)"])
            }
            outcome.writtenFiles = try await writeOutputs(for: stopped + [date], run: runInfo("run", outcome, startedAt, phases))
        }
        try await store.finishRun(id: outcome.runID, finishedAt: now().formatted(.iso8601),
                                  outcome: outcome.filesRejected > 0 ? "quarantined" : "ok")
        logger.info(outcome.isDryRun ? "dry run finished" : "run finished", metadata: [
            "files.ingested": "\(outcome.filesIngested)", "files.rejected": "\(outcome.filesRejected)",
            "records.added": "\(outcome.recordsAdded)", "licenses.extended": "\(outcome.applied)",
            "records.held": "\(outcome.held)",
        ])
        return outcome
    }

    /// `rerun`: re-evaluates the records booked in the range and those held by exceptions first
    /// seen in it, sweeps each date, applies what now passes under today's date, and rewrites the
    /// range's reports. A matched record is never evaluated again, so nothing applies twice.
    /// With `dryRun`, a rehearsal as `run`'s.
    func rerun(from first: BusinessDate, to end: BusinessDate, dryRun: Bool = false) async throws -> RunOutcome {
        try await start(on: today, dryRun: dryRun, metadata: ["run.range": "\(first)..\(end)"]) { [self] startedAt, outcome, logger in
            try await rerun(from: first, to: end, startedAt: startedAt, outcome: outcome, logger: logger)
        }
    }

    private func rerun(from start: BusinessDate, to end: BusinessDate, startedAt: Date,
                       outcome: RunOutcome, logger: Logger) async throws -> RunOutcome {
        var outcome = outcome
        let today = outcome.date
        let dates = start.through(end)
        let candidates = try await store.openCandidates(bookedOrFirstSeenFrom: start, to: end)
        try await store.beginRun(id: outcome.runID, command: RerunEntry.name(from: start, to: end), date: today,
                                 startedAt: startedAt.formatted(.iso8601))
        var phases = PhaseClock()
        try await evaluate(candidates, on: today, runID: outcome.runID, outcome: &outcome)
        if outcome.applied > 0 { try await store.refreshStatistics() }
        phases.lap("evaluate")
        try await sweep(dates: dates, recordOn: today, runID: outcome.runID, outcome: &outcome)
        phases.lap("sweep")
        if !outcome.isDryRun {
            outcome.writtenFiles = try await writeOutputs(for: dates + [today],
                                                          run: runInfo(RerunEntry.name(from: start, to: end), outcome, startedAt, phases))
        }
        try await store.finishRun(id: outcome.runID, finishedAt: now().formatted(.iso8601), outcome: "ok")
        logger.info(outcome.isDryRun ? "dry rerun finished" : "rerun finished", metadata: [
            "records.evaluated": "\(candidates.count)", "licenses.extended": "\(outcome.applied)",
            "records.held": "\(outcome.held)",
        ])
        return outcome
    }

    // MARK: Stages (the evaluation and the outputs have files of their own)

    /// A run killed (or failed) after quarantining a file has left it out of the inbox, where
    /// the next run no longer sees it: that run reports it as its own, so that a night killed
    /// and run again ends as one uninterrupted run does, exit 2 naming the file (SPEC §6, §7).
    private func reportQuarantinesOfUnfinishedRuns(outcome: inout RunOutcome, logger: Logger) async throws {
        for file in try await store.filesQuarantinedByUnfinishedRuns(otherThan: outcome.runID) {
            let rejection = FileRejection(reason: file.reason, line: file.line, column: file.column)
            outcome.filesRejected += 1
            outcome.rejections.append("\(file.name): \(rejection), quarantined by \(file.runID), which did not finish")
            logger.error("file rejected by a run that did not finish", metadata: [
                "settlement.file": "\(file.name)", "settlement.reason": "\(rejection)", "run.unfinished": "\(file.runID)",
            ])
        }
    }

    /// Sweeps each of `dates`; history entries belong to `recordOn` (the run's D, or today).
    private func sweep(dates: [BusinessDate], recordOn: BusinessDate, runID: String, outcome: inout RunOutcome) async throws {
        let calendar = FileCalendar(expectDailyFiles: config.expectDailyFiles, fileDays: config.fileDays,
                                    holidays: config.holidays)
        var raised = Set<String>()
        for date in dates {
            // Dismissed ones too: they stay dismissed only while their facts stand.
            var standing: [ExceptionRow] = []
            for code in [ExceptionCode.unsettledOverdue, .noSettlementFile] {
                for status in ExceptionRow.standingStatuses { standing += try await store.exceptions(code: code, status: status) }
            }
            let plan = Sweep.plan(on: date, unnamedPending: try await store.unnamedPendingOrders(), standing: standing,
                                  filesReceived: try await store.filesReceived(on: date),
                                  settings: config.rules, calendar: calendar)
            for facts in plan.raising where raised.insert(facts.exceptionID).inserted {
                outcome.sweepRaised[facts.code, default: 0] += 1
            }
            try Interruption.check()
            try await store.commitSweep(raising: plan.raising, resolving: plan.resolving, on: recordOn, runID: runID)
            CrashPoint.reach("sweep.committed")
        }
    }

    /// The `run` object of summary.json: what this run did and how long each phase took.
    func runInfo(_ command: String, _ outcome: RunOutcome, _ startedAt: Date, _ phases: PhaseClock) -> SummaryJSON.RunInfo {
        var phasesMs = phases.milliseconds
        if outcome.matchTime > .zero || outcome.applyTime > .zero {
            phasesMs["match"] = PhaseClock.milliseconds(outcome.matchTime)
            phasesMs["apply"] = PhaseClock.milliseconds(outcome.applyTime)
        }
        return SummaryJSON.RunInfo(
            id: outcome.runID, command: command, started: startedAt.formatted(.iso8601), finished: "",
            phasesMs: phasesMs,
            did: ["files_ingested": outcome.filesIngested, "files_quarantined": outcome.filesRejected,
                  "files_skipped": outcome.filesSkipped, "records_added": outcome.recordsAdded,
                  "licenses_extended": outcome.applied, "settlements_held": outcome.held])
    }

    /// `run-20261120T213000042Z-1a2b3c4d`: begun at 21:30:00.042 UTC. Sortable to the
    /// millisecond, so that of two runs finished within one second (`finished_at` keeps whole
    /// seconds) `status` names the one begun later; and never a long digit run the log
    /// redaction would take for a card number.
    static func runID(_ instant: Date) -> String {
        // To the nearest millisecond: a `Date` holds .042 as .04199….
        let milliseconds = Int((instant.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let whole = Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601).filter { $0.isNumber || $0 == "T" }
        return "run-\(whole)\(String(fraction + 1000).dropFirst())Z-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
