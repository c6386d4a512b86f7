import Foundation
import ReconCore

/// `exceptions resolve`: a support decision on one exception, recorded in its history, and
/// today's reports rewritten.
struct SupportDesk {
    let job: ReconJob

    enum Decision {
        case dismiss
        /// Rules 4–9 with the check that raised the exception waived; `order` attaches the
        /// settlement to an order first (`missing_reference`, `unknown_order`).
        case apply(order: String?)

        var isDismissal: Bool {
            if case .dismiss = self { true } else { false }
        }
    }

    /// A decision the desk refuses, with the reason (exit 64).
    struct Refusal: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// - Returns: one line saying what was done.
    func resolve(_ exceptionID: String, _ decision: Decision, note: String, by actor: String) async throws -> String {
        let store = job.store
        guard let row = try await store.exception(id: exceptionID) else { throw Refusal("no exception \(exceptionID)") }
        let today = job.today
        let runID = ReconJob.runID(job.now())
        if row.status == "resolved" || (row.status == "dismissed" && decision.isDismissal) {
            // Decided already: by this very command, maybe, stopped after its decision was
            // stored and before its files were written (killed), its run left unfinished. Run
            // again, it writes them and finishes that run, so that the mail does not wait for
            // the night's run.
            let stopped = try await store.unfinishedRuns(of: Self.command(exceptionID))
            for run in stopped {
                // A resolved exception was applied by that command; a dismissed one, dismissed.
                try await writeFiles(runID: run.id, on: run.date, applied: row.status == "resolved" ? 1 : 0)
            }
            throw Refusal("\(exceptionID) is already \(row.status)"
                          + (stopped.isEmpty ? "" : " (by a command stopped before its files, which are written now)"))
        }
        switch decision {
        case .dismiss:
            try await record(SupportDecision(exceptionID: exceptionID, action: .dismiss, note: note, actor: actor),
                             runID: runID, today: today)
            return "\(exceptionID) dismissed"
        case .apply(let order):
            let code = row.facts.code
            guard code.allowsManualApply else {
                throw Refusal("\(code.rawValue) cannot be applied by hand (only \(ExceptionCode.allCases.filter(\.allowsManualApply).map(\.rawValue).joined(separator: ", "))); use --dismiss")
            }
            if order != nil, code != .missingReference, code != .unknownOrder {
                throw Refusal("--order is only for missing_reference and unknown_order")
            }
            guard let recordID = row.facts.recordID, let (stored, state) = try await store.candidate(recordID: recordID) else {
                throw Refusal("\(exceptionID) names no stored settlement")
            }
            guard state != "matched" else { throw Refusal("the settlement of \(exceptionID) is already matched") }
            var candidate = stored
            if let order {
                guard try await !store.orders(ids: [order]).isEmpty else { throw Refusal("no order \(order); import it first") }
                candidate.attachedOrderID = order
            }
            var ledger = try await store.ledger(for: [candidate], window: job.config.rules.candidateWindow)
            let reconciler = Reconciler(settings: job.config.rules)
            switch reconciler.rules.evaluate(candidate.record, fileName: candidate.fileName,
                                             attachedOrderID: candidate.attachedOrderID, ledger: ledger, waiving: code) {
            case .apply(let renewal, let lag, let late):
                guard let outcome = reconciler.apply(candidate, order: renewal, lagDays: lag, late: late, ledger: &ledger,
                                                     appliedOn: today, appliedAt: job.now(), runID: runID),
                      case .applied(let applied, _) = outcome else {
                    throw Refusal("license \(renewal.serial) is not in the store")
                }
                let action = SupportDecision.Action.apply(recordID: recordID, outcome: outcome, attachOrderID: order)
                try await record(SupportDecision(exceptionID: exceptionID, action: action, note: note, actor: actor),
                                 runID: runID, today: today)
                return "\(exceptionID) applied: order \(applied.orderID), license \(applied.serial) \(applied.previousExpiresOn) -> \(applied.newExpiresOn)"
            case .held(let facts) where facts.code == code:
                let why = facts.detail ?? (code == .missingReference || code == .unknownOrder ? "give --order ORDER_ID" : "nothing to waive")
                throw Refusal("\(code.rawValue) still holds: \(why)")
            case .held(let facts):
                let summary = job.config.exceptionTexts[facts.code]?.summaryJa ?? ""
                throw Refusal("another rule fails: \(facts.code.rawValue) (\(summary)); nothing was applied")
            case .foreign:
                throw Refusal("the settlement is not ours under the current descriptors; nothing was applied")
            }
        }
    }

    private func record(_ decision: SupportDecision, runID: String, today: BusinessDate) async throws {
        try await job.store.beginRun(id: runID, command: Self.command(decision.exceptionID), date: today,
                                     startedAt: job.now().formatted(.iso8601))
        try await job.store.recordDecision(decision, on: today, runID: runID)
        CrashPoint.reach("decision.recorded")
        var applied = 0
        if case .apply = decision.action { applied = 1 }
        try await writeFiles(runID: runID, on: today, applied: applied)
    }

    /// The run a decision on `exceptionID` records.
    private static func command(_ exceptionID: String) -> String { "exceptions resolve \(exceptionID)" }

    /// The mail, feed and reports of the decision's date, and the end of its run.
    private func writeFiles(runID: String, on date: BusinessDate, applied: Int) async throws {
        var done = RunOutcome(runID: runID, date: date)
        done.applied = applied
        _ = try await job.writeOutputs(for: [date], run: job.runInfo("exceptions resolve", done, job.now(), PhaseClock()))
        try await job.store.finishRun(id: runID, finishedAt: job.now().formatted(.iso8601), outcome: "ok")
    }
}
