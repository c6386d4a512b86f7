import Foundation
import Testing
import ReconCore
import ReconTestSupport
@testable import ReconStore

@Suite struct MigrationTests {
    @Test(arguments: TestStore.available)
    func anEmptyStoreMigratesToTheLatestSchema(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        #expect(try await store.schemaStatus() == SchemaStatus(applied: 0, latest: Migrations.latest))
        #expect(try await store.migrate() == Migrations.all.count)
        #expect(try await store.schemaStatus().isCurrent)
    }

    @Test(arguments: TestStore.available)
    func migratingAnExistingStoreKeepsItsDataAndRunsNothingTwice(_ kind: TestStore) async throws {
        let (store, location) = try await kind.makeEmpty()
        try await store.migrate()
        let license = License(serial: "TM-1", product: "VBC", expiresOn: BusinessDate(iso: "2027-01-01")!,
                              autoRenew: false, email: "a@example.com")
        try await store.save(orders: [], licenses: [license])
        let reopened = try await kind.reopen(location)
        #expect(try await reopened.migrate() == 0)
        #expect(try await reopened.licenses(serials: ["TM-1"])["TM-1"] == license)
    }

    /// Migration 3 on a store of schema 2 holding a day: nothing is lost, the candidate search
    /// reads only pending orders, and the records are reached by their file; migration 5 then
    /// drops the index of orders by status.
    @Test(arguments: TestStore.available)
    func aFilledStoreOfSchemaTwoMigratesToThree(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        #expect(try await store.migrate(through: 2) == 2)
        let jpy = Currency(code: "JPY")!
        let orders = ["RN-1", "RN-2"].map {
            RenewalOrder(orderID: $0, serial: "TM-1", currentProduct: "VBC", targetProduct: "VBC", years: 1,
                         amount: Money(minorUnits: 5980, currency: jpy), email: "a@example.com",
                         placedAt: Timestamp(iso: "2026-11-15T10:00:00+09:00")!, status: .pending)
        }
        try await store.save(orders: orders, licenses: [])
        try await store.database.transaction { db in
            try await db.execute("UPDATE orders SET status = 'completed' WHERE order_id = 'RN-2'", [])
        }
        #expect(try await store.migrate(through: 3) == 1)
        #expect(try await store.orders(ids: ["RN-1", "RN-2"]).mapValues(\.status) == ["RN-1": .pending, "RN-2": .completed])
        let indexes = try await Self.indexes(of: store, kind)
        #expect(indexes.contains("orders_pending_candidates"))
        #expect(indexes.contains("settlement_records_file"))
        #expect(!indexes.contains("orders_candidates"))
        #expect(!indexes.contains("settlement_records_state"))
        #expect(indexes.contains("orders_status"), "dropped by migration 5, not 3")
        #expect(indexes.contains("license_extensions_pages") == (kind == .postgres), "made on PostgreSQL only, dropped by 6")
        #expect(try await store.migrate() == Migrations.latest - 3)
        let latest = try await Self.indexes(of: store, kind)
        #expect(!latest.contains("orders_status"))
        #expect(!latest.contains("license_extensions_pages"))
    }

    static func indexes(of store: SQLReconStore, _ kind: TestStore) async throws -> [String] {
        try await store.database.read { db in
            try await db.query(kind == .postgres
                ? "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                : "SELECT name FROM sqlite_master WHERE type = 'index'", []).map { $0.string(0) }
        }
    }

    /// Migration 4 gives each extension already applied the booking date of its settlement,
    /// and migration 13 what the settlement paid; an extension whose record is gone gets neither.
    @Test(arguments: TestStore.available)
    func migrationsFourAndThirteenDateAndPriceTheExtensionsAlreadyApplied(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate(through: 3)
        try await store.database.transaction { db in
            try await db.execute("""
                INSERT INTO settlement_files (sha256, name, size_bytes, status, received_on, run_id)
                VALUES ('f1', 'a.xml', 1, 'ingested', '2026-11-17', 'run-1')
                """, [])
            try await db.execute("""
                INSERT INTO settlement_records (record_id, file_sha256, line, ordinal, amount_text, amount_minor, currency,
                    direction, reversal, booked_on, descriptor, state, received_on)
                VALUES ('r1', 'f1', 1, 0, '5900', 5900, 'JPY', 'credit', 0, '2026-11-16', 'RCH*TrendMicro', 'matched', '2026-11-17')
                """, [])
            for (order, record) in [("RN-1", "r1"), ("RN-2", "r-gone")] {
                try await db.execute("""
                    INSERT INTO license_extensions (order_id, serial, record_id, previous_product, product,
                        previous_expires_on, new_expires_on, years, placed_on, applied_on, applied_at, run_id)
                    VALUES (?, 'TM-1', ?, 'VBC', 'VBC', '2026-12-01', '2027-12-01', 1, '2026-11-15', '2026-11-17',
                        '2026-11-17T03:00:00Z', 'run-1')
                    """, [.text(order), .text(record)])
            }
        }
        #expect(try await store.migrate() == Migrations.latest - 3)
        #expect(try await store.schemaStatus().isCurrent)
        let settled = try await store.database.read { db in
            try await db.query("SELECT order_id, settled_on FROM license_extensions ORDER BY order_id", [])
                .map { [$0.string(0), $0.text(1) ?? "NULL"] }
        }
        #expect(settled == [["RN-1", "2026-11-16"], ["RN-2", "NULL"]])
        let paid = try await store.database.read { db in
            try await db.query("\(RowMapping.extensionColumns) ORDER BY x.order_id", []).map { try RowMapping.licenseExtension($0).paid }
        }
        #expect(paid == [Money(minorUnits: 5900, currency: Currency(code: "JPY")!), nil])
    }

    /// Migration 7 keeps the dates whose files lack rows, from the rows' flags it then drops:
    /// a date with a mail or a feed row unwritten is kept, a date wholly written is not.
    @Test(arguments: TestStore.available)
    func migrationSevenKeepsTheDatesStillToWrite(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate(through: 6)
        let rows: [(order: String, date: String, mailWritten: Int64, feedWritten: Int64)] = [
            ("RN-1", "2026-11-17", 1, 1), ("RN-2", "2026-11-18", 0, 1), ("RN-3", "2026-11-18", 1, 1),
            ("RN-4", "2026-11-19", 1, 0), ("RN-5", "2026-11-20", 1, 1),
        ]
        try await store.database.transaction { db in
            for row in rows {
                try await db.execute("""
                    INSERT INTO license_extensions (order_id, serial, record_id, previous_product, product,
                        previous_expires_on, new_expires_on, years, placed_on, applied_on, applied_at, run_id)
                    VALUES (?, 'TM-1', 'r', 'VBC', 'VBC', '2026-12-01', '2027-12-01', 1, '2026-11-15', ?,
                        '2026-11-17T03:00:00Z', 'run-1')
                    """, [.text(row.order), .text(row.date)])
                try await db.execute("INSERT INTO mail_outbox (order_id, business_date, recipient, written) VALUES (?, ?, 'a@example.com', ?)",
                                     [.text(row.order), .text(row.date), .integer(row.mailWritten)])
                try await db.execute("INSERT INTO license_feed (order_id, business_date, written) VALUES (?, ?, ?)",
                                     [.text(row.order), .text(row.date), .integer(row.feedWritten)])
            }
        }
        #expect(try await store.migrate() == Migrations.latest - 6)
        #expect(try await store.datesWithUnwrittenOutputs().map(\.description) == ["2026-11-18", "2026-11-19"])
        try await store.markOutputsWritten(on: BusinessDate(iso: "2026-11-18")!)
        #expect(try await store.datesWithUnwrittenOutputs().map(\.description) == ["2026-11-19"])
        let columns = try await store.database.read { db in
            try await db.query(kind == .postgres
                ? "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'mail_outbox'"
                : "SELECT name FROM pragma_table_info('mail_outbox')", []).map { $0.string(0) }
        }
        #expect(Set(columns) == ["order_id", "business_date", "recipient"])
    }

    /// Migration 12 dates each quarantine stored before it on the date its file was first seen,
    /// and migration 14 keeps it as that file's rejection on that date, with its run; a file
    /// ingested has none.
    @Test(arguments: TestStore.available)
    func migrationsTwelveAndFourteenKeepTheQuarantinesStoredBeforeThemOnTheirDates(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate(through: 11)
        try await store.database.transaction { db in
            for (sha, status) in [("aa", "rejected"), ("bb", "ingested")] {
                try await db.execute("""
                    INSERT INTO settlement_files (sha256, name, size_bytes, status, received_on, run_id)
                    VALUES (?, ?, 1, ?, '2026-11-20', 'run-1')
                    """, [.text(sha), .text(sha + ".xml"), .text(status)])
            }
        }
        #expect(try await store.migrate(through: 12) == 1)
        let dated = try await store.database.read { db in
            try await db.query("SELECT sha256, rejected_on FROM settlement_files ORDER BY sha256", []).map { [$0.string(0), $0.text(1) ?? "-"] }
        }
        #expect(dated == [["aa", "2026-11-20"], ["bb", "-"]])
        #expect(try await store.migrate() == Migrations.latest - 12)
        let rejections: [String] = try await store.database.read { db in
            try await db.query("SELECT sha256, name, rejected_on, run_id FROM settlement_file_rejections", []).map { row in
                [row.string(0), row.string(1), row.string(2), row.string(3)].joined(separator: " ")
            }
        }
        #expect(rejections == ["aa aa.xml 2026-11-20 run-1"])
        #expect(try await store.filesReceived(on: BusinessDate(iso: "2026-11-20")!) == 2)
        let facts = try await store.dayFacts(on: BusinessDate(iso: "2026-11-20")!, settlementTimeZone: TimeZone(identifier: "Asia/Tokyo")!)
        let counts: [Int] = [facts.filesIngested, facts.filesQuarantined]
        #expect(counts == [1, 1])
    }

    /// The searches a night repeats a million times, and the day summary's read, each go
    /// through the index made for them.
    @Test(arguments: TestStore.available)
    func theNightsSearchesUseTheirIndexes(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        let byte = store.database.byteCollation
        let searches = [
            ("""
             SELECT order_id FROM orders WHERE status = 'pending' AND currency = 'JPY' AND amount_minor = 5980
             AND placed_at\(byte) >= '2026-11-10' AND placed_at\(byte) < '2026-11-22' ORDER BY placed_at\(byte), order_id\(byte) LIMIT 50
             """, "orders_pending_candidates"),
            (SQLReconStore.recordsOfTheDay.replacingOccurrences(of: "?", with: "'2026-11-20'"), "settlement_records_file"),
            ("SELECT order_id FROM orders WHERE status = 'pending'", "orders_pending_candidates"),
            ("SELECT COUNT(*) FROM license_extensions WHERE applied_on = '2026-11-20'", "license_extensions_applied"),
            ("SELECT record_id FROM settlement_records WHERE \(SQLReconStore.toEvaluate) AND booked_on = '2026-11-19'"
                .replacingOccurrences(of: "?", with: "'0123456789abcdef'"), "settlement_records_booked"),
        ]
        try await store.database.transaction { db in
            if kind == .postgres {
                try await db.execute("SET LOCAL enable_sort = off", [])
                try await db.execute("SET LOCAL enable_seqscan = off", [])
            }
            for (sql, index) in searches {
                let plan = try await db.query((kind == .postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql, [])
                    .map { $0.values.map { value in if case .text(let text) = value { text } else { "" } }.joined(separator: " ") }
                    .joined(separator: "\n")
                #expect(plan.contains(index), "\(sql)\n\(plan)")
                // The order comes from the index, not from a sort (for the searches that ask for one).
                if sql.contains("ORDER BY") {
                    #expect(!plan.contains("Sort") && !plan.contains("TEMP B-TREE"), "\(sql)\n\(plan)")
                }
            }
        }
    }

    /// PostgreSQL sorts `COLLATE "C"` only through an index in that collation: without the
    /// byte-order index every page of a million mails would sort the whole day again.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func byteOrderedPagesWalkAnIndexOnPostgreSQL(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        let byte = store.database.byteCollation
        let pages = [
            ("SELECT order_id FROM mail_outbox WHERE business_date = '2026-11-20' AND order_id\(byte) > 'RN' ORDER BY order_id\(byte) LIMIT 10",
             "mail_outbox_pages"),
        ]
        try await store.database.transaction { db in
            // Forbid sorting: a plan that still sorts has no index in the right order.
            try await db.execute("SET LOCAL enable_sort = off", [])
            try await db.execute("SET LOCAL enable_seqscan = off", [])
            for (sql, index) in pages {
                let plan = try await db.query("EXPLAIN " + sql, []).map { $0.string(0) }.joined(separator: "\n")
                #expect(!plan.contains("Sort"), "\(sql)\n\(plan)")
                #expect(plan.contains(index), "\(sql)\n\(plan)")
            }
        }
    }

    /// An import leaves PostgreSQL's planner knowing the table is filled (`reltuples` is -1
    /// until a table is first analysed, and ANALYZE sets it in the catalog at once).
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func anImportRefreshesThePlannersStatisticsOnPostgreSQL(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        func estimate() async throws -> Int64? {
            try await store.database.read { db in
                try await db.query("SELECT reltuples::bigint FROM pg_class WHERE relname = 'licenses'", []).first?.int(0)
            }
        }
        #expect(try await estimate() == -1)
        let licenses = (1...3).map { License(serial: "TM-\($0)", product: "VBC", expiresOn: BusinessDate(iso: "2027-01-01")!,
                                             autoRenew: false, email: "a@example.com") }
        try await store.save(orders: [], licenses: licenses)
        #expect(try await estimate() == 3)
    }

    @Test func aMissingSQLiteFileIsNotCreatedUnlessAsked() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString).sqlite").path
        #expect(throws: StoreError.self) { try SQLiteDatabase(path: path, create: false) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// A run grows its tables as it goes. A planner that last saw them empty takes a batch
    /// of 500 ids to match a good part of the table, and reads the table whole for each batch
    /// (at a million settlements that was a minute of ingest). Once the run refreshes their
    /// statistics it expects the 500 rows, and at that size looks them up by index.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func aGrownTablesStatisticsAreRefreshedOnPostgreSQL(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        try await store.refreshStatistics()  // as the imports leave it: the day's tables analysed empty
        try await store.database.transaction { db in
            try await db.execute("""
                INSERT INTO settlement_files (sha256, name, size_bytes, status, received_on, run_id)
                VALUES ('f', 'f.xml', 1, 'ingested', '2026-11-20', 'r')
                """, [])
            try await db.execute("""
                INSERT INTO settlement_records (record_id, file_sha256, line, ordinal, transaction_id, order_reference,
                    amount_text, amount_minor, currency, direction, reversal, booked_on, descriptor, state, received_on)
                SELECT 'R' || n, 'f', n, 0, 'TX-' || n, 'RN-' || n, '5980', 5980, 'JPY', 'credit', 0, '2026-11-19',
                    'RCH*TrendMicro', 'open', '2026-11-20'
                FROM generate_series(1, 50000) AS n
                """, [])
            try await db.execute("""
                INSERT INTO license_extensions (order_id, serial, transaction_id, record_id, previous_product, product,
                    previous_expires_on, new_expires_on, years, placed_on, applied_on, applied_at, run_id)
                SELECT 'RN-' || n, 'TM-' || n, 'TX-' || n, 'R' || n, 'VBC', 'VBC', '2026-12-01', '2027-12-01', 1,
                    '2026-11-18', '2026-11-20', '2026-11-20T12:00:00Z', 'r'
                FROM generate_series(1, 50000) AS n
                """, [])
        }
        func plans() async throws -> [String] {
            let ids = (1...500).map { "'TX-\($0 * 97)'" }.joined(separator: ", ")
            let serials = (1...500).map { "'TM-\($0 * 97)'" }.joined(separator: ", ")
            return try await store.database.read { db in
                var plans: [String] = []
                for sql in [SQLReconStore.storedUnderTransactionIDs(ids), "\(RowMapping.extensionColumns) WHERE serial IN (\(serials))"] {
                    plans.append(try await db.query("EXPLAIN " + sql, []).map { $0.string(0) }.joined(separator: "\n"))
                }
                return plans
            }
        }
        /// The rows the plan expects to find.
        func expected(_ plan: String) -> Int {
            guard let range = plan.range(of: #"rows=\d+"#, options: .regularExpression) else { return -1 }
            return Int(plan[range].dropFirst(5)) ?? -1
        }
        for plan in try await plans() { #expect(expected(plan) > 5_000, "\(plan)") }
        try await store.refreshStatistics(of: .records)
        try await store.refreshStatistics(of: .applies)
        for plan in try await plans() { #expect(expected(plan) == 500, "\(plan)") }
    }

    @Test func aStoreFromANewerVersionIsRefused() async throws {
        let (store, _) = try await TestStore.sqlite.makeEmpty()
        try await store.migrate()
        try await store.database.transaction { db in
            try await db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'x')", [])
        }
        await #expect(throws: StoreError.self) { try await store.migrate() }
    }
}

@Suite struct StoreAvailabilityTests {
    @Test func postgresIsTestedWhereRequired() {
        if ProcessInfo.processInfo.environment["RECON_REQUIRE_POSTGRES"] == "1" {
            #expect(TestStore.serverURL != nil, "RECON_REQUIRE_POSTGRES=1 but RECON_TEST_POSTGRES_URL is not set")
            #expect(TestStore.available.contains(.postgres))
        }
    }

    @Test(arguments: TestStore.available)
    func aSecondLockerIsRefusedUntilTheFirstGoes(_ kind: TestStore) async throws {
        let (first, location) = try await kind.makeEmpty()
        #expect(try await first.tryLock())
        #expect(try await first.tryLock(), "the holder may ask again")
        if kind == .postgres {
            let second = try await kind.reopen(location)
            #expect(try await !second.tryLock())
        }
    }

    /// Two stores in two schemas of one PostgreSQL database are two jobs, each with its own lock.
    @Test func postgresStoresInTwoSchemasOfOneDatabaseLockApart() async throws {
        guard TestStore.available.contains(.postgres) else { return }
        let (first, location) = try await TestStore.postgres.makeEmpty()
        let other = try await TestStore.postgres.reopen(location)
        let same = try await TestStore.postgres.reopen(location)
        try await first.database.session().execute("CREATE SCHEMA other", [])
        try await other.database.session().execute("SET search_path TO other", [])
        #expect(try await first.tryLock())
        #expect(try await other.tryLock(), "the store in the other schema")
        #expect(try await !same.tryLock(), "a second job on the first store")
        // With no schema on its path there is no store to lock: the lock is taken, and the
        // store's first statement says what is missing (not "another run holds the lock").
        let nowhere = try await TestStore.postgres.reopen(location)
        try await nowhere.database.session().execute("SET search_path TO missing", [])
        #expect(try await nowhere.tryLock())
        await #expect(throws: StoreError.self) { try await nowhere.migrate() }
        for store in [first, other, same, nowhere] { await store.close() }
    }

    /// A closed store's lock is free at once: the next command of a script, started as the
    /// last one exits, finds it free (without `close`, PostgreSQL frees it only once it has
    /// noticed the connection gone).
    @Test(arguments: TestStore.available)
    func aClosedStoresLockIsFreeAtOnce(_ kind: TestStore) async throws {
        let (first, location) = try await kind.makeEmpty()
        let second = try await kind.reopen(location)
        #expect(try await first.tryLock())
        #expect(try await !second.tryLock())
        await first.close()
        #expect(try await second.tryLock())
        await second.close()
    }
}

@Suite struct SQLSeamTests {
    /// Rows streamed one at a time are the rows a query returns; a row handler that throws
    /// stops the query there, and the connection serves the next statement.
    @Test(arguments: TestStore.available)
    func rowsStreamAsAQueryReturnsThem(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        let licenses = (1...2500).map {
            License(serial: "TM-\(100_000 + $0)", product: "VBC", expiresOn: BusinessDate(iso: "2027-01-01")!,
                    autoRenew: false, email: "a@example.com")
        }
        try await store.save(orders: [], licenses: licenses)
        struct Enough: Error {}
        let sql = "SELECT serial, expires_on, auto_renew FROM licenses ORDER BY serial"
        try await store.database.read { db in
            var streamed: [SQLRow] = []
            try await db.forEachRow(sql, []) { streamed.append($0) }
            #expect(streamed.count == 2500)
            #expect(streamed.map(\.values) == (try await db.query(sql, [])).map(\.values))
            var seen = 0
            await #expect(throws: Enough.self) {
                try await db.forEachRow(sql, []) { _ in
                    seen += 1
                    if seen == 10 { throw Enough() }
                }
            }
            #expect(seen == 10)
            #expect(try await db.query("SELECT COUNT(*) FROM licenses", []).first?.int(0) == 2500)
        }
    }

    /// Every text survives the drivers' fastest insert as given: the characters PostgreSQL's
    /// `COPY` escapes, its own escapes written as text, an empty text beside a NULL.
    @Test(arguments: TestStore.available)
    func insertedTextsAndNullsReadBackExactly(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        let texts = ["tab\there", "back\\slash", "line\nbreak\r\n", "\\N", "\\t", "", "日本語 ＲＮ", "end\\"]
        let given: [[SQLValue]] = texts.enumerated().map { [.integer(Int64($0)), .integer(Int64($0) - 3), .text($1), .null] }
            + [[.integer(99), .null, .null, .text("last")]]
        let read = try await store.database.transaction { db in
            try await db.execute("CREATE TEMP TABLE copy_check (k BIGINT, n BIGINT, t TEXT, u TEXT)", [])
            try await db.insertRows(into: "copy_check", columns: ["k", "n", "t", "u"], rows: given)
            let rows = try await db.query("SELECT k, n, t, u FROM copy_check ORDER BY k", []).map(\.values)
            try await db.execute("DROP TABLE copy_check", [])
            return rows
        }
        #expect(read == given)
    }

    /// Inserted rows read back as given (an empty text stays empty, not NULL), and a row the
    /// table refuses undoes the whole transaction, rows inserted before it included: the SQLite
    /// driver inserts one row a statement, PostgreSQL's copies them all at once.
    @Test(arguments: TestStore.available)
    func insertedRowsReadBackAndARefusedRowUndoesThemAll(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        let columns = ["serial", "product", "expires_on", "auto_renew", "email", "updated_at"]
        func rows(_ range: ClosedRange<Int>, autoRenew: (Int) -> Int64 = { Int64($0 % 2) }) -> [[SQLValue]] {
            range.map { [.text("TM-\(100_000 + $0)"), .text("VBC"), .text("2027-01-01"), .integer(autoRenew($0)),
                         .text($0 % 3 == 0 ? "" : "a\($0)@example.com"), .text("2026-11-20T00:00:00Z")] }
        }
        let given = rows(1...1000)
        try await store.database.transaction { db in try await db.insertRows(into: "licenses", columns: columns, rows: given) }
        let stored = try await store.database.read { db in
            try await db.query("SELECT \(columns.joined(separator: ", ")) FROM licenses ORDER BY serial", []).map(\.values)
        }
        #expect(stored == given)
        let refused = rows(1001...2000, autoRenew: { $0 == 1700 ? 2 : 0 })
        await #expect(throws: (any Error).self) {
            try await store.database.transaction { db in
                try await db.insertRows(into: "licenses", columns: columns, rows: refused)
            }
        }
        #expect(try await store.database.read { db in try await db.query("SELECT COUNT(*) FROM licenses", []) }
            .first?.int(0) == 1000)
    }
}
