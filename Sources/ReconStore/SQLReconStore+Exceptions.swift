import Foundation
import ReconCore

/// The exception lifecycle (SPEC §4): one row per code and subject, every change in its history.
extension SQLReconStore {
    /// Raises each of `all` in order, or sees it again: a new exception opens; an open or
    /// dismissed one only moves `last_seen`; a resolved one reopens. One raised again with
    /// another severity takes it (a `late_settlement` held, then applied under
    /// `late_settlement: apply`, is a warning from then on). A handful of statements for the
    /// whole list (a night holds tens of thousands of records; on PostgreSQL each statement is
    /// a round trip).
    static func raise(_ all: [ExceptionFacts], on date: BusinessDate, runID: String, in db: any SQLConnection) async throws {
        guard !all.isEmpty else { return }
        // What is stored of each, then what the list makes of it, in order.
        var stored: [String: (status: String, lastSeen: BusinessDate, severity: String)] = [:]
        try await db.forEachChunk(Array(Set(all.map(\.exceptionID))).sorted()) { marks, values in
            for row in try await db.query("""
                SELECT exception_id, status, last_seen, severity FROM exceptions WHERE exception_id IN (\(marks))
                """, values) {
                stored[row.string(0)] = (row.string(1), BusinessDate(iso: row.string(2)) ?? date, row.string(3))
            }
        }
        var current = stored
        var opened: [[SQLValue]] = []
        var history: [HistoryEntry] = []
        for facts in all {
            let id = facts.exceptionID
            let severity = facts.severity.rawValue
            guard let before = current[id] else {
                opened.append(openingValues(facts, id: id, on: date))
                current[id] = ("open", date, severity)
                history.append(HistoryEntry(exceptionID: id, action: "opened", status: "open"))
                continue
            }
            var after = (status: before.status, lastSeen: before.lastSeen, severity: severity)
            if before.status == "resolved" {
                (after.status, after.lastSeen) = ("open", max(before.lastSeen, date))
                history.append(HistoryEntry(exceptionID: id, action: "reopened", status: "open"))
            } else if date > before.lastSeen {
                after.lastSeen = date
                history.append(HistoryEntry(exceptionID: id, action: "seen", status: after.status))
            }
            if after.severity != before.severity {
                history.append(HistoryEntry(exceptionID: id, action: "severity \(severity)", status: after.status))
            }
            current[id] = after
        }
        try await db.insertRows(into: "exceptions", columns: exceptionColumns, rows: opened)
        // The stored exceptions that changed, grouped by what they now read.
        var changed: [[String]: [String]] = [:]
        for (id, before) in stored {
            if let after = current[id], after != before {
                changed[[after.status, after.lastSeen.description, after.severity], default: []].append(id)
            }
        }
        for (state, ids) in changed.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            try await db.forEachChunk(ids.sorted()) { marks, values in
                try await db.execute("""
                    UPDATE exceptions SET status = ?, last_seen = ?, severity = ? WHERE exception_id IN (\(marks))
                    """, [.text(state[0]), .text(state[1]), .text(state[2])] + values)
            }
        }
        try await appendHistory(history, on: date, runID: runID, in: db)
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

    /// Resolves each of `items` (an exception and why), in order.
    static func resolve(_ items: [(exceptionID: String, reason: String)], on date: BusinessDate, runID: String?,
                        actor: String = "renewal-recon", in db: any SQLConnection) async throws {
        try await db.forEachChunk(items.map(\.exceptionID)) { marks, values in
            try await db.execute("UPDATE exceptions SET status = 'resolved' WHERE exception_id IN (\(marks))", values)
        }
        try await appendHistory(items.map { id, reason in
            HistoryEntry(exceptionID: id, action: "resolved", status: "resolved", note: reason, actor: actor)
        }, on: date, runID: runID, in: db)
    }

    /// A change of an exception, as its history keeps it.
    struct HistoryEntry {
        var exceptionID: String
        var action: String
        var status: String
        var note: String?
        var actor = "renewal-recon"
    }

    /// Appends `entries` in order, each numbered after the last of its exception's history.
    static func appendHistory(_ entries: [HistoryEntry], on date: BusinessDate, runID: String?,
                              in db: any SQLConnection) async throws {
        guard !entries.isEmpty else { return }
        var next: [String: Int64] = [:]
        try await db.forEachChunk(Array(Set(entries.map(\.exceptionID))).sorted()) { marks, values in
            for row in try await db.query("""
                SELECT exception_id, MAX(seq) FROM exception_history WHERE exception_id IN (\(marks)) GROUP BY exception_id
                """, values) {
                next[row.string(0)] = (row.int(1) ?? 0) + 1
            }
        }
        var rows: [[SQLValue]] = []
        for entry in entries {
            let seq = next[entry.exceptionID, default: 1]
            next[entry.exceptionID] = seq + 1
            rows.append([.text(entry.exceptionID), .integer(seq), .text(date.description), .text(StoreClock.now()),
                         .text(entry.actor), .text(entry.action), .text(entry.status), SQLValue(entry.note), SQLValue(runID)])
        }
        try await db.insertRows(into: "exception_history", columns: [
            "exception_id", "seq", "business_date", "recorded_at", "actor", "action", "status", "note", "run_id",
        ], rows: rows)
    }
}
