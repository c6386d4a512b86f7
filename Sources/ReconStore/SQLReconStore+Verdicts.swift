import Foundation
import ReconCore

/// The recording of the rules' outcomes (SPEC §4, rule 9): a run's verdicts, the sweep's
/// exceptions and support decisions, each in one transaction.
extension SQLReconStore {
    public func commit(_ verdicts: [RecordVerdict], on date: BusinessDate, runID: String, pass: EvaluationPass?) async throws {
        try await database.transaction { db in
            try await Self.record(verdicts, on: date, runID: runID, pass: pass, in: db)
        }
    }

    public func commitSweep(raising facts: [ExceptionFacts], resolving: [(exceptionID: String, reason: String)],
                            on date: BusinessDate, runID: String) async throws {
        try await database.transaction { db in
            try await Self.raise(facts, on: date, runID: runID, in: db)
            try await Self.resolve(resolving, on: date, runID: runID, in: db)
        }
    }

    public func recordDecision(_ decision: SupportDecision, on date: BusinessDate, runID: String) async throws {
        try await database.transaction { db in
            switch decision.action {
            case .dismiss:
                try await db.execute("UPDATE exceptions SET status = 'dismissed' WHERE exception_id = ?",
                                     .text(decision.exceptionID))
                try await Self.appendHistory([HistoryEntry(exceptionID: decision.exceptionID, action: "dismissed",
                                                           status: "dismissed", note: decision.note, actor: decision.actor)],
                                             on: date, runID: runID, in: db)
            case .apply(let recordID, let outcome, let attachOrderID):
                if let attachOrderID {
                    try await db.execute("UPDATE settlement_records SET attached_order_id = ? WHERE record_id = ?",
                                         .text(attachOrderID), .text(recordID))
                }
                // The history and the exception's facts say which order the settlement paid (a
                // `missing_reference` named none).
                var action = "resolved"
                if case .applied(let applied, _) = outcome {
                    action = HistoryEntry.applying(to: applied.orderID)
                    try await db.execute("UPDATE exceptions SET order_id = ? WHERE exception_id = ? AND order_id IS NULL",
                                         .text(applied.orderID), .text(decision.exceptionID))
                }
                try await Self.resolve([(decision.exceptionID, decision.note)], on: date, runID: runID,
                                       actor: decision.actor, action: action, in: db)
                try await Self.record([RecordVerdict(recordID: recordID, outcome: outcome)], on: date, runID: runID, in: db)
            }
        }
    }

    /// Records a chunk of verdicts with a handful of set-based statements: states, resolved
    /// exceptions, completed orders, updated licenses, audit, outbox and feed rows; then the
    /// exceptions raised. Verdicts of a run's `pass` are stamped with it; where its holds are
    /// provisional, a held record's exceptions stay as they are (neither raised nor superseded)
    /// until a later pass decides it for good.
    static func record(_ verdicts: [RecordVerdict], on date: BusinessDate, runID: String,
                       pass: EvaluationPass? = nil, in db: any SQLConnection) async throws {
        let provisionalHolds = pass?.provisionalHolds ?? false
        // The records of each new state (and, foreign, the descriptors it is under): by row
        // number where the store gave one, else by id.
        var byState: [RecordState: (rows: [(row: Int64, id: String)], ids: [String])] = [:]
        // Each record's new state, and the codes of the exceptions its verdict still raises.
        var decided: [String: (state: String, keeps: Set<String>)] = [:]
        var raising: [ExceptionFacts] = []
        var applied: [LicenseExtension] = []
        for verdict in verdicts {
            let decision: (state: String, keeps: Set<String>)
            var foreignUnder: String?
            switch verdict.outcome {
            case .foreign(let descriptors):
                decision = ("foreign", [])
                foreignUnder = descriptors
            case .held(let facts):
                decision = ("held", [facts.code.rawValue])
                if !provisionalHolds { raising.append(facts) }
            case .applied(let extensionRecord, let warnings):
                decision = ("matched", Set(warnings.map(\.code.rawValue)))
                applied.append(extensionRecord)
                raising += warnings
            }
            let state = RecordState(state: decision.state, foreignUnder: foreignUnder, pass: pass?.number)
            if let row = verdict.storeRow {
                byState[state, default: ([], [])].rows.append((row, verdict.recordID))
            } else {
                byState[state, default: ([], [])].ids.append(verdict.recordID)
            }
            decided[verdict.recordID] = decision
        }
        for (state, records) in byState.sorted(by: { $0.key.state < $1.key.state }) {
            try await setState(state, rows: records.rows, ids: records.ids, in: db)
        }
        // Exceptions the new verdicts supersede: open ones, and dismissed ones, which stay
        // dismissed only while their facts stand (SPEC §4, lifecycle).
        let reasons = ["foreign": "foreign under the current descriptors", "held": "superseded", "matched": "applied"]
        var superseded: [(exceptionID: String, reason: String)] = []
        try await db.forEachChunk(verdicts.map(\.recordID)) { marks, values in
            for row in try await db.query("""
                SELECT exception_id, record_id, code FROM exceptions
                WHERE status IN \(RowMapping.standingStatusList) AND record_id IN (\(marks))
                """, values) {
                let decision = decided[row.string(1)]
                guard !(decision?.keeps.contains(row.string(2)) ?? false),
                      !(provisionalHolds && decision?.state == "held") else { continue }
                superseded.append((row.string(0), decision.flatMap { reasons[$0.state] } ?? "superseded"))
            }
        }
        try await resolve(superseded, on: date, runID: runID, in: db)
        if !applied.isEmpty { try await store(applied, on: date, in: db) }
        try await raise(raising, on: date, runID: runID, in: db)
    }

    /// A record's state as stored: `foreignUnder` is the fingerprint of the descriptors a
    /// foreign record is foreign under (nil for every other state); `pass`, the number of the
    /// run's pass that decided it (nil outside a run's passes).
    private struct RecordState: Hashable {
        var state: String
        var foreignUnder: String?
        var pass: Int64?

        static let columns = "state = ?, foreign_under = ?, decided_in_pass = ?"
        var values: [SQLValue] { [.text(state), SQLValue(foreignUnder), SQLValue(pass)] }
    }

    /// Sets the state of records named by row number (only SQLite gives them) and by id.
    private static func setState(_ state: RecordState, rows: [(row: Int64, id: String)], ids: [String],
                                 in db: any SQLConnection) async throws {
        var byID = ids
        try await db.forEachChunk(of: rows.sorted { $0.row < $1.row }) { chunk, marks in
            // Each row is checked against its id (`+`: as a filter, not through the id's index).
            // A row renumbered since the queue read it (a VACUUM by another connection) is left
            // alone, and fewer rows change than were named: the chunk then goes by id.
            try await db.execute("""
                UPDATE settlement_records SET \(RecordState.columns)
                WHERE \(RecordRowKey.rowNumber.column) IN (\(marks)) AND +record_id IN (\(marks))
                """, state.values + chunk.map { .integer($0.row) } + chunk.map { .text($0.id) })
            if try await db.query("SELECT changes()", []).first?.int(0) != Int64(chunk.count) {
                byID += chunk.map(\.id)
            }
        }
        try await db.forEachChunk(byID) { marks, values in
            try await db.execute("UPDATE settlement_records SET \(RecordState.columns) WHERE record_id IN (\(marks))",
                                 state.values + values)
        }
    }

    /// Rule 9's writes for a chunk of applies, given in the order they applied: orders
    /// completed, licenses updated (to the last extension of each serial), audit, outbox and
    /// feed rows, and their date among those whose files lack rows.
    private static func store(_ applied: [LicenseExtension], on date: BusinessDate, in db: any SQLConnection) async throws {
        let now = StoreClock.now()
        // In key order, so each statement walks the tables and indexes forward, from one page to
        // the next. (`String`'s order: for ids in NFC it is the bytes', and it only needs to be
        // near them; comparing bytes cost a second a night in these sorts of large values.)
        let byOrder = applied.sorted { $0.orderID < $1.orderID }
        let orderIDs = byOrder.map(\.orderID)
        try await db.forEachChunk(orderIDs) { marks, values in
            try await db.execute("UPDATE orders SET status = 'completed', updated_at = ? WHERE order_id IN (\(marks))",
                                 [.text(now)] + values)
        }
        // Each serial's last extension in the order of the applies, not of the order ids.
        var last: [ExactID: LicenseExtension] = [:]
        for item in applied { last[ExactID(item.serial)] = item }
        let finals = last.values.sorted { $0.serial < $1.serial }
        // One statement per 200 licenses, joined to a VALUES list (each row finds its license by key).
        try await db.forEachChunk(of: finals, size: 200, mark: "(?, ?, ?)") { chunk, rows in
            try await db.execute("""
                UPDATE licenses SET expires_on = v.column2, product = v.column3, updated_at = ?
                FROM (VALUES \(rows)) AS v WHERE licenses.serial = v.column1
                """, [.text(now)] + chunk.flatMap { [SQLValue.text($0.serial), .text($0.newExpiresOn.description), .text($0.product)] })
        }
        try await db.insertRows(into: "license_extensions", columns: RowMapping.extensionFieldNames,
                                rows: byOrder.map(RowMapping.extensionValues))
        try await db.forEachChunk(orderIDs) { marks, values in
            try await db.execute("""
                INSERT INTO mail_outbox (order_id, business_date, recipient)
                SELECT order_id, ?, email FROM orders WHERE order_id IN (\(marks))
                """, [.text(date.description)] + values)
        }
        try await db.insertRows(into: "license_feed", columns: ["order_id", "business_date"],
                                rows: byOrder.map { [.text($0.orderID), .text(date.description)] })
        try await db.execute("INSERT INTO unwritten_dates (business_date) VALUES (?) ON CONFLICT DO NOTHING", .text(date.description))
    }
}
