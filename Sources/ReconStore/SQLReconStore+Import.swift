import Foundation
import ReconCore

/// Orders and licenses exports into the store (SPEC §3.2): staged batch by batch in a
/// temporary table, checked as a set, then upserted, all in one transaction, so memory holds
/// a batch and not the export.
extension SQLReconStore {
    public func importOrders(from source: any ImportRowSource<RenewalOrder>, statusGiven: Bool) async throws
        -> (saved: Int, skippedCompleted: Int) {
        let now = StoreClock.now()
        let result = try await database.transaction { db in
            let columns = ["line", "order_id", "serial", "current_product", "target_product", "years", "amount_minor",
                           "currency", "email", "placed_at", "status"]
            try await Self.stage("import_orders", columns: columns, in: db)
            while let batch = try await source.nextBatch() {
                try await db.insertRows(into: "import_orders", columns: columns, rows: batch.map { line, order in
                    [.integer(Int64(line)), .text(order.orderID), .text(order.serial), .text(order.currentProduct),
                     .text(order.targetProduct), .integer(Int64(order.years)), .integer(order.amount.minorUnits),
                     .text(order.amount.currency.code), .text(order.email), .text(order.placedAt.text),
                     .text(order.status.rawValue)]
                })
            }
            try await Self.refuseBadRows(source.problems, repeatedKey: "order_id", in: "import_orders", db)
            let staged = try await Self.count("SELECT COUNT(*) FROM import_orders", db)
            let completed = try await Self.count("""
                SELECT COUNT(*) FROM import_orders s JOIN orders o ON o.order_id = s.order_id WHERE o.status = 'completed'
                """, db)
            // `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT. An export
            // without the status column says nothing of it: a cancelled order stays cancelled.
            try await db.execute("""
                INSERT INTO orders (order_id, serial, current_product, target_product, years, amount_minor,
                                    currency, email, placed_at, status, updated_at)
                SELECT order_id, serial, current_product, target_product, years, amount_minor,
                       currency, email, placed_at, status, ? FROM import_orders WHERE true
                ON CONFLICT (order_id) DO UPDATE SET serial = excluded.serial,
                    current_product = excluded.current_product, target_product = excluded.target_product,
                    years = excluded.years, amount_minor = excluded.amount_minor, currency = excluded.currency,
                    email = excluded.email, placed_at = excluded.placed_at,
                    status = \(statusGiven ? "excluded.status" : "orders.status"),
                    updated_at = excluded.updated_at
                WHERE orders.status <> 'completed'
                """, .text(now))
            try await db.execute("DELETE FROM import_orders")
            return (saved: staged - completed, skippedCompleted: completed)
        }
        try await refreshStatistics()
        return result
    }

    public func importLicenses(from source: any ImportRowSource<License>, allowEarlier: Bool) async throws -> LicenseImport {
        let now = StoreClock.now()
        let done = try await database.transaction { db in
            let columns = ["line", "serial", "product", "expires_on", "auto_renew", "email"]
            try await Self.stage("import_licenses", columns: columns, in: db)
            while let batch = try await source.nextBatch() {
                try await db.insertRows(into: "import_licenses", columns: columns, rows: batch.map { line, license in
                    [.integer(Int64(line)), .text(license.serial), .text(license.product),
                     .text(license.expiresOn.description), SQLValue(license.autoRenew), .text(license.email)]
                })
            }
            var problems = source.problems
            var done = LicenseImport()
            let earlier = "FROM import_licenses s JOIN licenses l ON l.serial = s.serial WHERE s.expires_on < l.expires_on"
            if !allowEarlier {
                for row in try await db.query("SELECT s.line, s.expires_on, l.expires_on \(earlier)") {
                    problems.append(ImportProblem(line: Int(row.int(0) ?? 0), reason: """
                        expires_on \(row.string(1)) is earlier than the stored \(row.string(2)) \
                        (an older export? use --allow-earlier to accept)
                        """))
                }
            } else {
                // Accepted, and said: such a row may undo a renewal a customer paid for.
                done.movedEarlier = try await Self.count("SELECT COUNT(*) \(earlier)", db)
                done.firstMovedEarlier = try await db.query("""
                    SELECT s.line, s.serial, l.expires_on, s.expires_on,
                           (SELECT x.order_id FROM license_extensions x
                            WHERE x.serial = s.serial AND x.new_expires_on = l.expires_on
                            ORDER BY x.applied_at DESC LIMIT 1)
                    \(earlier) ORDER BY s.line LIMIT \(LicenseImport.named)
                    """).map { row in
                    EarlierExpiry(line: Int(row.int(0) ?? 0), serial: row.string(1), stored: row.string(2),
                                  imported: row.string(3), undoesRenewalOf: row.text(4))
                }
            }
            try await Self.refuseBadRows(problems, repeatedKey: "serial", in: "import_licenses", db)
            done.saved = try await Self.count("SELECT COUNT(*) FROM import_licenses", db)
            try await db.execute("""
                INSERT INTO licenses (serial, product, expires_on, auto_renew, email, updated_at)
                SELECT serial, product, expires_on, auto_renew, email, ? FROM import_licenses WHERE true
                ON CONFLICT (serial) DO UPDATE SET product = excluded.product, expires_on = excluded.expires_on,
                    auto_renew = excluded.auto_renew, email = excluded.email, updated_at = excluded.updated_at
                """, .text(now))
            try await db.execute("DELETE FROM import_licenses")
            return done
        }
        try await refreshStatistics()
        return done
    }

    /// An empty staging table of `columns` (text, but for the integer ones), private to this
    /// connection.
    private static func stage(_ table: String, columns: [String], in db: any SQLConnection) async throws {
        let integers: Set = ["line", "years", "amount_minor", "auto_renew"]
        let definitions = columns.map { "\($0) \(integers.contains($0) ? "BIGINT" : "TEXT") NOT NULL" }
        try await db.execute("CREATE TEMP TABLE IF NOT EXISTS \(table) (\(definitions.joined(separator: ", ")))")
        try await db.execute("DELETE FROM \(table)")
    }

    /// Throws `ImportRowsRefused` (the transaction rolls back) when there are `problems` or a
    /// `key` staged twice; each repeat after the first is a bad row.
    private static func refuseBadRows(_ problems: [ImportProblem], repeatedKey key: String, in table: String,
                                      _ db: any SQLConnection) async throws {
        var problems = problems
        for row in try await db.query("""
            SELECT line, \(key) FROM (
                SELECT line, \(key), ROW_NUMBER() OVER (PARTITION BY \(key) ORDER BY line) AS seen FROM \(table)
            ) repeated WHERE seen > 1
            """) {
            problems.append(ImportProblem(line: Int(row.int(0) ?? 0), reason: "\(key) \(row.string(1)) appears twice in the file"))
        }
        guard problems.isEmpty else {
            throw ImportRowsRefused(problems: problems.sorted { $0.line < $1.line })
        }
    }

    private static func count(_ sql: String, _ db: any SQLConnection) async throws -> Int {
        Int(try await db.query(sql).first?.int(0) ?? 0)
    }
}

/// Rows already in memory, as one batch (lines are their positions, from 1).
final class RowsInMemory<Row: Sendable>: ImportRowSource, @unchecked Sendable {
    private var rows: [(line: Int, row: Row)]?
    let problems: [ImportProblem] = []

    init(_ rows: [Row]) { self.rows = rows.enumerated().map { ($0.offset + 1, $0.element) } }

    func nextBatch() async throws -> [(line: Int, row: Row)]? {
        defer { rows = nil }
        return rows
    }
}
