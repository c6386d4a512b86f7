import Foundation
import ReconCore

/// What the rules read, and the recording of their outcomes (SPEC §4).
extension SQLReconStore {
    public func ledger() async throws -> Ledger {
        try await database.read { db in
            let orders = try await db.query(RowMapping.orderColumns).map(RowMapping.order)
            let licenses = try await db.query(RowMapping.licenseColumns).map(RowMapping.license)
            let extensions = try await db.query(RowMapping.extensionColumns).map(RowMapping.licenseExtension)
            return Ledger(orders: orders, licenses: licenses, extensions: extensions)
        }
    }

    public func openCandidates() async throws -> [EvaluationCandidate] {
        try await database.read { db in
            try await db.query("\(RowMapping.recordColumns) WHERE r.state IN ('open', 'held', 'foreign')")
                .map(RowMapping.candidate)
        }
    }

    public func namedOrderIDs() async throws -> Set<String> {
        try await database.read { db in
            Set(try await db.query("""
                SELECT DISTINCT COALESCE(attached_order_id, order_reference) FROM settlement_records
                WHERE state <> 'invalid' AND COALESCE(attached_order_id, order_reference) IS NOT NULL
                """).map { $0.string(0) })
        }
    }

    public func commit(_ outcomes: [(recordID: String, outcome: RecordOutcome)], on date: BusinessDate,
                       runID: String) async throws {
        try await database.transaction { db in
            for (recordID, outcome) in outcomes {
                try await Self.record(outcome, recordID: recordID, on: date, runID: runID, in: db)
            }
        }
    }

    public func commitSweep(raising facts: [ExceptionFacts], resolving: [(exceptionID: String, reason: String)],
                            on date: BusinessDate, runID: String) async throws {
        try await database.transaction { db in
            for item in facts { try await Self.raise(item, on: date, runID: runID, in: db) }
            for (id, reason) in resolving {
                try await Self.resolve(id, reason: reason, on: date, runID: runID, in: db)
            }
        }
    }

    public func filesReceived(on date: BusinessDate) async throws -> Int {
        try await database.read { db in
            let files = try await db.query("SELECT COUNT(*) FROM settlement_files WHERE received_on = ?", .text(date.description))
            let again = try await db.query("SELECT COUNT(*) FROM settlement_file_arrivals WHERE received_on = ?", .text(date.description))
            return Int((files.first?.int(0) ?? 0) + (again.first?.int(0) ?? 0))
        }
    }

    public func openCandidates(bookedOrFirstSeenFrom start: BusinessDate, to end: BusinessDate) async throws -> [EvaluationCandidate] {
        try await database.read { db in
            try await db.query("""
                \(RowMapping.recordColumns)
                WHERE r.state IN ('open', 'held', 'foreign')
                  AND ((r.booked_on >= ? AND r.booked_on <= ?)
                       OR r.record_id IN (SELECT record_id FROM exceptions WHERE record_id IS NOT NULL
                                          AND first_seen >= ? AND first_seen <= ?))
                """, .text(start.description), .text(end.description), .text(start.description), .text(end.description))
                .map(RowMapping.candidate)
        }
    }

    public func recordDecision(_ decision: SupportDecision, on date: BusinessDate, runID: String) async throws {
        try await database.transaction { db in
            switch decision.action {
            case .dismiss:
                try await db.execute("UPDATE exceptions SET status = 'dismissed' WHERE exception_id = ?",
                                     .text(decision.exceptionID))
                try await Self.appendHistory(decision.exceptionID, action: "dismissed", status: "dismissed",
                                             note: decision.note, actor: decision.actor, on: date, runID: runID, in: db)
            case .apply(let recordID, let outcome, let attachOrderID):
                if let attachOrderID {
                    try await db.execute("UPDATE settlement_records SET attached_order_id = ? WHERE record_id = ?",
                                         .text(attachOrderID), .text(recordID))
                }
                try await Self.resolve(decision.exceptionID, reason: decision.note, on: date, runID: runID,
                                       actor: decision.actor, in: db)
                try await Self.record(outcome, recordID: recordID, on: date, runID: runID, in: db)
            }
        }
    }

    static func record(_ outcome: RecordOutcome, recordID: String, on date: BusinessDate, runID: String,
                               in db: any SQLConnection) async throws {
        switch outcome {
        case .foreign:
            try await setState("foreign", recordID: recordID, in: db)
            try await resolveRecordExceptions(recordID: recordID, keeping: [], reason: "foreign under the current descriptors",
                                              on: date, runID: runID, in: db)
        case .held(let facts):
            try await setState("held", recordID: recordID, in: db)
            try await resolveRecordExceptions(recordID: recordID, keeping: [facts.code.rawValue], reason: "superseded",
                                              on: date, runID: runID, in: db)
            try await raise(facts, on: date, runID: runID, in: db)
        case .applied(let applied, let warnings):
            try await setState("matched", recordID: recordID, in: db)
            try await resolveRecordExceptions(recordID: recordID, keeping: Set(warnings.map(\.code.rawValue)),
                                              reason: "applied", on: date, runID: runID, in: db)
            try await store(applied, on: date, in: db)
            for warning in warnings { try await raise(warning, on: date, runID: runID, in: db) }
        }
    }

    private static func setState(_ state: String, recordID: String, in db: any SQLConnection) async throws {
        try await db.execute("UPDATE settlement_records SET state = ? WHERE record_id = ?", .text(state), .text(recordID))
    }

    /// Rule 9's writes: order completed, license updated, audit, outbox and feed rows.
    private static func store(_ applied: LicenseExtension, on date: BusinessDate, in db: any SQLConnection) async throws {
        try await db.execute("UPDATE orders SET status = 'completed', updated_at = ? WHERE order_id = ?",
                             .text(StoreClock.now()), .text(applied.orderID))
        try await db.execute("UPDATE licenses SET expires_on = ?, product = ?, updated_at = ? WHERE serial = ?",
                             .text(applied.newExpiresOn.description), .text(applied.product), .text(StoreClock.now()),
                             .text(applied.serial))
        try await db.execute("""
            INSERT INTO license_extensions (order_id, serial, transaction_id, record_id, previous_product, product,
                previous_expires_on, new_expires_on, years, placed_on, applied_on, applied_at, run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(applied.orderID), .text(applied.serial), SQLValue(applied.transactionID),
                  .text(applied.recordID), .text(applied.previousProduct), .text(applied.product),
                  .text(applied.previousExpiresOn.description), .text(applied.newExpiresOn.description),
                  SQLValue(applied.years), .text(applied.placedOn.description), .text(applied.appliedOn.description),
                  .text(applied.appliedAt.formatted(.iso8601)), .text(applied.runID)])
        try await db.execute("""
            INSERT INTO mail_outbox (order_id, business_date, recipient)
            SELECT order_id, ?, email FROM orders WHERE order_id = ?
            """, .text(date.description), .text(applied.orderID))
        try await db.execute("INSERT INTO license_feed (order_id, business_date) VALUES (?, ?)",
                             .text(applied.orderID), .text(date.description))
    }
}
