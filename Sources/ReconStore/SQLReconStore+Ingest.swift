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
        try await database.transaction { db in
            try await db.execute("""
                INSERT INTO settlement_files (sha256, name, size_bytes, format, version, status, received_on, records,
                                              skipped_status, run_id)
                VALUES (?, ?, ?, ?, ?, 'ingested', ?, ?, ?, ?)
                ON CONFLICT (sha256) DO UPDATE SET name = excluded.name, format = excluded.format,
                    version = excluded.version, status = 'ingested', reason = NULL, line = NULL, col = NULL,
                    records = excluded.records, skipped_status = excluded.skipped_status, run_id = excluded.run_id
                """, [.text(batch.sha256), .text(batch.name), SQLValue(batch.sizeBytes), .text(batch.format),
                      .text(batch.version), .text(date.description), SQLValue(batch.records.count),
                      SQLValue(batch.skippedStatus), .text(runID)])
            // A file that was rejected before and reads now: its rejection is over.
            for row in try await db.query("""
                SELECT exception_id FROM exceptions WHERE code = 'file_rejected' AND status = 'open' AND subject LIKE ?
                """, .text(batch.sha256 + "%")) {
                try await Self.resolve(row.string(0), reason: "the file now reads", on: date, runID: runID, in: db)
            }
            var summary = IngestSummary()
            for record in batch.records {
                let recordID = record.recordID
                if try await !db.query("SELECT 1 FROM settlement_records WHERE record_id = ?", .text(recordID)).isEmpty {
                    summary.alreadyKnown += 1
                    continue
                }
                var state = "open"
                var verdict: ExceptionCode?
                if record.problem != nil {
                    state = "invalid"
                    verdict = .invalidRecord
                    summary.invalid += 1
                } else if try await Self.conflictsWithStoredRecord(record, in: db) {
                    state = "duplicate"
                    verdict = .duplicateSettlement
                    summary.duplicates += 1
                } else {
                    summary.added += 1
                }
                try await Self.insert(record, id: recordID, fileSHA256: batch.sha256, state: state, on: date, in: db)
                if let verdict {
                    try await Self.raise(.about(record, fileName: batch.name, code: verdict), on: date, runID: runID, in: db)
                }
            }
            for facts in batch.fileExceptions {
                try await Self.raise(facts, on: date, runID: runID, in: db)
            }
            return summary
        }
    }

    public func storedRecordIDs(among ids: [String]) async throws -> Set<String> {
        try await database.read { db in
            var found = Set<String>()
            for chunk in ids.chunked(500) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let rows = try await db.query("SELECT record_id FROM settlement_records WHERE record_id IN (\(marks))",
                                              chunk.map(SQLValue.text))
                for row in rows { found.insert(row.string(0)) }
            }
            return found
        }
    }

    public func reject(sha256: String, name: String, sizeBytes: Int, facts: ExceptionFacts, on date: BusinessDate,
                       runID: String) async throws {
        try await database.transaction { db in
            try await db.execute("""
                INSERT INTO settlement_files (sha256, name, size_bytes, status, reason, line, col, received_on, run_id)
                VALUES (?, ?, ?, 'rejected', ?, ?, ?, ?, ?)
                ON CONFLICT (sha256) DO UPDATE SET reason = excluded.reason, line = excluded.line, col = excluded.col,
                    run_id = excluded.run_id
                """, [.text(sha256), .text(name), SQLValue(sizeBytes), SQLValue(facts.detail), SQLValue(facts.line),
                      SQLValue(facts.column), .text(date.description), .text(runID)])
            try await Self.raise(facts, on: date, runID: runID, in: db)
        }
    }

    public func noteDuplicateArrival(sha256: String, name: String, on date: BusinessDate, oncePerName: Bool) async throws -> Bool {
        try await database.transaction { db in
            if oncePerName {
                let seen = try await db.query("SELECT 1 FROM settlement_file_arrivals WHERE sha256 = ? AND name = ?",
                                              .text(sha256), .text(name))
                if !seen.isEmpty { return false }
            }
            let seen = try await db.query("""
                SELECT 1 FROM settlement_file_arrivals WHERE sha256 = ? AND name = ? AND received_on = ?
                """, .text(sha256), .text(name), .text(date.description))
            guard seen.isEmpty else { return false }
            try await db.execute("INSERT INTO settlement_file_arrivals (sha256, name, received_on) VALUES (?, ?, ?)",
                                 .text(sha256), .text(name), .text(date.description))
            return true
        }
    }

    /// Same transaction id and order reference as a stored record, but other amount, currency,
    /// direction or booking date: a correction or a collision.
    static func conflictsWithStoredRecord(_ record: SettlementRecord, in db: any SQLConnection) async throws -> Bool {
        guard let transactionID = record.transactionID else { return false }
        let rows = try await db.query("""
            SELECT order_reference, amount_text, amount_minor, currency, direction, booked_on
            FROM settlement_records WHERE transaction_id = ? AND state <> 'invalid'
            """, .text(transactionID))
        return rows.contains { row in
            guard row.text(0) == record.orderReference else { return false }
            let sameAmount = record.amount.map { row.int(2) == $0.minorUnits } ?? (row.string(1) == record.amountText)
            return !(sameAmount && row.string(3) == record.currencyCode && row.string(4) == record.direction.rawValue
                && row.text(5) == record.bookedOn?.description)
        }
    }

    static func insert(_ record: SettlementRecord, id: String, fileSHA256: String, state: String, on date: BusinessDate,
                       in db: any SQLConnection) async throws {
        try await db.execute("""
            INSERT INTO settlement_records (record_id, file_sha256, line, ordinal, transaction_id, order_reference,
                amount_text, amount_minor, currency, direction, reversal, booked_on, value_on, descriptor,
                original_payment, problem, state, received_on)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(id), .text(fileSHA256), SQLValue(record.line), SQLValue(record.ordinal),
                  SQLValue(record.transactionID), SQLValue(record.orderReference), .text(record.amountText),
                  SQLValue(record.amount?.minorUnits), .text(record.currencyCode), .text(record.direction.rawValue),
                  SQLValue(record.reversal), SQLValue(record.bookedOn?.description),
                  SQLValue(record.valueOn?.description), .text(record.descriptor), SQLValue(record.originalPayment),
                  SQLValue(record.problem), .text(state), .text(date.description)])
    }
}
