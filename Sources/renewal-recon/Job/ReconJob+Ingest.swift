import Foundation
import Logging
import ReconCore
import ReconIngest

/// SPEC §3.1 files: the inbox into the store, each file in one transaction, then moved.
extension ReconJob {
    /// A dry run moves no file (a mover without an archive leaves them where they are) and
    /// names each in the plan instead.
    func ingest(on date: BusinessDate, outcome: inout RunOutcome, logger: Logger) async throws {
        let mover = InboxMover(archive: outcome.isDryRun ? nil : config.archiveDirectory,
                               quarantine: config.quarantineDirectory)
        let reader = SettlementFileReader(options: config.readOptions, csvProfiles: config.csvProfiles)
        let (files, passedOver, misnamed) = try InboxScanner.readyFiles(in: config.inboxDirectory,
                                                                        minimumAge: config.minFileAgeSeconds, now: fileClock())
        for entry in passedOver {
            logger.warning("inbox entry passed over", metadata: ["settlement.file": "\(entry.name)", "settlement.reason": "\(entry.why)"])
        }
        for name in misnamed {
            let reason = "its name is not UTF-8: left in the inbox (rename it, and the next run reads it)"
            outcome.unreadable.append("\(name): \(reason)")
            outcome.plan?("leave \(name): \(reason)")
            logger.error("file cannot be read", metadata: ["settlement.file": "\(name)", "settlement.reason": "\(reason)"])
        }
        var statistics = StatisticsSchedule(first: statisticsFrom)
        let progress = Progress()
        defer { progress.finish() }
        for (index, file) in files.enumerated() {
            let url = file.url
            try Interruption.check()
            progress.show(files: index, of: files.count, records: outcome.recordsAdded, phase: "ingest")
            var logger = logger
            logger[metadataKey: "settlement.file"] = "\(url.lastPathComponent)"
            // The file as listed (inode, size, times). One replaced or written since, or while the
            // job reads it (an upload renamed over it), is left for the next run: never stored
            // under the other content's hash, nor archived or quarantined in place of the new
            // content. (Between the last look and the move there is still a moment.)
            let listed = InboxMover.readingIdentity(file.listed)
            let unchanged = { @Sendable in InboxMover.readingIdentity(of: url) == listed }
            func leaveChanged() {
                outcome.plan?("leave \(url.lastPathComponent): changed while it was read")
                logger.warning("file changed while it was read: left in the inbox for the next run")
            }
            let sha256: String
            do {
                sha256 = try SettlementFileReader.sha256(of: url)
            } catch {
                // Gone since the listing (the processor took it back to send it again): nothing
                // to do, and nothing to leave.
                guard FileManager.default.fileExists(atPath: url.path) else {
                    logger.info("file gone from the inbox before it was read")
                    continue
                }
                // Another user's upload the job may not open (mode 600): nothing of it can be
                // known, so it stays where it is, named, and the night goes on; the next run
                // tries it again.
                let reason = "cannot read the file (\(error.systemReason)): left in the inbox for the next run"
                outcome.unreadable.append("\(url.lastPathComponent): \(reason)")
                outcome.plan?("leave \(url.lastPathComponent): \(reason)")
                logger.error("file cannot be read", metadata: ["settlement.reason": "\(reason)"])
                continue
            }
            guard unchanged() else {
                leaveChanged()
                continue
            }
            CrashPoint.reach("ingest.hashed")
            let size = Int(file.listed.st_size)
            if let countAsDuplicate = try await knownFile(url, sha256: sha256) {
                if countAsDuplicate,
                   try await store.noteDuplicateArrival(sha256: sha256, name: url.lastPathComponent, on: date,
                                                        oncePerName: config.archiveDirectory == nil,
                                                        inboxFile: InboxMover.arrival(file.listed)) {
                    outcome.filesSkipped += 1
                    outcome.plan?("skip \(url.lastPathComponent): already ingested")
                    logger.info("file already ingested; counted as a duplicate", metadata: ["settlement.sha256": "\(sha256)"])
                    CrashPoint.reach("arrival.counted")
                }
                if unchanged() { try mover.archive(url, sha256: sha256) } else { leaveChanged() }
                continue
            }
            // Parsed on its own thread while the store takes its records, all in one transaction
            // that a refused file rolls back whole.
            let source = StreamedFile(url: url, sha256: sha256, reader: reader, unchanged: unchanged)
            do {
                let stored = try await store.ingest(sha256: sha256, name: url.lastPathComponent, sizeBytes: size,
                                                    from: source, on: date, runID: outcome.runID)
                outcome.filesIngested += 1
                outcome.recordsAdded += stored.added
                CrashPoint.reach("ingest.committed")
                if statistics.isDue(at: outcome.recordsAdded) { try await store.refreshStatistics(of: .records) }
                if unchanged() {
                    try mover.archive(url, sha256: sha256)
                } else {
                    // Its content is stored; the new one waits for the next run, and the archive
                    // holds no copy of what was read (the sender replaced it).
                    logger.warning("file replaced after it was read: the new one is left in the inbox for the next run")
                }
                let new = stored.added + stored.duplicates + stored.invalid
                outcome.plan?("ingest \(url.lastPathComponent): \(new) new record(s) of \(new + stored.alreadyKnown)")
                let tail = source.tail()
                logger.info("file ingested", metadata: [
                    "settlement.format": "\(tail.format) \(tail.version)", "records.added": "\(stored.added)",
                    "records.known": "\(stored.alreadyKnown)", "records.invalid": "\(stored.invalid)",
                    "records.skipped": "\(tail.skippedStatus)", "batch.mismatches": "\(tail.fileExceptions.count)",
                ])
            } catch is FileChangedWhileRead {
                leaveChanged()
            } catch let rejection as FileRejection {
                guard unchanged() else {
                    leaveChanged()
                    continue
                }
                let position = "\(rejection.line ?? 0):\(rejection.column ?? 0)"
                let facts = ExceptionFacts(code: .fileRejected, subject: "\(sha256)@\(position)",
                                           fileName: url.lastPathComponent, line: rejection.line,
                                           column: rejection.column, detail: rejection.reason)
                try await store.reject(sha256: sha256, name: url.lastPathComponent, sizeBytes: size, facts: facts,
                                       on: date, oncePerName: config.archiveDirectory == nil,
                                       inboxFile: InboxMover.arrival(file.listed), runID: outcome.runID)
                outcome.filesRejected += 1
                outcome.rejections.append("\(url.lastPathComponent): \(rejection)")
                outcome.plan?("quarantine \(url.lastPathComponent): \(rejection)")
                logger.error("file rejected", metadata: ["settlement.reason": "\(rejection)"])
                CrashPoint.reach("ingest.committed")
                try mover.quarantine(url, sha256: sha256, rejection: rejection, on: date.description)
            }
        }
    }

    /// nil for a file the store does not know as ingested; else whether seeing it again counts
    /// as a duplicate arrival (not for a copy left in place, nor for a move a crash interrupted:
    /// the archive holds no file of that content, whatever else it holds under the name, or
    /// holds it with the note of a move across file systems stopped before it removed this file).
    private func knownFile(_ url: URL, sha256: String) async throws -> Bool? {
        guard let known = try await store.settlementFile(sha256: sha256), known.status == .ingested else { return nil }
        let sameName = known.name == url.lastPathComponent
        let leftInPlace = config.archiveDirectory == nil && sameName
        let interruptedMove = config.archiveDirectory.map { archive in
            // The note first: finding the archive's copy hashes it.
            sameName && (InboxMover.isLeftBehind(url, in: archive, holding: sha256)
                         || InboxMover.file(in: archive, named: known.name, holding: sha256) == nil)
        } ?? false
        return !leftInPlace && !interruptedMove
    }
}

/// The inbox file was replaced or written while it was read: its records are not committed.
struct FileChangedWhileRead: Error {}

/// One inbox file as the store's record source: parsed on its own thread (`RecordStream`),
/// its batch and summary figures turned into `batch_total_mismatch` exceptions at the end.
final class StreamedFile: RecordBatchSource, @unchecked Sendable {
    private let stream: RecordStream<RecordBatch>
    private let sha256: String
    private let name: String
    private var summary: FileSummary?

    /// Whether the inbox still holds the file as it was hashed: asked once the file is read,
    /// before the store commits its records.
    private let unchanged: @Sendable () -> Bool

    init(url: URL, sha256: String, reader: SettlementFileReader, unchanged: @escaping @Sendable () -> Bool) {
        self.stream = RecordStream(reading: url, with: reader, making: RecordBatch.init)
        self.sha256 = sha256
        self.name = url.lastPathComponent
        self.unchanged = unchanged
    }

    deinit { stream.cancel() }

    func nextBatch() async throws -> RecordBatch? {
        switch stream.next() {
        case .records(let batch): return batch
        case .finished(let summary):
            guard unchanged() else { throw FileChangedWhileRead() }
            self.summary = summary
            return nil
        case .failed(let rejection): throw rejection
        }
    }

    func tail() -> IngestTail {
        guard let summary else { return IngestTail(format: "", version: "", skippedStatus: 0, fileExceptions: []) }
        let mismatches = summary.mismatches.map { mismatch in
            ExceptionFacts(code: .batchTotalMismatch, subject: "\(sha256)@\(mismatch.position)", fileName: name,
                           line: mismatch.line, detail: mismatch.detail)
        }
        return IngestTail(format: summary.format, version: summary.version, skippedStatus: summary.skipped,
                          fileExceptions: mismatches)
    }
}
