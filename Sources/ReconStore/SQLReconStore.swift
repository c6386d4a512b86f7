import Foundation
import ReconCore

/// The store, written once in portable SQL over a driver (SQLite now; PostgreSQL through the
/// same `SQLDatabase` seam).
public struct SQLReconStore: ReconStore {
    let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    public func tryLock() async throws -> Bool {
        try await database.tryLock()
    }

    public func close() async {
        await database.close()
    }

    public func schemaStatus() async throws -> SchemaStatus {
        guard try await database.tableExists("schema_migrations") else {
            return SchemaStatus(applied: 0, latest: Migrations.latest)
        }
        let applied = try await database.read { db in
            try await db.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").first?.int(0) ?? 0
        }
        return SchemaStatus(applied: Int(applied), latest: Migrations.latest)
    }

    /// Whether the database holds no table at all, ours or another's: one just created.
    public func holdsNoTables() async throws -> Bool {
        try await database.tableCount() == 0
    }

    @discardableResult
    public func migrate() async throws -> Int {
        try await migrate(through: Migrations.latest)
    }

    /// Throws (exit 64) unless the store is at the schema this version knows: a store of a
    /// later version must not be read or written by this one, and one with migrations pending
    /// waits for `init`.
    public func requireCurrentSchema() async throws {
        let applied = try await schemaStatus().applied
        try Self.refuseNewer(applied)
        guard applied == Migrations.latest else {
            throw StoreError(.notInitialised, """
                the store is at schema \(applied) and \(Migrations.latest - applied) migration(s) are pending; \
                run `renewal-recon init`
                """)
        }
    }

    private static func refuseNewer(_ applied: Int) throws {
        guard applied > Migrations.latest else { return }
        throw StoreError(.notInitialised, """
            the store is at schema \(applied), newer than this version of renewal-recon knows (\(Migrations.latest)); \
            use the version that migrated it
            """)
    }

    /// Applies the migrations after the store's schema up to `version` (the tests build a store
    /// of an earlier release this way), all in one transaction: a store killed while migrating
    /// stays at the schema it had, and a store being created stays empty (`StoreOpener` then
    /// creates it again).
    @discardableResult
    func migrate(through version: Int) async throws -> Int {
        let applied = try await schemaStatus().applied
        try Self.refuseNewer(applied)
        let pending = Migrations.all.filter { $0.version > applied && $0.version <= version }
        let bytes = database.byteCollation
        guard !pending.isEmpty else { return 0 }
        try await database.transaction { db in
            try await db.execute(Migrations.bookkeeping)
            for migration in pending {
                for statement in migration.statements {
                    try await db.execute(statement.replacingOccurrences(of: "{bytes}", with: bytes))
                }
                if !bytes.isEmpty {
                    for statement in migration.byteOrderIndexes {
                        try await db.execute(statement.replacingOccurrences(of: "{bytes}", with: bytes))
                    }
                }
                try await db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                                     .integer(Int64(migration.version)), .text(StoreClock.now()))
            }
        }
        return pending.count
    }

    // MARK: Orders and licenses

    public func orders(ids: [String]) async throws -> [ExactID: RenewalOrder] {
        try await database.read { db in try await Self.orders(ids: ids, in: db) }
    }

    /// The stored orders among `ids`, keyed by their bytes, as the store compares them: two ids
    /// that differ only in how an accent is written are two orders.
    static func orders(ids: some Sequence<String>, in db: any SQLConnection) async throws -> [ExactID: RenewalOrder] {
        var found: [ExactID: RenewalOrder] = [:]
        try await db.forEachChunk(ExactID.distinct(ids)) { marks, values in
            for row in try await db.query("\(RowMapping.orderColumns) WHERE order_id IN (\(marks))", values) {
                let order = try RowMapping.order(row)
                found[ExactID(order.orderID)] = order
            }
        }
        return found
    }

    public func licenses(serials: [String]) async throws -> [ExactID: License] {
        try await database.read { db in
            var found: [ExactID: License] = [:]
            try await db.forEachChunk(ExactID.distinct(serials)) { marks, values in
                for row in try await db.query("\(RowMapping.licenseColumns) WHERE serial IN (\(marks))", values) {
                    let license = try RowMapping.license(row)
                    found[ExactID(license.serial)] = license
                }
            }
            return found
        }
    }

    public func save(orders: [RenewalOrder], licenses: [License]) async throws {
        if !orders.isEmpty { _ = try await importOrders(from: RowsInMemory(orders), statusGiven: true) }
        if !licenses.isEmpty { _ = try await importLicenses(from: RowsInMemory(licenses), allowEarlier: true) }
    }

    // MARK: Runs and overview

    public func refreshStatistics(of growth: StoreGrowth) async throws {
        switch growth {
        case .records: try await database.refreshStatistics(of: ["settlement_records"])
        case .applies: try await database.refreshStatistics(of: ["license_extensions", "exceptions"])
        }
    }

    public func refreshStatistics() async throws {
        try await database.refreshStatistics(of: [
            "orders", "licenses", "settlement_files", "settlement_file_arrivals", "settlement_records", "exceptions",
            "exception_history", "license_extensions", "mail_outbox", "license_feed",
        ])
    }

    public func rehearse<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await database.rehearse(body)
    }

    public func beginRun(id: String, command: String, date: BusinessDate, startedAt: String) async throws {
        try await database.transaction { db in
            try await db.execute("INSERT INTO runs (run_id, command, business_date, started_at) VALUES (?, ?, ?, ?)",
                                 .text(id), .text(command), .text(date.description), .text(startedAt))
        }
    }

    public func finishRun(id: String, finishedAt: String, outcome: String) async throws {
        try await database.transaction { db in
            try await db.execute("UPDATE runs SET finished_at = ?, outcome = ? WHERE run_id = ?",
                                 .text(finishedAt), .text(outcome), .text(id))
        }
    }

    /// The nightly `run`s (`runs` as `alias`) begun after the last one that finished, and not
    /// finished themselves: running now, or killed or failed. Runs never overlap (the job's lock),
    /// and their ids sort as they began, to the millisecond (`ReconJob.runID`), so the last
    /// begun of the finished ones finished last (`finished_at` and `started_at` keep whole
    /// seconds only). A rerun by hand or a support decision also records a run, and must not
    /// make a cron job that stopped look alive.
    static func unfinishedNightlyRuns(_ alias: String, byte: String) -> String {
        """
        \(alias).command = 'run' AND \(alias).finished_at IS NULL
        AND \(alias).run_id\(byte) > COALESCE((SELECT MAX(run_id\(byte)) FROM runs WHERE command = 'run' AND finished_at IS NOT NULL), '')
        """
    }

    /// Each file received (`name`, `received_on`): read on that date, quarantined on that date
    /// (`settlement_file_rejections`), or a known one sent again (`settlement_file_arrivals`).
    static let filesReceived = """
        SELECT name, received_on FROM settlement_files WHERE status = 'ingested'
        UNION ALL SELECT name, rejected_on FROM settlement_file_rejections
        UNION ALL SELECT name, received_on FROM settlement_file_arrivals
        """

    public func filesQuarantinedByUnfinishedRuns(otherThan runID: String) async throws -> [QuarantinedFile] {
        try await database.read { [byte = database.byteCollation] db in
            try await db.query("""
                SELECT q.name, q.run_id, f.reason, f.line, f.col FROM settlement_file_rejections q
                JOIN settlement_files f ON f.sha256 = q.sha256 JOIN runs r ON r.run_id = q.run_id
                WHERE f.status = 'rejected' AND r.run_id <> ? AND \(Self.unfinishedNightlyRuns("r", byte: byte))
                ORDER BY q.run_id\(byte), q.name\(byte)
                """, [.text(runID)]).map { row in
                QuarantinedFile(name: row.string(0), runID: row.string(1), reason: row.string(2),
                                line: row.int(3).map(Int.init), column: row.int(4).map(Int.init))
            }
        }
    }

    public func datesOfUnfinishedRuns(otherThan runID: String) async throws -> [BusinessDate] {
        try await database.read { [byte = database.byteCollation] db in
            try await db.query("""
                SELECT DISTINCT business_date FROM runs r WHERE r.run_id <> ? AND \(Self.unfinishedNightlyRuns("r", byte: byte))
                """, [.text(runID)]).compactMap { BusinessDate(iso: $0.string(0)) }.sorted()
        }
    }

    public func unfinishedRuns(of command: String) async throws -> [(id: String, date: BusinessDate)] {
        try await database.read { [byte = database.byteCollation] db in
            try await db.query("""
                SELECT run_id, business_date FROM runs WHERE command = ? AND finished_at IS NULL ORDER BY run_id\(byte)
                """, [.text(command)]).compactMap { row in BusinessDate(iso: row.string(1)).map { (id: row.string(0), date: $0) } }
        }
    }

    public func overview() async throws -> StoreOverview {
        try await database.read { [byte = database.byteCollation] db in
            let pending = Int(try await db.query("SELECT COUNT(*) FROM orders WHERE status = 'pending'").first?.int(0) ?? 0)
            let open = try await db.query("SELECT code, first_seen FROM exceptions WHERE status = 'open'").compactMap { row in
                ExceptionCode(rawValue: row.string(0)).flatMap { code in
                    BusinessDate(iso: row.string(1)).map { (code: code, firstSeen: $0) }
                }
            }
            // The nightly `run` only (`unfinishedNightlyRuns`); the last begun finished last.
            let run = try await db.query("""
                SELECT run_id, business_date, finished_at FROM runs
                WHERE finished_at IS NOT NULL AND command = 'run' ORDER BY run_id\(byte) DESC LIMIT 1
                """).first.flatMap { row in
                BusinessDate(iso: row.string(1)).map { (id: row.string(0), date: $0, finishedAt: row.string(2)) }
            }
            let unfinished = try await db.query("""
                SELECT run_id, business_date, started_at FROM runs
                WHERE \(Self.unfinishedNightlyRuns("runs", byte: byte)) ORDER BY run_id\(byte) DESC LIMIT 1
                """).first.flatMap { row in
                BusinessDate(iso: row.string(1)).map { (id: row.string(0), date: $0, startedAt: row.string(2)) }
            }
            // A rerun not finished, unless a later one over its dates (or more) finished.
            var reruns: [(id: String, from: BusinessDate, to: BusinessDate, startedAt: String)] = []
            for row in try await db.query("""
                SELECT run_id, command, started_at, CASE WHEN finished_at IS NULL THEN 0 ELSE 1 END FROM runs
                WHERE command LIKE ? ORDER BY run_id\(byte)
                """, [.text(RerunEntry.prefix + "%")]) {
                guard let dates = RerunEntry.dates(of: row.string(1)) else { continue }
                if row.int(3) == 1 {
                    reruns.removeAll { dates.from <= $0.from && $0.to <= dates.to }
                } else {
                    reruns.append((id: row.string(0), from: dates.from, to: dates.to, startedAt: row.string(2)))
                }
            }
            let file = try await db.query("""
                SELECT name, received_on FROM (\(Self.filesReceived)) received
                ORDER BY received_on\(byte) DESC, name\(byte) DESC LIMIT 1
                """).first.flatMap { row in BusinessDate(iso: row.string(1)).map { (name: row.string(0), receivedOn: $0) } }
            return StoreOverview(pendingOrders: pending, openExceptions: open, lastRun: run, unfinishedRun: unfinished,
                                 unfinishedReruns: reruns,
                                 newestFile: file)
        }
    }
}

/// Wall-clock instants the store records (audit and history times), as ISO 8601 UTC.
enum StoreClock {
    static func now() -> String { Date().formatted(.iso8601) }
}

