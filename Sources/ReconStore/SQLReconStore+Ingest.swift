import Foundation
import ReconCore

/// Settlement files and records into the store (SPEC §3.1, identity and duplicates).
extension SQLReconStore {
    public func settlementFile(sha256: String) async throws -> SettlementFileReceipt? {
        try await database.read { db in
            try await db.query("SELECT sha256, name, status, received_on FROM settlement_files WHERE sha256 = ?",
                               .text(sha256)).first.flatMap { row in
                guard let status = SettlementFileReceipt.Status(rawValue: row.string(2)),
                      let received = BusinessDate(iso: row.string(3)) else { return nil }
                return SettlementFileReceipt(sha256: row.string(0), name: row.string(1), status: status, receivedOn: received)
            }
        }
    }

    public func ingest(_ batch: IngestBatch, on date: BusinessDate, runID: String) async throws -> IngestSummary {
        try await ingest(sha256: batch.sha256, name: batch.name, sizeBytes: batch.sizeBytes,
                         from: BatchOfRecords(batch), on: date, runID: runID)
    }

    public func ingest(sha256: String, name: String, sizeBytes: Int, from source: any RecordBatchSource,
                       on date: BusinessDate, runID: String) async throws -> IngestSummary {
        try await database.transaction { db in
            // The file row first, as the records refer to it; what it is gets filled in at the end.
            // A file quarantined before (a newer version, or a profile added since, reads it now)
            // is received today, the day its records come in; its quarantines stay on their dates.
            try await db.execute("""
                INSERT INTO settlement_files (sha256, name, size_bytes, status, received_on, run_id)
                VALUES (?, ?, ?, 'ingested', ?, ?)
                ON CONFLICT (sha256) DO UPDATE SET name = excluded.name, status = 'ingested', reason = NULL,
                    line = NULL, col = NULL, received_on = excluded.received_on, run_id = excluded.run_id
                """, [.text(sha256), .text(name), SQLValue(sizeBytes), .text(date.description), .text(runID)])
            // A file that was rejected before and reads now: its rejection is over, dismissed or not.
            let rejections = try await db.query("""
                SELECT exception_id FROM exceptions WHERE code = 'file_rejected' AND status IN \(RowMapping.standingStatusList)
                AND subject LIKE ?
                """, .text(sha256 + "%"))
            try await Self.resolve(rejections.map { ($0.string(0), "the file now reads") }, on: date, runID: runID, in: db)
            var summary = IngestSummary()
            var total = 0
            while let batch = try await source.nextBatch() {
                total += batch.records.count
                try await Self.insert(batch, fileSHA256: sha256, fileName: name, on: date, runID: runID,
                                      summary: &summary, in: db)
            }
            let tail = source.tail()
            try await db.execute("""
                UPDATE settlement_files SET format = ?, version = ?, records = ?, skipped_status = ? WHERE sha256 = ?
                """, [.text(tail.format), .text(tail.version), SQLValue(total), SQLValue(tail.skippedStatus), .text(sha256)])
            try await Self.raise(tail.fileExceptions, on: date, runID: runID, in: db)
            return summary
        }
    }

    static func storedRecordIDs(among ids: [String], in db: any SQLConnection) async throws -> Set<String> {
        var found = Set<String>()
        try await db.forEachChunk(ids) { marks, values in
            for row in try await db.query("SELECT record_id FROM settlement_records WHERE record_id IN (\(marks))", values) {
                found.insert(row.string(0))
            }
        }
        return found
    }

    public func reject(sha256: String, name: String, sizeBytes: Int, facts: ExceptionFacts, on date: BusinessDate,
                       oncePerName: Bool, inboxFile: String?, runID: String) async throws {
        try await database.transaction { [byte = database.byteCollation] db in
            try await db.execute("""
                INSERT INTO settlement_files (sha256, name, size_bytes, status, reason, line, col, received_on, run_id)
                VALUES (?, ?, ?, 'rejected', ?, ?, ?, ?, ?)
                ON CONFLICT (sha256) DO UPDATE SET reason = excluded.reason, line = excluded.line, col = excluded.col,
                    run_id = excluded.run_id
                """, [.text(sha256), .text(name), SQLValue(sizeBytes), SQLValue(facts.detail), SQLValue(facts.line),
                      SQLValue(facts.column), .text(date.description), .text(runID)])
            // Each inbox file quarantined, once a date (a file left in the inbox, once; the inbox
            // file a run stopped before moving it left behind, once), taken over by the run that
            // refuses it again: that run names it itself, so a killed run it follows no longer
            // does (`filesQuarantinedByUnfinishedRuns`). A file someone put back from the
            // quarantine (a rename keeps its inode and time) was refused by a finished run, and
            // counts again on its new date.
            let key: [SQLValue] = [.text(sha256), .text(name)]
            var repeated: String?
            if oncePerName {
                repeated = try await db.query("SELECT rejected_on FROM settlement_file_rejections WHERE sha256 = ? AND name = ?",
                                              key).first?.string(0)
            } else if let inboxFile {
                repeated = try await db.query("""
                    SELECT q.rejected_on FROM settlement_file_rejections q JOIN runs r ON r.run_id = q.run_id
                    WHERE q.sha256 = ? AND q.name = ? AND q.inbox_file = ? AND \(Self.unfinishedNightlyRuns("r", byte: byte))
                    """, key + [.text(inboxFile)]).first?.string(0)
            }
            if let repeated {
                try await db.execute("UPDATE settlement_file_rejections SET run_id = ? WHERE sha256 = ? AND name = ? AND rejected_on = ?",
                                     [.text(runID)] + key + [.text(repeated)])
            } else {
                try await db.execute("""
                    INSERT INTO settlement_file_rejections (sha256, name, rejected_on, run_id, inbox_file) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (sha256, name, rejected_on) DO UPDATE SET run_id = excluded.run_id, inbox_file = excluded.inbox_file
                    """, key + [.text(date.description), .text(runID), SQLValue(inboxFile)])
            }
            try await Self.raise([facts], on: date, runID: runID, in: db)
        }
    }

    public func noteDuplicateArrival(sha256: String, name: String, on date: BusinessDate, oncePerName: Bool,
                                     inboxFile: String?) async throws -> Bool {
        try await database.transaction { db in
            if let inboxFile {
                let counted = try await db.query("SELECT 1 FROM settlement_file_arrivals WHERE sha256 = ? AND name = ? AND inbox_file = ?",
                                                 .text(sha256), .text(name), .text(inboxFile))
                if !counted.isEmpty { return false }
            }
            if oncePerName {
                let seen = try await db.query("SELECT 1 FROM settlement_file_arrivals WHERE sha256 = ? AND name = ?",
                                              .text(sha256), .text(name))
                if !seen.isEmpty { return false }
            }
            let seen = try await db.query("""
                SELECT 1 FROM settlement_file_arrivals WHERE sha256 = ? AND name = ? AND received_on = ?
                """, .text(sha256), .text(name), .text(date.description))
            guard seen.isEmpty else { return false }
            try await db.execute("INSERT INTO settlement_file_arrivals (sha256, name, received_on, inbox_file) VALUES (?, ?, ?, ?)",
                                 .text(sha256), .text(name), .text(date.description), SQLValue(inboxFile))
            return true
        }
    }

    /// The stored records of these transaction ids (`marks`: their placeholders).
    static func storedUnderTransactionIDs(_ marks: String) -> String {
        """
        SELECT transaction_id, order_reference, amount_text, amount_minor, currency, direction, booked_on
        FROM settlement_records WHERE state <> 'invalid' AND transaction_id IN (\(marks))
        """
    }

    /// Inserts one batch of a file's records. A key already stored is a no-op; a record with the
    /// transaction id and order reference of one stored before it but other content is a
    /// `duplicate_settlement`; a record that could not be read is an `invalid_record`.
    static func insert(_ batch: RecordBatch, fileSHA256: String, fileName: String, on date: BusinessDate,
                       runID: String, summary: inout IngestSummary, in db: any SQLConnection) async throws {
        let (records, ids) = (batch.records, batch.ids)
        var known = try await storedRecordIDs(among: ids, in: db)
        // What is stored under each (transaction id, order reference) of the batch, by bytes
        // (`ExactID`) as the store compares them.
        var stored: [ExactID: [[String]]] = [:]
        func slot(_ transactionID: String, _ reference: String?) -> ExactID { ExactID(transactionID + "\u{1F}" + (reference ?? "\u{0}")) }
        func content(_ record: SettlementRecord) -> [String] {
            [record.contentAmount, record.currencyCode, record.direction.rawValue, record.bookedOn?.description ?? ""]
        }
        try await db.forEachChunk(ExactID.distinct(records.lazy.compactMap(\.transactionID))) { marks, values in
            for row in try await db.query(Self.storedUnderTransactionIDs(marks), values) {
                let amount = row.int(3).map(String.init) ?? "?" + row.string(2)
                stored[slot(row.string(0), row.text(1)), default: []].append([amount, row.string(4), row.string(5), row.text(6) ?? ""])
            }
        }
        var rows: [[SQLValue]] = []
        var verdicts: [(SettlementRecord, ExceptionCode)] = []
        for (record, id) in zip(records, ids) {
            guard known.insert(id).inserted else {
                summary.alreadyKnown += 1
                continue
            }
            var state = "open"
            if record.problem != nil {
                state = "invalid"
                summary.invalid += 1
                verdicts.append((record, .invalidRecord))
            } else if let transactionID = record.transactionID {
                let key = slot(transactionID, record.orderReference)
                let mine = content(record)
                if stored[key, default: []].contains(where: { $0 != mine }) {
                    state = "duplicate"
                    summary.duplicates += 1
                    verdicts.append((record, .duplicateSettlement))
                } else {
                    summary.added += 1
                }
                stored[key, default: []].append(mine)
            } else {
                summary.added += 1
            }
            rows.append([.text(id), .text(fileSHA256), SQLValue(record.line), SQLValue(record.ordinal),
                         SQLValue(record.transactionID), SQLValue(record.orderReference), .text(record.amountText),
                         SQLValue(record.amount?.minorUnits), .text(record.currencyCode), .text(record.direction.rawValue),
                         SQLValue(record.reversal), SQLValue(record.bookedOn?.description),
                         SQLValue(record.valueOn?.description), .text(record.descriptor), SQLValue(record.originalPayment),
                         SQLValue(record.problem), .text(state), .text(date.description)])
        }
        try await db.insertRows(into: "settlement_records", columns: [
            "record_id", "file_sha256", "line", "ordinal", "transaction_id", "order_reference", "amount_text",
            "amount_minor", "currency", "direction", "reversal", "booked_on", "value_on", "descriptor",
            "original_payment", "problem", "state", "received_on",
        ], rows: rows)
        try await raise(verdicts.map { record, code in .about(record, fileName: fileName, code: code) },
                        on: date, runID: runID, in: db)
    }
}

/// A file already read whole, as a source of one batch.
final class BatchOfRecords: RecordBatchSource, @unchecked Sendable {
    private var records: [SettlementRecord]?
    private let batch: IngestBatch

    init(_ batch: IngestBatch) {
        self.batch = batch
        self.records = batch.records
    }

    func nextBatch() async throws -> RecordBatch? {
        defer { records = nil }
        return records.map(RecordBatch.init)
    }

    func tail() -> IngestTail {
        IngestTail(format: batch.format, version: batch.version, skippedStatus: batch.skippedStatus,
                   fileExceptions: batch.fileExceptions)
    }
}
