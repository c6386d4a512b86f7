import Foundation
import ReconCore

/// SPEC §4 over the store: the rules on each slice of the queue, and their verdicts committed.
extension ReconJob {
    /// `run`: every stored record not yet matched (but those found foreign under the current
    /// descriptors, which stay foreign under them), one booking date at a time and each date in
    /// slices read from the store's queue (memory holds a slice's records, orders and licenses,
    /// not the day's), in rounds until a round applies nothing: an apply late in the order may
    /// change an earlier verdict. Only the final verdict is recorded (SPEC §4), so a round's
    /// holds are provisional (their exceptions wait for the next round, which decides them
    /// again with every apply of this one in view) until a round that records them can apply
    /// nothing more (`RoundHolds`). A round after the first applies something only where an
    /// apply makes another possible (a chain of applies).
    ///
    /// Each round is a pass the store keeps (`EvaluationPass`), so that a run killed in the
    /// middle of one is followed by one (run again, or the next night's) that finishes it,
    /// over the records it had not decided, before the next round decides every record again
    /// (SPEC §7).
    func evaluateStored(on date: BusinessDate, runID: String, outcome: inout RunOutcome) async throws {
        var applied = 0
        var statistics = StatisticsSchedule(first: statisticsFrom)
        var round: RunOutcome
        // A pass a killed run left unfinished, for this date or another, is finished first.
        var unfinished = try await store.unfinishedPass()
        var next = (round: 1, provisionalHolds: true)  // begun when there is no unfinished pass to finish
        var again: Bool
        let descriptors = config.rules.descriptors.fingerprint
        repeat {
            round = RunOutcome(runID: runID, date: date)
            round.plan = outcome.plan
            let pass = if let unfinished { unfinished } else {
                try await store.beginPass(round: next.round, provisionalHolds: next.provisionalHolds, on: date)
            }
            let progress = Progress()  // each round's records and rate from its start
            defer { progress.finish() }
            var holds = RoundHolds()
            var decided = 0
            for day in try await store.candidateBookingDates(descriptors: descriptors) {
                let queued = try await store.queueCandidates(bookedOn: day, descriptors: descriptors, finishing: unfinished)
                let earlier = (applies: applied + round.applied, records: decided)
                try await evaluateQueue(of: queued, on: date, runID: runID, pass: pass,
                                        outcome: &round, holds: &holds) { applies, records in
                    progress.show("evaluate: round \(pass.round), booked on \(day), extensions \(earlier.applies + applies)",
                                  count: earlier.records + records, of: "records")
                    if statistics.isDue(at: earlier.applies + applies) { try await store.refreshStatistics(of: .applies) }
                }
                decided += queued
            }
            applied += round.applied
            // Later rounds decide fewer records (the applied ones drop out), but for the one
            // after a pass finished for a killed run.
            outcome.evaluated = max(outcome.evaluated, decided)
            outcome.matchTime += round.matchTime
            outcome.applyTime += round.applyTime
            outcome.slicesReadBesideCommits += round.slicesReadBesideCommits
            next.round = pass.round + 1
            if unfinished != nil {
                // What the killed run applied and held earlier in the pass is out of view: the
                // next round decides every record again, its holds provisional.
                unfinished = nil
                again = true
                next.provisionalHolds = true
            } else if pass.provisionalHolds {
                // Its holds wait for the next round, which records them unless it may apply.
                again = true
                next.provisionalHolds = holds.mayApplyAgain
            } else {
                // A recording round applies nothing (`RoundHolds`); were it to, the next decides again.
                again = round.applied > 0
            }
        } while again
        try await store.finishPasses()
        try await store.emptyQueue()
        outcome.applied = applied
        outcome.held = round.held
        outcome.heldByCode = round.heldByCode
        logger.info("evaluated", metadata: [
            "records.evaluated": "\(outcome.evaluated)", "licenses.extended": "\(applied)", "records.held": "\(round.held)",
            "slices.read_beside_commits": "\(outcome.slicesReadBesideCommits)",
        ])
    }

    /// The `queued` records of one booking date, a slice at a time, on both cores: while one
    /// slice's verdicts commit, the next slice and its ledger are read on the store's second
    /// connection and the ledger caught up with that commit's applies (`Ledger.catchUp`), so
    /// each slice is decided as if the commits before it had all landed. (A commit changes the
    /// state of its own slice's records only.) Where that cannot be (a store with one
    /// connection, a rehearsal, a candidate pool cut short), they are read after the commit.
    /// `committed` is called after each commit with the applies and records this queue has committed.
    private func evaluateQueue(of queued: Int, on date: BusinessDate, runID: String, pass: EvaluationPass,
                               outcome: inout RunOutcome, holds: inout RoundHolds,
                               committed: (_ applies: Int, _ records: Int) async throws -> Void) async throws {
        let starts = Array(stride(from: 0, to: queued, by: evaluationSlice))
        guard let first = starts.first else { return }
        let window = config.rules.candidateWindow
        // The slice at `start` (unless read already) and its ledger, read on the session; timed
        // as matching, as the read beside a commit is.
        func readOnSession(_ start: Int, candidates: [EvaluationCandidate]? = nil) async throws
            -> (candidates: [EvaluationCandidate], ledger: Ledger) {
            try await timed(&outcome.matchTime) {
                let slice = if let candidates { candidates } else {
                    try await store.queuedCandidates(after: start, limit: evaluationSlice)
                }
                return (slice, try await store.ledger(for: slice, window: window))
            }
        }
        var (slice, ledger) = try await readOnSession(first)
        // The commit in progress, and the applies committed before it.
        var committing: Task<(applies: Int, records: Int, took: Duration), any Error>?
        var (applies, records) = (0, 0)
        func landed() async throws {
            guard let commit = committing else { return }
            committing = nil
            let (count, decided, took) = try await commit.value
            applies += count
            records += decided
            outcome.applyTime += took
            // Two slices are held at a time, allocated on two threads: what the commit freed goes
            // back to the system (at a million settlements, peaks of 271 and 273 MB, not 303 and 315).
            Allocator.returnFreedMemory()
            try await committed(applies, records)
        }
        do {
            for index in starts.indices {
                // One pass over the slice: the round is the pass, and the next round the next.
                let verdicts = decide(slice, ledger: &ledger, on: date, runID: runID, passes: .one, outcome: &outcome)
                holds.note(verdicts)
                try await landed()
                let applied = verdicts.applied
                committing = Task { [self, verdicts] in
                    (applied.count, verdicts.count,
                     try await commit(verdicts, on: date, runID: runID, pass: pass))
                }
                guard index + 1 < starts.count else { break }
                // Decided: not held beside the next.
                (slice, ledger) = ([], Ledger(orders: [], licenses: [], extensions: []))
                let next = starts[index + 1]
                // The next slice read beside the commit, and its ledger caught up with it (nil
                // where a pool was cut short: that ledger is read again after the commit).
                typealias Beside = (candidates: [EvaluationCandidate], ledger: Ledger?)
                let beside = try await timed(&outcome.matchTime) { () async throws -> Beside? in
                    guard readsBesideCommits,
                          var read = try await store.committedSlice(after: next, limit: evaluationSlice, window: window)
                    else { return nil }
                    return (read.candidates, read.ledger.catchUp(with: applied) ? read.ledger : nil)
                }
                if let beside, let caughtUp = beside.ledger {
                    (slice, ledger) = (beside.candidates, caughtUp)
                    outcome.slicesReadBesideCommits += 1
                } else {
                    // Matching time is the reading, not the wait for the commit.
                    try await landed()
                    (slice, ledger) = try await readOnSession(next, candidates: beside?.candidates)
                }
            }
            try await landed()
        } catch {
            // A commit never goes on behind an error: the session is the job's only writer.
            _ = try? await committing?.value
            throw error
        }
    }

    /// `rerun`'s candidates, all at once: decided, then committed in one transaction. The
    /// verdicts are reached over as many passes as they take, so no part of them stands alone:
    /// committed a part at a time, a rerun killed midway left the rest to be decided anew, by
    /// the rerun after it, on licenses the committed part had already moved (SPEC §7).
    func evaluate(_ candidates: [EvaluationCandidate], on date: BusinessDate, runID: String,
                  outcome: inout RunOutcome) async throws {
        var ledger = try await timed(&outcome.matchTime) {
            try await store.ledger(for: candidates, window: config.rules.candidateWindow)
        }
        let verdicts = decide(candidates, ledger: &ledger, on: date, runID: runID, passes: .untilSettled,
                              outcome: &outcome)
        try Interruption.check()
        try await timed(&outcome.applyTime) {
            try await store.commit(verdicts, on: date, runID: runID)
        }
        CrashPoint.reach("apply.committed")
    }

    /// The rules' verdicts on `candidates`, counted in `outcome`. Applies are stamped to the
    /// second, as the store keeps them, so a ledger caught up in memory equals one read back.
    private func decide(_ candidates: [EvaluationCandidate], ledger: inout Ledger, on date: BusinessDate,
                        runID: String, passes: Reconciler.Passes, outcome: inout RunOutcome) -> [RecordVerdict] {
        let started = ContinuousClock.now
        let appliedAt = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
        let verdicts = Reconciler(settings: config.rules).evaluate(candidates, ledger: &ledger, appliedOn: date,
                                                                   appliedAt: appliedAt, runID: runID, passes: passes)
        outcome.matchTime += ContinuousClock.now - started
        outcome.count(verdicts)
        CrashPoint.reach("evaluate.computed")
        return verdicts
    }

    /// Commits a slice's verdicts in short transactions: each holds whole applies, and a signal
    /// stops the job between them. - Returns: how long it took.
    private func commit(_ verdicts: [RecordVerdict], on date: BusinessDate, runID: String,
                        pass: EvaluationPass) async throws -> Duration {
        let started = ContinuousClock.now
        for chunk in stride(from: 0, to: verdicts.count, by: Self.commitChunk).map({ verdicts[$0..<min($0 + Self.commitChunk, verdicts.count)] }) {
            try Interruption.check()
            try await store.commit(Array(chunk), on: date, runID: runID, pass: pass)
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

    /// Outcomes per transaction of `run`'s slices (a rerun commits its verdicts at once): large
    /// enough that a commit's hot index pages are written once for thousands of applies, small
    /// enough that a signal waits under a second (a commit of 20,000 applies takes about two
    /// thirds of one). At a million settlements, 10,000 applied about 2 s faster than 5,000,
    /// and a whole slice of 20,000 about 3 s faster than 10,000. `RECON_COMMIT_CHUNK` sets it
    /// for the crash tests, whose days are small.
    static let commitChunk = ProcessInfo.processInfo.environment["RECON_COMMIT_CHUNK"].flatMap { Int($0) }
        .map { max(1, $0) } ?? 20_000
}
