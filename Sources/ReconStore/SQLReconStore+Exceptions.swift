import Foundation
import ReconCore

/// The exception lifecycle (SPEC §4): one row per code and subject, every change in its history.
extension SQLReconStore {
    /// Raises each of `all` in order, or sees it again: a new exception opens; a resolved one
    /// reopens; an open or dismissed one moves `last_seen`. One raised again with another
    /// severity takes it (a `late_settlement` held, then applied under `late_settlement:
    /// apply`, is a warning from then on). One raised again with other facts (`comparedFacts`:
    /// an order imported again with another amount, date or serial) takes them, and a
    /// dismissed one reopens: a dismissal stands only while its facts do (SPEC §4, lifecycle).
    /// A fact unknown on one side (a refund's order imported after it was raised gives it a
    /// serial) is no change, and is left as it was: the day's summary reads a missing serial
    /// as an order unknown that day. A handful of statements for the whole list (a night holds
    /// tens of thousands of records; on PostgreSQL each statement is a round trip), and one
    /// more for each stored exception whose facts changed; one the list opens is inserted as
    /// the list leaves it.
    static func raise(_ all: [ExceptionFacts], on date: BusinessDate, runID: String, in db: any SQLConnection) async throws {
        guard !all.isEmpty else { return }
        // What is stored of each, then what the list makes of it, in order; and the first
        // facts of each the list opens.
        var before: [String: RaisedState] = [:]
        try await db.forEachChunk(Array(Set(all.map(\.exceptionID))).sorted()) { marks, values in
            for row in try await db.query("""
                SELECT exception_id, status, last_seen, severity, \(writtenFacts.joined(separator: ", "))
                FROM exceptions WHERE exception_id IN (\(marks))
                """, values) {
                before[row.string(0)] = RaisedState(status: row.string(1), lastSeen: BusinessDate(iso: row.string(2)) ?? date,
                                                    severity: row.string(3), facts: Array(row.values.dropFirst(4)))
            }
        }
        var current = before
        var opened: [(id: String, facts: ExceptionFacts)] = []
        var history: [HistoryEntry] = []
        for facts in all {
            let id = facts.exceptionID
            let seen = writtenValues(facts)
            guard var state = current[id] else {
                current[id] = RaisedState(status: "open", lastSeen: date, severity: facts.severity.rawValue, facts: seen)
                opened.append((id, facts))
                history.append(HistoryEntry(exceptionID: id, action: "opened", status: "open"))
                continue
            }
            let changedColumns = comparedFacts.indices.filter { index in
                state.facts[index] != .null && seen[index] != .null && state.facts[index] != seen[index]
            }
            for index in changedColumns { state.facts[index] = seen[index] }
            if changedColumns.contains(where: { ["placed_on", "settled_on"].contains(comparedFacts[$0]) }) {
                state.facts[lagDaysIndex] = seen[lagDaysIndex]
            }
            let note = changedColumns.isEmpty ? nil : "facts changed: " + changedColumns.map { comparedFacts[$0] }.joined(separator: ", ")
            let severity = state.severity
            state.severity = facts.severity.rawValue
            if state.status == "resolved" || (state.status == "dismissed" && note != nil) {
                (state.status, state.lastSeen) = ("open", max(state.lastSeen, date))
                history.append(HistoryEntry(exceptionID: id, action: "reopened", status: "open", note: note))
            } else if note != nil {
                state.lastSeen = max(state.lastSeen, date)
                history.append(HistoryEntry(exceptionID: id, action: "facts changed", status: state.status, note: note))
            } else if date > state.lastSeen {
                state.lastSeen = date
                history.append(HistoryEntry(exceptionID: id, action: "seen", status: state.status))
            }
            if state.severity != severity {
                history.append(HistoryEntry(exceptionID: id, action: HistoryEntry.changingSeverity(to: state.severity), status: state.status))
            }
            current[id] = state
        }
        try await db.insertRows(into: "exceptions", columns: exceptionColumns, rows: opened.compactMap { id, facts in
            current[id].map { openingValues(facts, as: $0, id: id, on: date) }
        })
        // Those whose facts changed are written one by one, the facts that changed only; the
        // others that changed are grouped by what they now read.
        var byState: [[String]: [String]] = [:]
        for (id, was) in before.sorted(by: { $0.key < $1.key }) {
            guard let now = current[id], now != was else { continue }
            let facts = writtenFacts.indices.filter { now.facts[$0] != was.facts[$0] }
            guard facts.isEmpty else {
                try await db.execute("""
                    UPDATE exceptions SET status = ?, last_seen = ?, severity = ?,
                        \(facts.map { "\(writtenFacts[$0]) = ?" }.joined(separator: ", ")) WHERE exception_id = ?
                    """, [.text(now.status), .text(now.lastSeen.description), .text(now.severity)]
                        + facts.map { now.facts[$0] } + [.text(id)])
                continue
            }
            byState[[now.status, now.lastSeen.description, now.severity], default: []].append(id)
        }
        for (state, ids) in byState.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
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
        /// The values of `writtenFacts`.
        var facts: [SQLValue]
    }

    private static let exceptionColumns = ["exception_id", "code", "severity", "subject", "status"]
        + writtenFacts + ["candidates", "file_name", "detail", "first_seen", "last_seen"]

    /// The facts whose change reopens a dismissed exception, and which are written again when
    /// they change. Not among them: `candidates` (those of a `missing_reference` are the ones
    /// computed when it was first raised, SPEC §4), `lag_days` (an overdue order's lag grows
    /// every day; a settlement's is written again with `placed_on` or `settled_on`), and what
    /// describes rather than states a fact: the file's name (the same content sent again under
    /// another) and `detail` (a reader's wording, which a later version may change).
    private static let comparedFacts = [
        "record_id", "order_id", "serial", "transaction_id", "line", "col", "amount_minor",
        "expected_amount_minor", "expected_currency", "currency", "placed_on", "settled_on", "descriptor",
    ]

    /// The columns `raise` writes again when they change: `comparedFacts`, and `lag_days`,
    /// which follows `placed_on` and `settled_on`.
    private static let writtenFacts = comparedFacts + ["lag_days"]
    private static let lagDaysIndex = comparedFacts.count

    private static func writtenValues(_ facts: ExceptionFacts) -> [SQLValue] {
        [
            SQLValue(facts.recordID), SQLValue(facts.orderID), SQLValue(facts.serial), SQLValue(facts.transactionID),
            SQLValue(facts.line), SQLValue(facts.column), SQLValue(facts.amountMinor),
            SQLValue(facts.expectedAmountMinor), SQLValue(facts.expectedCurrency), SQLValue(facts.currency),
            SQLValue(facts.placedOn?.description), SQLValue(facts.settledOn?.description), SQLValue(facts.descriptor),
            SQLValue(facts.lagDays),
        ]
    }

    /// The row of an exception the list opened, as the list left it (`state`): what describes
    /// it (candidates, file, detail) is what it opened with.
    private static func openingValues(_ facts: ExceptionFacts, as state: RaisedState, id: String,
                                      on date: BusinessDate) -> [SQLValue] {
        [.text(id), .text(facts.code.rawValue), .text(state.severity), .text(facts.subject), .text(state.status)]
            + state.facts
            + [.text(facts.candidates.joined(separator: " ")), SQLValue(facts.fileName), SQLValue(facts.detail),
               .text(date.description), .text(state.lastSeen.description)]
    }

    /// Resolves each of `items` (an exception and why), in order; `action` is what the history
    /// says was done.
    static func resolve(_ items: [(exceptionID: String, reason: String)], on date: BusinessDate, runID: String?,
                        actor: String = "renewal-recon", action: String = "resolved", in db: any SQLConnection) async throws {
        try await db.forEachChunk(items.map(\.exceptionID)) { marks, values in
            try await db.execute("UPDATE exceptions SET status = 'resolved' WHERE exception_id IN (\(marks))", values)
        }
        try await appendHistory(items.map { id, reason in
            HistoryEntry(exceptionID: id, action: action, status: "resolved", note: reason, actor: actor)
        }, on: date, runID: runID, in: db)
    }

    /// A change of an exception, as its history keeps it.
    struct HistoryEntry {
        var exceptionID: String
        var action: String
        var status: String
        var note: String?
        var actor = "renewal-recon"

        /// Whether the entry only tells what a run saw (seen again, facts changed, a severity),
        /// the exception's status as it was.
        var observes: Bool { action == "seen" || action == "facts changed" || Self.severity(changedBy: action) != nil }

        /// The action of a change of severity ("severity warning"), and the severity an action
        /// changed to, nil for another action: the one place that spells it (the report of a
        /// date reads its severity back from the history).
        static let severityPrefix = "severity "

        static func changingSeverity(to severity: String) -> String { severityPrefix + severity }

        static func severity(changedBy action: String) -> Severity? {
            action.hasPrefix(severityPrefix) ? Severity(rawValue: String(action.dropFirst(severityPrefix.count))) : nil
        }

        /// The action of a support apply: the order the settlement paid.
        static func applying(to orderID: String) -> String { applyingPrefix + orderID }

        private static let applyingPrefix = "applied to order "

        /// Whether `action` ends the exception (resolved by a run, or a support decision),
        /// rather than telling that a run saw its facts.
        static func decides(_ action: String) -> Bool {
            action == "resolved" || action == "dismissed" || action.hasPrefix(applyingPrefix)
        }
    }

    /// Appends `entries` in order, each numbered after the last of its exception's history and
    /// dated `date` (SPEC §4: a run's entries belong to its D). A date's status is that of its
    /// exception's last entry in date order, then `seq` order, dated then or before. Where the
    /// history holds an entry dated after `date` (a run by hand for a past date, after support
    /// dismissed the exception today):
    /// - an entry that observes keeps `date` and records the status the exception had at the
    ///   end of it, not today's (it used to carry today's "dismissed" into that past date);
    /// - an entry that changes the status is dated as that later entry, so that the history's
    ///   last entry stays the exception's status now.
    static func appendHistory(_ entries: [HistoryEntry], on date: BusinessDate, runID: String?,
                              in db: any SQLConnection) async throws {
        guard !entries.isEmpty else { return }
        let day = date.description
        var next: [String: Int64] = [:]
        var latest: [String: String] = [:]  // the latest date of histories that go past `date`
        try await db.forEachChunk(Array(Set(entries.map(\.exceptionID))).sorted()) { marks, values in
            for row in try await db.query("""
                SELECT exception_id, MAX(seq), MAX(business_date) FROM exception_history
                WHERE exception_id IN (\(marks)) GROUP BY exception_id
                """, values) {
                next[row.string(0)] = (row.int(1) ?? 0) + 1
                if let last = row.text(2), last > day { latest[row.string(0)] = last }
            }
        }
        var statusThen: [String: String] = [:]
        try await db.forEachChunk(latest.keys.sorted()) { marks, values in
            for row in try await db.query("""
                SELECT exception_id, status FROM exception_history WHERE exception_id IN (\(marks)) AND business_date <= ?
                ORDER BY exception_id, business_date, seq
                """, values + [.text(day)]) {
                statusThen[row.string(0)] = row.string(1)  // the last one of each
            }
        }
        var rows: [[SQLValue]] = []
        for entry in entries {
            let seq = next[entry.exceptionID, default: 1]
            next[entry.exceptionID] = seq + 1
            var (dated, status) = (day, entry.status)
            if let later = latest[entry.exceptionID] {
                if entry.observes {
                    status = statusThen[entry.exceptionID] ?? status
                } else {
                    dated = later
                }
            }
            rows.append([.text(entry.exceptionID), .integer(seq), .text(dated), .text(StoreClock.now()),
                         .text(entry.actor), .text(entry.action), .text(status), SQLValue(entry.note), SQLValue(runID)])
        }
        try await db.insertRows(into: "exception_history", columns: [
            "exception_id", "seq", "business_date", "recorded_at", "actor", "action", "status", "note", "run_id",
        ], rows: rows)
    }
}
