import Foundation
import ReconCore
@testable import ReconStore

/// The business tables of SPEC §7 — settlements and their outcomes, orders, licenses,
/// exceptions and their statuses, outbox and feed rows — without run ids and wall-clock times.
enum BusinessState {
    static func dump(_ store: any ReconStore) async throws -> [String] {
        guard let database = (store as? SQLReconStore)?.database else { return [] }
        return try await database.read { db in
            var lines: [String] = []
            for query in [
                "SELECT order_id, status FROM orders ORDER BY order_id",
                "SELECT serial, product, expires_on FROM licenses ORDER BY serial",
                "SELECT sha256, name, status, received_on, records FROM settlement_files ORDER BY sha256",
                "SELECT sha256, name, rejected_on FROM settlement_file_rejections ORDER BY sha256, name, rejected_on",
                "SELECT record_id, state, COALESCE(attached_order_id, '') FROM settlement_records ORDER BY record_id",
                "SELECT exception_id, code, status, first_seen, last_seen FROM exceptions ORDER BY exception_id",
                "SELECT order_id, serial, previous_expires_on, new_expires_on, product, applied_on FROM license_extensions ORDER BY order_id",
                "SELECT order_id, business_date, recipient FROM mail_outbox ORDER BY order_id",
                "SELECT order_id, business_date FROM license_feed ORDER BY order_id",
            ] {
                for row in try await db.query(query, []) {
                    lines.append(row.values.map { "\($0)" }.joined(separator: "|"))
                }
            }
            return lines
        }
    }

    /// The rows left in the evaluation queue; nil where no run has made it.
    static func queueRowsLeft(_ store: any ReconStore) async throws -> Int? {
        guard let database = (store as? SQLReconStore)?.database,
              try await database.tableExists("evaluation_queue") else { return nil }
        return try await database.read { db in
            try await db.query("SELECT COUNT(*) FROM evaluation_queue", []).first?.int(0).map(Int.init)
        }
    }
}
