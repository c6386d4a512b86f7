import Foundation
import ReconCore

/// The exception lifecycle (SPEC §4): one row per code and subject, every change in its history.
extension SQLReconStore {
    /// Raises each of `all` in order, or sees it again: a new exception opens; an open or
    /// dismissed one only moves `last_seen`; a resolved one reopens. A handful of statements
    /// for the whole list (a night holds tens of thousands of records; on PostgreSQL each
    /// statement is a round trip).
    static func raise(_ all: [ExceptionFacts], on date: BusinessDate, runID: String, in db: any SQLConnection) async throws {
        guard !all.isEmpty else { return }
        // What is stored of each, then what the list makes of it, in order.
        var stored: [String: (status: String, lastSeen: BusinessDate)] = [:]
        try await db.forEachChunk(Array(Set(all.map(\.exceptionID))).sorted()) { marks, values in
            for row in try await db.query("SELECT exception_id, status, last_seen FROM exceptions WHERE exception_id IN (\(marks))", values) {
                stored[row.string(0)] = (row.string(1), BusinessDate(iso: row.string(2)) ?? date)
            }
        }
        // Exceptions are never deleted, so only a stored one has history to continue.
        var nextSeq: [String: Int64] = [:]
        try await db.forEachChunk(stored.keys.sorted()) { marks, values in
            for row in try await db.query("""
                SELECT exception_id, MAX(seq) FROM exception_history WHERE exception_id IN (\(marks)) GROUP BY exception_id
                """, values) {
                nextSeq[row.string(0)] = (row.int(1) ?? 0) + 1
            }
        }
        var current = stored
        var opened: [[SQLValue]] = []
        var history: [[SQLValue]] = []
        func note(_ id: String, _ action: String, _ status: String) {
            let seq = nextSeq[id, default: 1]
            nextSeq[id] = seq + 1
            history.append(historyValues(id, seq: seq, action: action, status: status, note: nil, actor: "renewal-recon",
                                         on: date, runID: runID))
        }
        for facts in all {
            let id = facts.exceptionID
            guard let (status, lastSeen) = current[id] else {
                opened.append(openingValues(facts, id: id, on: date))
                current[id] = ("open", date)
                note(id, "opened", "open")
                continue
            }
            if status == "resolved" {
                current[id] = ("open", max(lastSeen, date))
                note(id, "reopened", "open")
            } else if date > lastSeen {
                current[id] = (status, date)
                note(id, "seen", status)
            }
        }
        try await db.insertRows(into: "exceptions", columns: exceptionColumns, rows: opened)
        // The stored exceptions that changed, grouped by what they now read.
        var changed: [[String]: [String]] = [:]
        for (id, before) in stored {
            if let after = current[id], after != before {
                changed[[after.status, after.lastSeen.description], default: []].append(id)
            }
        }
        for (state, ids) in changed.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            try await db.forEachChunk(ids.sorted()) { marks, values in
                try await db.execute("UPDATE exceptions SET status = ?, last_seen = ? WHERE exception_id IN (\(marks))",
                                     [.text(state[0]), .text(state[1])] + values)
            }
        }
        try await db.insertRows(into: "exception_history", columns: historyColumns, rows: history)
    }

    static func raise(_ facts: ExceptionFacts, on date: BusinessDate, runID: String, in db: any SQLConnection) async throws {
        try await raise([facts], on: date, runID: runID, in: db)
    }

    private static let exceptionColumns = [
        "exception_id", "code", "severity", "subject", "status", "record_id", "order_id", "serial", "transaction_id",
        "file_name", "line", "col", "amount_minor", "expected_amount_minor", "expected_currency", "currency", "placed_on",
        "settled_on", "lag_days", "candidates", "descriptor", "detail", "first_seen", "last_seen",
    ]

    private static func openingValues(_ facts: ExceptionFacts, id: String, on date: BusinessDate) -> [SQLValue] {
        [
            .text(id), .text(facts.code.rawValue), .text(facts.severity.rawValue), .text(facts.subject), .text("open"),
            SQLValue(facts.recordID), SQLValue(facts.orderID), SQLValue(facts.serial),
            SQLValue(facts.transactionID), SQLValue(facts.fileName), SQLValue(facts.line),
            SQLValue(facts.column), SQLValue(facts.amountMinor), SQLValue(facts.expectedAmountMinor),
            SQLValue(facts.expectedCurrency), SQLValue(facts.currency), SQLValue(facts.placedOn?.description),
            SQLValue(facts.settledOn?.description), SQLValue(facts.lagDays),
            .text(facts.candidates.joined(separator: " ")), SQLValue(facts.descriptor), SQLValue(facts.detail),
            .text(date.description), .text(date.description),
        ]
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
        try await db.insertRows(into: "exception_history", columns: historyColumns, rows: [
            historyValues(exceptionID, seq: next, action: action, status: status, note: note, actor: actor,
                          on: date, runID: runID),
        ])
    }

    private static let historyColumns = [
        "exception_id", "seq", "business_date", "recorded_at", "actor", "action", "status", "note", "run_id",
    ]

    private static func historyValues(_ exceptionID: String, seq: Int64, action: String, status: String, note: String?,
                                      actor: String, on date: BusinessDate, runID: String?) -> [SQLValue] {
        [.text(exceptionID), .integer(seq), .text(date.description), .text(StoreClock.now()), .text(actor),
         .text(action), .text(status), SQLValue(note), SQLValue(runID)]
    }
}
