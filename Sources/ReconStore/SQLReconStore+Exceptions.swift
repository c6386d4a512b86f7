import Foundation
import ReconCore

/// The exception lifecycle (SPEC §4): one row per code and subject, every change in its history.
extension SQLReconStore {
    /// Raises `facts`, or sees them again: a new exception opens; an open or dismissed one
    /// only moves `last_seen`; a resolved one reopens.
    static func raise(_ facts: ExceptionFacts, on date: BusinessDate, runID: String, in db: any SQLConnection) async throws {
        let id = facts.exceptionID
        let existing = try await db.query("SELECT status, last_seen FROM exceptions WHERE exception_id = ?", .text(id)).first
        guard let existing else {
            try await db.execute("""
                INSERT INTO exceptions (exception_id, code, severity, subject, status, record_id, order_id, serial,
                    transaction_id, file_name, line, col, amount_minor, expected_amount_minor, expected_currency, currency,
                    placed_on, settled_on, lag_days, candidates, descriptor, detail, first_seen, last_seen)
                VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [
                    .text(id), .text(facts.code.rawValue), .text(facts.severity.rawValue), .text(facts.subject),
                    SQLValue(facts.recordID), SQLValue(facts.orderID), SQLValue(facts.serial),
                    SQLValue(facts.transactionID), SQLValue(facts.fileName), SQLValue(facts.line),
                    SQLValue(facts.column), SQLValue(facts.amountMinor), SQLValue(facts.expectedAmountMinor),
                    SQLValue(facts.expectedCurrency), SQLValue(facts.currency), SQLValue(facts.placedOn?.description),
                    SQLValue(facts.settledOn?.description), SQLValue(facts.lagDays),
                    .text(facts.candidates.joined(separator: " ")), SQLValue(facts.descriptor), SQLValue(facts.detail),
                    .text(date.description), .text(date.description),
                ])
            try await appendHistory(id, action: "opened", status: "open", note: nil, actor: "renewal-recon",
                                    on: date, runID: runID, in: db)
            return
        }
        let status = existing.string(0)
        let lastSeen = BusinessDate(iso: existing.string(1)) ?? date
        let newLastSeen = max(lastSeen, date)
        if status == "resolved" {
            try await db.execute("UPDATE exceptions SET status = 'open', last_seen = ? WHERE exception_id = ?",
                                 .text(newLastSeen.description), .text(id))
            try await appendHistory(id, action: "reopened", status: "open", note: nil, actor: "renewal-recon",
                                    on: date, runID: runID, in: db)
        } else if date > lastSeen {
            try await db.execute("UPDATE exceptions SET last_seen = ? WHERE exception_id = ?",
                                 .text(newLastSeen.description), .text(id))
            try await appendHistory(id, action: "seen", status: status, note: nil, actor: "renewal-recon",
                                    on: date, runID: runID, in: db)
        }
    }

    /// Resolves the open exceptions of a record, except those with a code in `keeping`.
    static func resolveRecordExceptions(recordID: String, keeping: Set<String>, reason: String, on date: BusinessDate,
                                        runID: String, in db: any SQLConnection) async throws {
        let open = try await db.query("SELECT exception_id, code FROM exceptions WHERE record_id = ? AND status = 'open'",
                                      .text(recordID))
        for row in open where !keeping.contains(row.string(1)) {
            try await resolve(row.string(0), reason: reason, on: date, runID: runID, in: db)
        }
    }

    static func resolve(_ exceptionID: String, reason: String, on date: BusinessDate, runID: String?,
                        actor: String = "renewal-recon", in db: any SQLConnection) async throws {
        try await db.execute("UPDATE exceptions SET status = 'resolved' WHERE exception_id = ?", .text(exceptionID))
        try await appendHistory(exceptionID, action: "resolved", status: "resolved", note: reason, actor: actor,
                                on: date, runID: runID, in: db)
    }

    static func appendHistory(_ exceptionID: String, action: String, status: String, note: String?, actor: String,
                              on date: BusinessDate, runID: String?, in db: any SQLConnection) async throws {
        let next = try await db.query("SELECT COALESCE(MAX(seq), 0) + 1 FROM exception_history WHERE exception_id = ?",
                                      .text(exceptionID)).first?.int(0) ?? 1
        try await db.execute("""
            INSERT INTO exception_history (exception_id, seq, business_date, recorded_at, actor, action, status, note, run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(exceptionID), .integer(next), .text(date.description), .text(StoreClock.now()), .text(actor),
                  .text(action), .text(status), SQLValue(note), SQLValue(runID)])
    }
}
