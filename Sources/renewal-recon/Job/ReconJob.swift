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
    var filesSkipped = 0
    var recordsAdded = 0
    var applied = 0
    var held = 0
    /// Held records by code, and the sweep's exceptions.
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
    /// Slices whose ledger was read while the slice before committed (`ReconJob.evaluateQueue`).
    var ledgersReadBesideCommits = 0

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

    var today: BusinessDate { config.today(now: now()) }

    /// `run`: ingests the inbox and evaluates every record not yet matched, for run date `date`.
    /// With `dryRun`, does the same as a rehearsal (`ReconStore.rehearse`): the store's changes
    /// are rolled back, no file is moved or written, and each file and apply goes to `plan`.
    /// A dry run is the run itself, so it plans what the run would do, with the run's memory.
    func run(date: BusinessDate, dryRun: Bool = false) async throws -> RunOutcome {
        try await start(on: date, dryRun: dryRun) { [self] startedAt, outcome, logger in
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
        // The planner's statistics, after bulk writes only: a quiet night changes nothing.
        if outcome.recordsAdded > 0 { try await store.refreshStatistics() }
        phases.lap("ingest")
        try await evaluateStored(on: date, runID: outcome.runID, outcome: &outcome)
        if outcome.applied > 0 { try await store.refreshStatistics() }
        phases.lap("evaluate")
        try await sweep(dates: [date], recordOn: date, runID: outcome.runID, outcome: &outcome)
        phases.lap("sweep")
        if !outcome.isDryRun {
            outcome.writtenFiles = try await writeOutputs(for: [date], run: runInfo("run", outcome, startedAt, phases))
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
        let dates = (0...end.days(since: start)).map { start.adding(days: $0) }
        let candidates = try await store.openCandidates(bookedOrFirstSeenFrom: start, to: end)
        try await store.beginRun(id: outcome.runID, command: "rerun \(start)..\(end)", date: today,
                                 startedAt: startedAt.formatted(.iso8601))
        var phases = PhaseClock()
        try await evaluate(candidates, on: today, runID: outcome.runID, outcome: &outcome)
        if outcome.applied > 0 { try await store.refreshStatistics() }
        phases.lap("evaluate")
        try await sweep(dates: dates, recordOn: today, runID: outcome.runID, outcome: &outcome)
        phases.lap("sweep")
        if !outcome.isDryRun {
            outcome.writtenFiles = try await writeOutputs(for: dates + [today],
                                                          run: runInfo("rerun \(start)..\(end)", outcome, startedAt, phases))
        }
        try await store.finishRun(id: outcome.runID, finishedAt: now().formatted(.iso8601), outcome: "ok")
        logger.info(outcome.isDryRun ? "dry rerun finished" : "rerun finished", metadata: [
            "records.evaluated": "\(candidates.count)", "licenses.extended": "\(outcome.applied)",
            "records.held": "\(outcome.held)",
        ])
        return outcome
    }

    // MARK: Stages

    /// `run`: every stored record not yet matched, one booking date at a time and each date in
    /// slices read from the store's queue (memory holds a slice's records, orders and licenses,
    /// not the day's), in rounds until a round applies nothing: an apply late in the order may
    /// change an earlier verdict.
    private func evaluateStored(on date: BusinessDate, runID: String, outcome: inout RunOutcome) async throws {
        var applied = 0
        var statistics = StatisticsSchedule(first: statisticsFrom)
        var round: RunOutcome
        repeat {
            round = RunOutcome(runID: runID, date: date)
            round.plan = outcome.plan
            for day in try await store.candidateBookingDates() {
                let queued = try await store.queueCandidates(bookedOn: day)
                let earlier = applied + round.applied
                try await evaluateQueue(of: queued, on: date, runID: runID, outcome: &round) { committed in
                    if statistics.isDue(at: earlier + committed) { try await store.refreshStatistics(of: .applies) }
                }
            }
            applied += round.applied
            outcome.matchTime += round.matchTime
            outcome.applyTime += round.applyTime
            outcome.ledgersReadBesideCommits += round.ledgersReadBesideCommits
        } while round.applied > 0
        outcome.applied = applied
        outcome.held = round.held
        outcome.heldByCode = round.heldByCode
        logger.info("evaluated", metadata: [
            "licenses.extended": "\(applied)", "records.held": "\(round.held)",
            "slices.read_beside_commits": "\(outcome.ledgersReadBesideCommits)",
        ])
    }

    /// The `queued` records of one booking date, a slice at a time, on both cores: while one
    /// slice's verdicts commit, the next slice's ledger is read on the store's second connection
    /// and caught up with that commit's applies (`Ledger.catchUp`), so each slice is decided as
    /// if the commits before it had all landed. Where that cannot be (a store with one
    /// connection, a rehearsal, a candidate pool cut short), the ledger is read after the commit.
    /// `committed` is called after each commit with the applies this queue has committed.
    private func evaluateQueue(of queued: Int, on date: BusinessDate, runID: String, outcome: inout RunOutcome,
                               committed: (Int) async throws -> Void) async throws {
        let starts = Array(stride(from: 0, to: queued, by: evaluationSlice))
        guard let first = starts.first else { return }
        let windowDays = config.rules.windowDays
        var slice = try await store.queuedCandidates(after: first, limit: evaluationSlice)
        var ledger = try await timed(&outcome.matchTime) { try await store.ledger(for: slice, windowDays: windowDays) }
        // The commit in progress, and the applies committed before it.
        var committing: Task<(applies: Int, took: Duration), any Error>?
        var applies = 0
        func landed() async throws {
            guard let commit = committing else { return }
            committing = nil
            let (count, took) = try await commit.value
            applies += count
            outcome.applyTime += took
            // Two slices are held at a time, allocated on two threads: what the commit freed goes
            // back to the system (at a million settlements, peaks of 271 and 273 MB, not 303 and 315).
            Allocator.returnFreedMemory()
            try await committed(applies)
        }
        do {
            for index in starts.indices {
                let verdicts = decide(slice, ledger: &ledger, on: date, runID: runID, outcome: &outcome)
                try await landed()
                let isLast = index + 1 == starts.count
                // Read from the queue on the session, between commits.
                if !isLast { slice = try await store.queuedCandidates(after: starts[index + 1], limit: evaluationSlice) }
                let applied = verdicts.applied
                committing = Task { [self, verdicts] in
                    (applied.count, try await commit(verdicts, on: date, runID: runID))
                }
                if isLast { break }
                ledger = Ledger(orders: [], licenses: [], extensions: [])  // decided: not held beside the next
                let reading = ContinuousClock.now
                var beside = readsBesideCommits ? try await store.committedLedger(for: slice, windowDays: windowDays) : nil
                let caughtUp = beside?.catchUp(with: applied) ?? false
                outcome.matchTime += ContinuousClock.now - reading
                if let beside, caughtUp {
                    ledger = beside
                    outcome.ledgersReadBesideCommits += 1
                } else {
                    // Matching time is the reading, not the wait for the commit.
                    try await landed()
                    let next = slice
                    ledger = try await timed(&outcome.matchTime) { try await store.ledger(for: next, windowDays: windowDays) }
                }
            }
            try await landed()
        } catch {
            // A commit never goes on behind an error: the session is the job's only writer.
            _ = try? await committing?.value
            throw error
        }
    }

    /// `rerun`'s candidates, all at once: decided, then committed.
    private func evaluate(_ candidates: [EvaluationCandidate], on date: BusinessDate, runID: String,
                          outcome: inout RunOutcome) async throws {
        var ledger = try await timed(&outcome.matchTime) {
            try await store.ledger(for: candidates, windowDays: config.rules.windowDays)
        }
        let verdicts = decide(candidates, ledger: &ledger, on: date, runID: runID, outcome: &outcome)
        outcome.applyTime += try await commit(verdicts, on: date, runID: runID)
    }

    /// The rules' verdicts on `candidates`, counted in `outcome`. Applies are stamped to the
    /// second, as the store keeps them, so a ledger caught up in memory equals one read back.
    private func decide(_ candidates: [EvaluationCandidate], ledger: inout Ledger, on date: BusinessDate,
                        runID: String, outcome: inout RunOutcome) -> [RecordVerdict] {
        let started = ContinuousClock.now
        let appliedAt = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
        let verdicts = Reconciler(settings: config.rules).evaluate(candidates, ledger: &ledger, appliedOn: date,
                                                                   appliedAt: appliedAt, runID: runID)
        outcome.matchTime += ContinuousClock.now - started
        outcome.count(verdicts)
        CrashPoint.reach("evaluate.computed")
        return verdicts
    }

    /// Commits `verdicts` in short transactions: each holds whole applies, and a signal stops
    /// the job between them. - Returns: how long it took.
    private func commit(_ verdicts: [RecordVerdict], on date: BusinessDate, runID: String) async throws -> Duration {
        let started = ContinuousClock.now
        for chunk in stride(from: 0, to: verdicts.count, by: Self.commitChunk).map({ verdicts[$0..<min($0 + Self.commitChunk, verdicts.count)] }) {
            try Interruption.check()
            try await store.commit(Array(chunk), on: date, runID: runID)
            CrashPoint.reach("apply.committed")
        }
        return ContinuousClock.now - started
    }

    /// `body`'s result, with the time it took added to `total`.
    private func timed<T>(_ total: inout Duration, _ body: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { total += ContinuousClock.now - started }
        return try await body()
    }

    /// Sweeps each of `dates`; history entries belong to `recordOn` (the run's D, or today).
    private func sweep(dates: [BusinessDate], recordOn: BusinessDate, runID: String, outcome: inout RunOutcome) async throws {
        let calendar = FileCalendar(expectDailyFiles: config.expectDailyFiles, fileDays: config.fileDays,
                                    holidays: config.holidays)
        for date in dates {
            let open = try await store.exceptions(code: .unsettledOverdue, status: "open")
                + store.exceptions(code: .noSettlementFile, status: "open")
            let plan = Sweep.plan(on: date, unnamedPending: try await store.unnamedPendingOrders(), open: open,
                                  filesReceived: try await store.filesReceived(on: date),
                                  settings: config.rules, calendar: calendar)
            for facts in plan.raising { outcome.sweepRaised[facts.code, default: 0] += 1 }
            try Interruption.check()
            try await store.commitSweep(raising: plan.raising, resolving: plan.resolving, on: recordOn, runID: runID)
            CrashPoint.reach("sweep.committed")
        }
    }

    /// The mail and feed files of `dates` and of any date with unwritten rows, and the reports
    /// (exceptions CSV, summary JSON, HTML page) of each of `dates`.
    func writeOutputs(for dates: [BusinessDate], run: SummaryJSON.RunInfo) async throws -> [URL] {
        let outputsStarted = ContinuousClock.now
        let writer = OutputWriter(root: config.outDirectory)
        let mails = try CompletionMailRenderer(
            settings: .init(from: config.mailFrom, statementDescriptors: config.statementDescriptors,
                            catalog: config.rules.catalog),
            templateDirectory: config.mailTemplateDirectory)
        var written: [URL] = []
        for day in Set(try await store.datesWithUnwrittenOutputs()).union(dates).sorted() {
            // Paged from the store and streamed to the files: a day may hold a million mails. The
            // feed is written while the mails are (and read on the store's second connection, if
            // it has one), and the next page of mails is read while one renders, so the store's
            // reads and the rendering share the cores.
            async let feedFile = writer.stream(to: "licenses/\(day)/license-extensions.jsonl") { [store] sink in
                var after: (serial: String, orderID: String)?
                while true {
                    let page = try await store.feed(on: day, after: after, limit: Self.outputPage)
                    guard let last = page.last else { break }
                    for item in page { try sink.append(LicenseFeed.jsonLine(item)) }
                    after = (last.serial, last.orderID)
                }
            }
            written.append(try await writer.stream(to: "mail/\(day)/completion-mails.jsonl") { [store] sink in
                var next = Task { try await store.outbox(on: day, after: nil, limit: Self.outputPage) }
                defer { next.cancel() }
                while true {
                    let page = try await next.value
                    guard let last = page.last else { break }
                    next = Task { try await store.outbox(on: day, after: last.order.orderID, limit: Self.outputPage) }
                    for line in await Self.rendered(page, by: mails) { try sink.append(line) }
                    for mail in page {
                        if config.mailEML {
                            try writer.write(mails.eml(mail, timeZone: config.timeZone), to: "mail/\(day)/eml/\(mail.order.orderID).eml")
                        }
                    }
                }
            })
            written.append(try await feedFile)
            CrashPoint.reach("outputs.mail")
            try await store.markOutputsWritten(on: day)
            Allocator.returnFreedMemory()
        }
        for day in Set(dates).sorted() {
            // The exception report, queued once, is read twice a page at a time: for the CSV and
            // the tallies the summary needs, then for the HTML page, whose table follows the summary.
            let queued = try await store.queueExceptionReport(on: day)
            // The day's facts stream its records on the store's second connection, if it has
            // one, while the exception report is read on the session.
            async let dayFacts = store.dayFacts(on: day, settlementTimeZone: config.settlementTimeZone)
            let csv = ExceptionsCSV(texts: config.exceptionTexts)
            var tally = ExceptionTally(date: day)
            let csvFile = try await writer.stream(to: "reports/\(day)/exceptions.csv") { sink in
                try sink.append(ExceptionsCSV.head)
                try await store.forEachExceptionReportPage(on: day, queued: queued) { page in
                    for entry in page {
                        tally.add(entry)
                        try sink.append(csv.line(entry.row))
                    }
                }
            }
            let facts = try await dayFacts
            let summary = DaySummary(facts: facts, exceptions: tally, windowDays: config.rules.windowDays)
            var finished = run
            finished.finished = now().formatted(.iso8601)
            finished.phasesMs["outputs"] = PhaseClock.milliseconds(ContinuousClock.now - outputsStarted)
            written.append(csvFile)
            CrashPoint.reach("outputs.report")
            written.append(try writer.write(try SummaryJSON.render(summary, run: finished), to: "reports/\(day)/summary.json"))
            let html = ReportHTML(texts: config.exceptionTexts)
            written.append(try await writer.stream(to: "reports/\(day)/report.html") { sink in
                try sink.append(html.head(summary, tableLines: tally.lines))
                var table = ReportHTML.ExceptionTable(texts: config.exceptionTexts)
                try await store.forEachExceptionReportPage(on: day, queued: queued) { page in
                    for entry in page { try sink.append(table.add(entry.row)) }
                }
                try sink.append(table.end())
            })
        }
        return written
    }

    /// The JSON lines of `page`, in order, rendered on every core.
    static func rendered(_ page: [OutboxMail], by mails: CompletionMailRenderer) async -> [[UInt8]] {
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, page.count / 500))
        let size = (page.count + parts - 1) / parts
        return await withTaskGroup(of: (Int, [[UInt8]]).self) { group in
            for part in 0..<parts {
                let slice = page[min(part * size, page.count)..<min((part + 1) * size, page.count)]
                group.addTask { (part, slice.map(mails.jsonLine)) }
            }
            var lines = [[[UInt8]]](repeating: [], count: parts)
            for await (part, rendered) in group { lines[part] = rendered }
            return lines.flatMap { $0 }
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

    /// Outcomes per transaction: large enough that a commit's hot index pages are written
    /// once for thousands of applies, small enough that a signal waits under a second (a
    /// commit of 20,000 applies takes about two thirds of one). At a million settlements,
    /// 10,000 applied about 2 s faster than 5,000, and a whole slice of 20,000 about 3 s
    /// faster than 10,000. `RECON_COMMIT_CHUNK` sets it for the crash tests, whose days are small.
    static let commitChunk = ProcessInfo.processInfo.environment["RECON_COMMIT_CHUNK"].flatMap { Int($0) }
        .map { max(1, $0) } ?? 20_000
    /// Records evaluated against one loaded slice of the ledger. The next slice's ledger is
    /// read while one commits, so two slices are held at once: at a million settlements (and a
    /// 64 MiB page cache), slices of 10,000 peaked at 250 MB against 310 MB, but wrote 12.4 GB
    /// to the WAL and the database against 9.4 GB, and applied slower. Tests lower it to see a
    /// small day in several slices.
    var evaluationSlice = 20_000
    /// Whether a slice's ledger is read beside the commit before it, where the store can;
    /// tests turn it off to compare with reading after each commit.
    var readsBesideCommits = true
    /// Mails or feed rows read from the store at a time while writing.
    static let outputPage = 5_000

    /// `run-20261120T213000Z-1a2b3c4d`: sortable, and never a long digit run the log
    /// redaction would take for a card number.
    static func runID(_ instant: Date) -> String {
        let stamp = instant.formatted(.iso8601).filter { $0.isNumber || $0 == "T" || $0 == "Z" }
        return "run-\(stamp)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// Wall-clock time per phase of a run, for the `run` object of summary.json.
struct PhaseClock {
    private var last = ContinuousClock.now
    private(set) var milliseconds: [String: Int] = [:]

    /// Ends `phase`, and hands the memory it freed back to the system, so the next phase's
    /// peak does not stand on what the last one left in the allocator.
    mutating func lap(_ phase: String) {
        let now = ContinuousClock.now
        let elapsed = now - last
        milliseconds[phase, default: 0] += Self.milliseconds(elapsed)
        Allocator.returnFreedMemory()
        last = ContinuousClock.now
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// The C allocator, for handing freed memory back between phases.
enum Allocator {
    static func returnFreedMemory() { _ = mallocTrim?(0) }

    /// glibc's `malloc_trim`, looked up at run time: Swift's Glibc module does not declare it.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()
}
