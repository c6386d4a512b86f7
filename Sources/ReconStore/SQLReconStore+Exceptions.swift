import Foundation
import ReconCore

/// The exception lifecycle (SPEC §4): one row per code and subject, every change in its history.
extension SQLReconStore {
    /// Raises each of `all` in order, or sees it again: a new exception opens; an open or
    /// dismissed one only moves `last_seen`; a resolved one reopens. One raised again with
    /// another severity takes it (a `late_settlement` held, then applied under
    /// `late_settlement: apply`, is a warning from then on). One raised again with other facts
    /// (`comparedFacts`: an order imported again with another amount, date or serial) takes
    /// them, and a dismissed one reopens: a dismissal stands only while its facts do (SPEC §4,
    /// lifecycle). A fact first unknown and known now is no change. A handful of statements
    /// for the whole list (a night holds tens of thousands of records; on PostgreSQL each
    /// statement is a round trip), and one more for each exception whose facts changed.
    static func raise(_ all: [ExceptionFacts], on date: BusinessDate, runID: String, in db: any SQLConnection) async throws {
        guard !all.isEmpty else { return }
        // What is stored of each, then what the list makes of it, in order.
        var stored: [String: RaisedState] = [:]
        try await db.forEachChunk(Array(Set(all.map(\.exceptionID))).sorted()) { marks, values in
            for row in try await db.query("""
                SELECT exception_id, status, last_seen, severity, \(comparedFacts.joined(separator: ", "))
                FROM exceptions WHERE exception_id IN (\(marks))
                """, values) {
                stored[row.string(0)] = RaisedState(status: row.string(1), lastSeen: BusinessDate(iso: row.string(2)) ?? date,
                                                    severity: row.string(3), facts: Array(row.values.dropFirst(4)))
            }
        }
        var current = stored
        var latest: [String: ExceptionFacts] = [:]
        var opened: [String] = []
        var history: [HistoryEntry] = []
        for facts in all {
            let id = facts.exceptionID
            let compared = comparedValues(facts)
            latest[id] = facts
            guard let before = current[id] else {
                opened.append(id)
                current[id] = RaisedState(status: "open", lastSeen: date, severity: facts.severity.rawValue, facts: compared)
                history.append(HistoryEntry(exceptionID: id, action: "opened", status: "open"))
                continue
            }
            // A fact recorded that reads otherwise now. One unknown when the exception was
            // raised and known now (a refund's order imported later gives it a serial) is not
            // a change: the exception keeps what was known then, as the day's summary reads it.
            let changed = zip(comparedFacts, zip(before.facts, compared)).filter { $1.0 != .null && $1.0 != $1.1 }.map(\.0)
            var after = before
            after.severity = facts.severity.rawValue
            if !changed.isEmpty { after.facts = compared }
            let note = changed.isEmpty ? nil : "facts changed: " + changed.joined(separator: ", ")
            if before.status == "resolved" || (before.status == "dismissed" && !changed.isEmpty) {
                (after.status, after.lastSeen) = ("open", max(before.lastSeen, date))
                history.append(HistoryEntry(exceptionID: id, action: "reopened", status: "open", note: note))
            } else if !changed.isEmpty {
                after.lastSeen = max(before.lastSeen, date)
                history.append(HistoryEntry(exceptionID: id, action: "facts changed", status: after.status, note: note))
            } else if date > before.lastSeen {
                after.lastSeen = date
                history.append(HistoryEntry(exceptionID: id, action: "seen", status: after.status))
            }
            if after.severity != before.severity {
                history.append(HistoryEntry(exceptionID: id, action: "severity \(after.severity)", status: after.status))
            }
            current[id] = after
        }
        // A new exception opens with the last facts the list gives it.
        try await db.insertRows(into: "exceptions", columns: exceptionColumns, rows: opened.map { id in
            openingValues(latest[id]!, id: id, on: date)
        })
        // The stored exceptions whose facts changed take the list's last facts; the others that
        // changed are grouped by what they now read.
        var changed: [[String]: [String]] = [:]
        for (id, before) in stored.sorted(by: { $0.key < $1.key }) {
            guard let after = current[id], after != before else { continue }
            if after.facts != before.facts, let facts = latest[id] {
                try await db.execute("""
                    UPDATE exceptions SET status = ?, last_seen = ?, severity = ?,
                        \(updatedFacts.map { "\($0) = ?" }.joined(separator: ", ")) WHERE exception_id = ?
                    """, [.text(after.status), .text(after.lastSeen.description), .text(after.severity)]
                        + updatedValues(facts) + [.text(id)])
            } else {
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

    /// An exception as `raise` reads and leaves it.
    private struct RaisedState: Equatable {
        var status: String
        var lastSeen: BusinessDate
        var severity: String
        /// The values of `comparedFacts`.
        var facts: [SQLValue]
    }

    private static let exceptionColumns = ["exception_id", "code", "severity", "subject", "status"]
        + updatedFacts + ["first_seen", "last_seen"]

    /// The facts whose change reopens a dismissed exception. Not among them: `candidates`
    /// (suggestions that move as other orders complete) and `lag_days` (an overdue order's
    /// lag grows every day; a settlement's follows from `placed_on` and `settled_on`).
    private static let comparedFacts = [
        "record_id", "order_id", "serial", "transaction_id", "file_name", "line", "col", "amount_minor",
        "expected_amount_minor", "expected_currency", "currency", "placed_on", "settled_on", "descriptor", "detail",
    ]

    /// The facts written when an exception opens or its facts change.
    private static let updatedFacts = comparedFacts + ["lag_days", "candidates"]

    private static func comparedValues(_ facts: ExceptionFacts) -> [SQLValue] {
        [
            SQLValue(facts.recordID), SQLValue(facts.orderID), SQLValue(facts.serial), SQLValue(facts.transactionID),
            SQLValue(facts.fileName), SQLValue(facts.line), SQLValue(facts.column), SQLValue(facts.amountMinor),
            SQLValue(facts.expectedAmountMinor), SQLValue(facts.expectedCurrency), SQLValue(facts.currency),
            SQLValue(facts.placedOn?.description), SQLValue(facts.settledOn?.description), SQLValue(facts.descriptor),
            SQLValue(facts.detail),
        ]
    }

    private static func updatedValues(_ facts: ExceptionFacts) -> [SQLValue] {
        comparedValues(facts) + [SQLValue(facts.lagDays), .text(facts.candidates.joined(separator: " "))]
    }

    private static func openingValues(_ facts: ExceptionFacts, id: String, on date: BusinessDate) -> [SQLValue] {
        [.text(id), .text(facts.code.rawValue), .text(facts.severity.rawValue), .text(facts.subject), .text("open")]
            + updatedValues(facts) + [.text(date.description), .text(date.description)]
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
