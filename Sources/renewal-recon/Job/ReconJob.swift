import Foundation
import Logging
import ReconCore
import ReconIngest
import ReconReports

/// What one `run` did, for the exit status and the console.
struct RunOutcome {
    var runID: String
    var date: BusinessDate
    var filesIngested = 0
    var filesRejected = 0
    var filesSkipped = 0
    var recordsAdded = 0
    var applied = 0
    var held = 0
    var writtenFiles: [URL] = []
}

/// The nightly job: ingest → evaluate → sweep → outputs, one direction, for run date D.
struct ReconJob {
    let config: ReconConfig
    let store: any ReconStore
    let logger: Logger
    /// The wall clock, injected so tests pin "now".
    var now: @Sendable () -> Date = { Date() }

    func run(date: BusinessDate) async throws -> RunOutcome {
        let startedAt = now()
        var outcome = RunOutcome(runID: Self.runID(startedAt), date: date)
        var logger = logger
        logger[metadataKey: "run.id"] = "\(outcome.runID)"
        logger[metadataKey: "run.date"] = "\(date)"
        try await store.beginRun(id: outcome.runID, command: "run", date: date, startedAt: startedAt.formatted(.iso8601))
        try await ingest(on: date, outcome: &outcome, logger: logger)
        try await evaluate(on: date, outcome: &outcome, logger: logger)
        try await sweep(on: date, runID: outcome.runID)
        outcome.writtenFiles = try await writeOutputs(for: date)
        try await store.finishRun(id: outcome.runID, finishedAt: now().formatted(.iso8601),
                                  outcome: outcome.filesRejected > 0 ? "quarantined" : "ok")
        logger.info("run finished", metadata: [
            "files.ingested": "\(outcome.filesIngested)", "files.rejected": "\(outcome.filesRejected)",
            "records.added": "\(outcome.recordsAdded)", "licenses.extended": "\(outcome.applied)",
            "records.held": "\(outcome.held)",
        ])
        return outcome
    }

    // MARK: Stages

    private func ingest(on date: BusinessDate, outcome: inout RunOutcome, logger: Logger) async throws {
        let reader = SettlementFileReader(options: config.readOptions, csvProfiles: config.csvProfiles)
        let mover = InboxMover(archive: config.archiveDirectory, quarantine: config.quarantineDirectory)
        for url in try InboxScanner.readyFiles(in: config.inboxDirectory, minimumAge: config.minFileAgeSeconds, now: now()) {
            var logger = logger
            logger[metadataKey: "settlement.file"] = "\(url.lastPathComponent)"
            let sha256 = try SettlementFileReader.sha256(of: url)
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            if let known = try await store.settlementFile(sha256: sha256), known.status == .ingested {
                // Committed before: a copy left in place (no archive), a move that a crash
                // interrupted, or the processor sending known content again.
                let leftInPlace = !mover.movesFiles && known.name == url.lastPathComponent
                let interruptedMove = config.archiveDirectory.map { archive in
                    known.name == url.lastPathComponent
                        && !FileManager.default.fileExists(atPath: archive.appendingPathComponent(known.name).path)
                } ?? false
                if !leftInPlace && !interruptedMove {
                    if try await store.noteDuplicateArrival(sha256: sha256, name: url.lastPathComponent, on: date,
                                                             oncePerName: !mover.movesFiles) {
                        outcome.filesSkipped += 1
                        logger.info("file already ingested; counted as a duplicate", metadata: ["settlement.sha256": "\(sha256)"])
                    }
                }
                try mover.archive(url, sha256: sha256)
                continue
            }
            let parsed: ParsedSettlementFile
            do throws(FileRejection) {
                parsed = try reader.readAll(url)
            } catch {
                let position = "\(error.line ?? 0):\(error.column ?? 0)"
                let facts = ExceptionFacts(code: .fileRejected, subject: "\(sha256)@\(position)",
                                           fileName: url.lastPathComponent, line: error.line, column: error.column,
                                           detail: error.reason)
                try await store.reject(sha256: sha256, name: url.lastPathComponent, sizeBytes: size, facts: facts,
                                       on: date, runID: outcome.runID)
                outcome.filesRejected += 1
                logger.error("file rejected", metadata: ["settlement.reason": "\(error)"])
                try mover.quarantine(url, sha256: sha256, rejection: error, on: date.description)
                continue
            }
            let summary = parsed.summary
            let mismatches = summary.mismatches.map { mismatch in
                ExceptionFacts(code: .batchTotalMismatch, subject: "\(sha256)@\(mismatch.position)",
                               fileName: url.lastPathComponent, line: mismatch.line, detail: mismatch.detail)
            }
            let batch = IngestBatch(sha256: sha256, name: url.lastPathComponent, format: summary.format,
                                    version: summary.version, sizeBytes: size, records: parsed.records,
                                    skippedStatus: summary.skipped, fileExceptions: mismatches)
            let stored = try await store.ingest(batch, on: date, runID: outcome.runID)
            outcome.filesIngested += 1
            outcome.recordsAdded += stored.added
            try mover.archive(url, sha256: sha256)
            logger.info("file ingested", metadata: [
                "settlement.format": "\(summary.format) \(summary.version)", "records.added": "\(stored.added)",
                "records.known": "\(stored.alreadyKnown)", "records.invalid": "\(stored.invalid)",
                "records.skipped": "\(summary.skipped)", "batch.mismatches": "\(mismatches.count)",
            ])
        }
    }

    private func evaluate(on date: BusinessDate, outcome: inout RunOutcome, logger: Logger) async throws {
        var ledger = try await store.ledger()
        let candidates = try await store.openCandidates()
        let reconciler = Reconciler(settings: config.rules)
        let outcomes = reconciler.evaluate(candidates, ledger: &ledger, appliedOn: date, appliedAt: now(),
                                           runID: outcome.runID)
        try await store.commit(outcomes, on: date, runID: outcome.runID)
        for (_, result) in outcomes {
            switch result {
            case .applied: outcome.applied += 1
            case .held: outcome.held += 1
            case .foreign: break
            }
        }
        logger.info("evaluated", metadata: ["records.evaluated": "\(candidates.count)", "licenses.extended": "\(outcome.applied)"])
    }

    private func sweep(on date: BusinessDate, runID: String) async throws {
        let ledger = try await store.ledger()
        let named = try await store.namedOrderIDs()
        let overdue = Sweep.overdueOrders(ledger.orders.values, namedOrderIDs: named, on: date, settings: config.rules)
        try await store.commitSweep(overdue, codes: [.unsettledOverdue], on: date, runID: runID)
    }

    /// The mail and feed files of D and of any earlier date with unwritten rows, and D's exception report.
    func writeOutputs(for date: BusinessDate) async throws -> [URL] {
        let writer = OutputWriter(root: config.outDirectory)
        let mails = try CompletionMailRenderer(
            settings: .init(from: config.mailFrom, statementDescriptors: config.statementDescriptors,
                            catalog: config.rules.catalog),
            templateDirectory: config.mailTemplateDirectory)
        var written: [URL] = []
        let dates = Set(try await store.datesWithUnwrittenOutputs()).union([date]).sorted()
        for day in dates {
            let outbox = try await store.outbox(on: day)
            written.append(try writer.write(try mails.jsonLines(outbox), to: "mail/\(day)/completion-mails.jsonl"))
            written.append(try writer.write(try LicenseFeed.jsonLines(outbox.map(\.extensionRecord)),
                                            to: "licenses/\(day)/license-extensions.jsonl"))
            try await store.markOutputsWritten(on: day)
        }
        let exceptions = try await store.exceptionReport(on: date)
        written.append(try writer.write(ExceptionsCSV(texts: config.exceptionTexts).render(exceptions),
                                        to: "reports/\(date)/exceptions.csv"))
        return written
    }

    static func runID(_ instant: Date) -> String {
        let stamp = instant.formatted(.iso8601).filter { $0.isNumber }
        return "run-\(stamp.prefix(14))-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
