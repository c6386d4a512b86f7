import Foundation
import InMemoryLogging
import Logging
import NIOCore
import Testing
import ReconCore
import GRDBSQLite
import ReconTestSupport
@testable import ReconStore

@Suite struct StoreBehaviourTests {
    static let window = RuleSettings().candidateWindow
    /// The default descriptors' fingerprint, under which the tests' records are found foreign.
    static let descriptors = RuleSettings().descriptors.fingerprint
    let jpy = Currency(code: "JPY")!
    let day = BusinessDate(iso: "2026-11-20")!

    func record(_ id: String, ref: String = "RN-1", amount: Int64 = 5980, ordinal: Int = 0) -> SettlementRecord {
        SettlementRecord(transactionID: id, orderReference: ref, amountText: String(amount), currencyCode: "JPY",
                         amount: Money(minorUnits: amount, currency: jpy), direction: .credit, reversal: false,
                         bookedOn: BusinessDate(iso: "2026-11-12"), valueOn: nil,
                         descriptor: "RCH*TrendMicro", line: 10, ordinal: ordinal)
    }

    /// RN-1, pending, for TM-1.
    func pendingOrder(_ orderID: String = "RN-1", target: String = "VBC") -> RenewalOrder {
        RenewalOrder(orderID: orderID, serial: "TM-1", currentProduct: "VBC", targetProduct: target, years: 1,
                     amount: Money(minorUnits: 5980, currency: jpy), email: "a@example.com",
                     placedAt: Timestamp(iso: "2026-11-10T10:00:00+09:00")!, status: .pending)
    }

    /// The license `pendingOrder` renews.
    func renewedLicense() -> License {
        License(serial: "TM-1", product: "VBC", expiresOn: BusinessDate(iso: "2026-12-10")!, autoRenew: false,
                email: "a@example.com")
    }

    func batch(_ records: [SettlementRecord], sha: String = "aa") -> IngestBatch {
        IngestBatch(sha256: sha, name: "f-\(sha).xml", format: "camt.054", version: "001.08", sizeBytes: 100,
                    records: records, skippedStatus: 0, fileExceptions: [])
    }

    /// Both SQLite connections sort and stage in temporary files, not in memory: the reader
    /// sorts a day's feed (a million rows), the session its imports' staging tables and its
    /// large sorts.
    @Test func bothSQLiteConnectionsKeepTemporaryTablesInFiles() async throws {
        let (store, _) = try await TestStore.sqlite.makeEmpty()
        try await store.migrate()
        @Sendable func tempStore(_ db: any SQLConnection) async throws -> Int64? {
            try await db.query("PRAGMA temp_store", []).first?.int(0)
        }
        #expect(try await store.database.read(tempStore) == 1)
        #expect(try await store.database.readCommitted(tempStore) == 1)
    }

    /// SQLite's memory statistics are off from the first store opened: with them on, every
    /// allocation SQLite makes would be counted (under a global lock) and this would not be 0.
    @Test func sqliteCountsNoAllocation() async throws {
        let (store, _) = try await TestStore.sqlite.makeEmpty()
        try await store.migrate()
        _ = try await store.ingest(batch([record("TX-1")]), on: day, runID: "r1")
        #expect(SQLiteDatabase.memoryStatisticsOff)
        #expect(sqlite3_memory_used() == 0)
        #expect(sqlite3_memory_highwater(0) == 0)
    }

    /// A new store has 16 KiB pages; a store made with SQLite's 4 KiB keeps them and works. Both
    /// checkpoint their WAL every 64 MiB.
    @Test func aNewStoreHasSixteenKiBPagesAndAnOlderOneKeepsItsOwn() async throws {
        func pageSize(_ store: SQLReconStore) async throws -> Int64? {
            try await store.database.read { db in try await db.query("PRAGMA page_size", []).first?.int(0) }
        }
        /// The WAL is checkpointed every 64 MiB, whatever the page size.
        func checkpointBytes(_ store: SQLReconStore) async throws -> Int64? {
            let pages = try await store.database.read { db in try await db.query("PRAGMA wal_autocheckpoint", []).first?.int(0) }
            return try await pageSize(store).flatMap { size in pages.map { $0 * size } }
        }
        // A store of this suite opens first, so SQLite is set up as the job sets it up.
        let (fresh, _) = try await TestStore.sqlite.makeEmpty()
        try await fresh.migrate()
        #expect(try await pageSize(fresh) == 16_384)
        #expect(try await checkpointBytes(fresh) == 64 << 20)

        let folder = Scratch.path("recon-store-4k")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("recon.sqlite").path
        var handle: OpaquePointer?
        #expect(sqlite3_open(path, &handle) == SQLITE_OK)
        #expect(sqlite3_exec(handle, "PRAGMA page_size = 4096; CREATE TABLE earlier (x INTEGER)", nil, nil, nil) == SQLITE_OK)
        sqlite3_close(handle)
        let older = SQLReconStore(database: try SQLiteDatabase(path: path, create: false))
        try await older.migrate()
        _ = try await older.ingest(batch([record("TX-1")]), on: day, runID: "r1")
        #expect(try await pageSize(older) == 4_096)
        #expect(try await checkpointBytes(older) == 64 << 20)
        #expect(try await older.openCandidates().count == 1)
    }

    /// Each record without reference gets the pool of its own amount and booking date, whether
    /// another record of the slice read it first or not.
    @Test(arguments: TestStore.available)
    func recordsWithoutReferenceGetThePoolOfTheirAmountAndDate(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        var later = pendingOrder("RN-2")
        later.placedAt = Timestamp(iso: "2026-11-14T10:00:00+09:00")!
        try await store.save(orders: [pendingOrder("RN-1"), later], licenses: [])
        let booked = [("TX-1", "2026-11-12"), ("TX-2", "2026-11-12"), ("TX-3", "2026-11-16")].map { id, date in
            var unreferenced = record(id, ref: "")
            unreferenced.orderReference = nil
            unreferenced.bookedOn = BusinessDate(iso: date)
            return unreferenced
        }
        let ledger = try await store.ledger(for: booked.map { EvaluationCandidate(record: $0, fileName: "a.xml") },
                                            window: Self.window)
        let candidates = booked.map { record in
            ledger.candidates(for: record, amount: record.amount!, bookedOn: record.bookedOn!, settings: RuleSettings())
        }
        #expect(candidates == [["RN-1"], ["RN-1"], ["RN-2"]])
    }

    /// SPEC §4 rule 3: the candidates are pending orders whose lag would be in the window. The
    /// pool is read from a day before the window (for `placed_at` written in another offset),
    /// and 120 never-paid orders of that day, which sort first, must not crowd out RN-UTC (written
    /// in UTC on that day, but placed inside the window in Tokyo) and RN-Z.
    @Test(arguments: TestStore.available)
    func ordersOutsideTheWindowNeverCrowdACandidatePool(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        func order(_ id: String, placed: String) -> RenewalOrder {
            var order = pendingOrder(id)
            order.placedAt = Timestamp(iso: placed)!
            return order
        }
        let neverPaid = (0..<120).map { order(String(format: "RN-OLD-%03d", $0), placed: "2026-11-10T10:00:00+09:00") }
        try await store.save(orders: neverPaid + [order("RN-UTC", placed: "2026-11-10T20:00:00Z"),
                                                  order("RN-Z", placed: "2026-11-12T10:00:00+09:00")], licenses: [])
        var unreferenced = record("TX-1", ref: "")
        unreferenced.orderReference = nil
        unreferenced.bookedOn = BusinessDate(iso: "2026-11-16")
        let ledger = try await store.ledger(for: [EvaluationCandidate(record: unreferenced, fileName: "a.xml")],
                                            window: Self.window)
        #expect(ledger.candidates(for: unreferenced, amount: unreferenced.amount!, bookedOn: unreferenced.bookedOn!,
                                  settings: RuleSettings()) == ["RN-UTC", "RN-Z"])
        #expect(ledger.orders["RN-OLD-000"] == nil)
    }

    @Test(arguments: TestStore.available)
    func aKeyAlreadyStoredIsANoOp(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        let first = try await store.ingest(batch([record("TX-1"), record("TX-1", ordinal: 1)]), on: day, runID: "r1")
        #expect(first.added == 2)
        let again = try await store.ingest(batch([record("TX-1")], sha: "bb"), on: day, runID: "r2")
        #expect(again.added == 0)
        #expect(again.alreadyKnown == 1)
        #expect(try await store.openCandidates().count == 2)
    }

    @Test(arguments: TestStore.available)
    func theEvaluationQueueHoldsADaysRecordsInTheRulesOrder(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        func variant(_ id: String?, ref: String?, amount: Int64?, currency: String = "JPY", direction: Direction = .credit,
                     reversal: Bool = false, ordinal: Int = 0) -> SettlementRecord {
            SettlementRecord(transactionID: id, orderReference: ref, amountText: amount.map(String.init) ?? "x",
                             currencyCode: currency,
                             amount: amount.map { Money(minorUnits: $0, currency: Currency(code: currency)!) },
                             direction: direction, reversal: reversal, bookedOn: BusinessDate(iso: "2026-11-12"),
                             valueOn: nil, descriptor: "RCH*TrendMicro", line: 10, ordinal: ordinal)
        }
        // Every key of SettlementRecord.evaluationOrder, nil before text, and bytes, not a
        // collation ("B" < "a"). Content differing under one transaction id would be a
        // duplicate_settlement, so those variants have none.
        let records = [
            variant("TX-b", ref: "RN-1", amount: 5980), variant("TX-B", ref: "RN-1", amount: 5980),
            variant(nil, ref: "RN-1", amount: 5980), variant(nil, ref: nil, amount: 5980),
            variant("TX-a", ref: nil, amount: 5980), variant("TX-a", ref: "RN-0", amount: 5980),
            variant(nil, ref: "RN-2", amount: nil), variant(nil, ref: "RN-2", amount: 100),
            variant(nil, ref: "RN-2", amount: 100, currency: "EUR"), variant(nil, ref: "RN-2", amount: 100, direction: .debit),
            variant(nil, ref: "RN-2", amount: 100, reversal: true), variant(nil, ref: "RN-2", amount: 100, ordinal: 2),
            variant(nil, ref: "RN-2", amount: 100, ordinal: 1), variant(nil, ref: "RN-2", amount: -5),
            variant("TX-c", ref: "RN-3", amount: 1), variant("TX-c", ref: "RN-3", amount: 1, ordinal: 1),
        ]
        _ = try await store.ingest(batch(records), on: day, runID: "r1")
        let date = BusinessDate(iso: "2026-11-12")!
        let queued = try await store.queueCandidates(bookedOn: date, descriptors: Self.descriptors, finishing: nil)
        #expect(queued == records.count)
        var read: [EvaluationCandidate] = []
        for start in stride(from: 0, to: queued, by: 4) { read += try await store.queuedCandidates(after: start, limit: 4) }
        let expected = try await store.openCandidates().sorted(by: EvaluationCandidate.evaluationOrder)
        #expect(read.map(\.recordID) == expected.map(\.recordID))
        #expect(read.map(\.record) == expected.map(\.record))
        #expect(read.map(\.fileName) == expected.map(\.fileName))
        #expect(read.count == queued)
        #expect(try await store.queueCandidates(bookedOn: day, descriptors: Self.descriptors, finishing: nil) == 0)
    }

    /// A queue left by an older version (without the records' ids) does not stop a run: the
    /// queue is created afresh, with this version's columns.
    @Test(arguments: TestStore.available)
    func aQueueLeftByAnOlderVersionIsReplaced(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        try await store.database.read { db in
            try await db.execute("CREATE TABLE evaluation_queue (position BIGINT PRIMARY KEY, row_key BIGINT NOT NULL)", [])
            try await db.execute("INSERT INTO evaluation_queue VALUES (1, 42)", [])
        }
        _ = try await store.ingest(batch((1...2).map { record("TX-\($0)") }), on: day, runID: "r1")
        let bookedOn = try #require(try await store.candidateBookingDates(descriptors: Self.descriptors).first)
        #expect(try await store.queueCandidates(bookedOn: bookedOn, descriptors: Self.descriptors, finishing: nil) == 2)
        #expect(try await store.queuedCandidates(after: 0, limit: 2).map(\.record.transactionID) == ["TX-1", "TX-2"])
    }

    /// Rows renumbered after the queue was built (a `VACUUM` by another connection) do not
    /// change what it reads: a row number that has come to hold another record, or none, is
    /// seen, and the slice is read through the records' ids, with their new row numbers.
    @Test(arguments: TestStore.available.filter { $0 == .sqlite })
    func theQueueReadsItsRecordsAfterTheirRowsAreRenumbered(_ kind: TestStore) async throws {
        let (store, queued) = try await storeWithSixQueuedRecords(kind)
        let before = try await store.queuedCandidates(after: 0, limit: queued).map(\.recordID)
        #expect(before.count == 6)
        // The first three rows trade places; the last three move past the end of the table.
        try await store.database.read { db in
            try await db.execute("UPDATE settlement_records SET rowid = rowid + 100", [])
            try await db.execute("UPDATE settlement_records SET rowid = (rowid - 100) % 3 + 1 WHERE rowid <= 103", [])
        }
        let rowNumbers = try await Self.rowNumbers(in: store)
        for (start, limit) in [(0, 3), (3, 3), (0, 6)] {
            let read = try await store.queuedCandidates(after: start, limit: limit)
            #expect(read.map(\.recordID) == Array(before[start..<(start + limit)]))
            #expect(read.map(\.storeRow) == read.map { rowNumbers[$0.recordID] })
        }
        let beside = try #require(try await store.committedSlice(after: 0, limit: 6, window: Self.window))
        #expect(beside.candidates.map(\.recordID) == before)
    }

    /// Verdicts reach the records the queue read: through the row numbers it gave them where
    /// the store has row numbers (SQLite), through their ids otherwise, both in one commit; a
    /// row number that has come to hold another record (a `VACUUM` renumbers) changes nothing
    /// but the verdict's own record.
    @Test(arguments: TestStore.available)
    func verdictsAreWrittenToTheRecordsTheQueueRead(_ kind: TestStore) async throws {
        let (store, queued) = try await storeWithSixQueuedRecords(kind)
        let read = try await store.queuedCandidates(after: 0, limit: queued)
        #expect(read.count == 6)
        switch store.database.recordRowKey {
        case .rowNumber:
            let byID = try await Self.rowNumbers(in: store)
            #expect(read.map(\.storeRow) == read.map { byID[$0.recordID] })
        case .recordID:
            #expect(read.allSatisfy { $0.storeRow == nil })
        }
        // Every other record turns foreign; the last of them is named by its id alone.
        var verdicts = stride(from: 0, to: read.count, by: 2).map {
            RecordVerdict(recordID: read[$0].recordID, storeRow: read[$0].storeRow, outcome: .foreign(under: Self.descriptors))
        }
        verdicts[verdicts.count - 1].storeRow = nil
        if store.database.recordRowKey == .rowNumber { verdicts[0].storeRow = read[1].storeRow }
        try await store.commit(verdicts, on: day, runID: "r1")
        let states = try await store.database.read { db in
            try await db.query("SELECT record_id, state FROM settlement_records", [])
                .reduce(into: [String: String]()) { $0[$1.string(0)] = $1.string(1) }
        }
        for (index, candidate) in read.enumerated() {
            #expect(states[candidate.recordID] == (index % 2 == 0 ? "foreign" : "open"))
        }
    }

    /// A commit writes its applies in order-id order, but a license renewed twice in one commit
    /// stands at the extension applied last, not at the one whose order id sorts last.
    @Test(arguments: TestStore.available)
    func aLicenseRenewedTwiceInOneCommitStandsAtTheLastApply(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        try await store.save(orders: [pendingOrder("RN-A", target: "TS-PRM"), pendingOrder("RN-B", target: "TS-STD")],
                             licenses: [renewedLicense()])
        func applied(_ orderID: String, from: (String, String), to: (String, String)) -> RecordVerdict {
            let item = LicenseExtension(
                orderID: orderID, serial: "TM-1", transactionID: "TX-\(orderID)", recordID: "R-\(orderID)",
                previousProduct: from.0, product: to.0, previousExpiresOn: BusinessDate(iso: from.1)!,
                newExpiresOn: BusinessDate(iso: to.1)!, years: 1, appliedOn: day,
                appliedAt: Date(timeIntervalSince1970: 1_795_000_000), placedOn: BusinessDate(iso: "2026-11-10")!,
                settledOn: day, runID: "r1", paid: Money(minorUnits: 5980, currency: Currency(code: "JPY")!))
            return RecordVerdict(recordID: item.recordID, outcome: .applied(item, warnings: []))
        }
        // RN-B applies first, RN-A (which sorts first) on top of it.
        try await store.commit([applied("RN-B", from: ("VBC", "2026-12-10"), to: ("TS-STD", "2027-12-10")),
                                applied("RN-A", from: ("TS-STD", "2027-12-10"), to: ("TS-PRM", "2028-12-10"))],
                               on: day, runID: "r1")
        let stored = try await store.database.read { db in
            try await db.query("SELECT product, expires_on FROM licenses WHERE serial = 'TM-1'", []).first
                .map { "\($0.string(0)) \($0.string(1))" }
        }
        #expect(stored == "TS-PRM 2028-12-10")
        let rows = try await store.database.read { db in
            try await db.query("""
                SELECT (SELECT COUNT(*) FROM license_extensions), (SELECT COUNT(*) FROM mail_outbox),
                       (SELECT COUNT(*) FROM license_feed), (SELECT COUNT(*) FROM orders WHERE status = 'completed')
                """, []).first.map { (0..<4).map($0.int) }
        }
        #expect(rows == [2, 2, 2, 2])
    }

    /// The rules' reads beside a commit (the next slice of the queue and its ledger) see the
    /// last commit, not a transaction still open on the session. A rehearsal has no such
    /// reader, and the reader is lent to one read at a time.
    @Test(arguments: TestStore.available)
    func aCommittedSliceSeesTheLastCommitOnly(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        let order = pendingOrder()
        try await store.save(orders: [order], licenses: [renewedLicense()])
        _ = try await store.ingest(batch([record("TX-1", ref: "RN-1"), record("TX-2", ref: "RN-1")]), on: day, runID: "r1")
        let bookedOn = try #require(try await store.candidateBookingDates(descriptors: Self.descriptors).first)
        #expect(try await store.queueCandidates(bookedOn: bookedOn, descriptors: Self.descriptors, finishing: nil) == 2)
        @Sendable func status() async throws -> OrderStatus? {
            try await store.committedSlice(after: 0, limit: 2, window: Self.window)?.ledger.orders["RN-1"]?.status
        }
        let queued = try await store.queuedCandidates(after: 1, limit: 1)
        let besides = try #require(try await store.committedSlice(after: 1, limit: 1, window: Self.window))
        #expect(besides.candidates.map(\.recordID) == queued.map(\.recordID))
        #expect(besides.candidates.map(\.storeRow) == queued.map(\.storeRow))
        #expect(besides.candidates.map(\.record.transactionID) == ["TX-2"])
        #expect(besides.ledger.licenses["TM-1"] == renewedLicense())
        #expect(try await status() == .pending)
        let seenDuringCommit = try await store.database.transaction { db in
            try await db.execute("UPDATE orders SET status = 'completed' WHERE order_id = ?", .text("RN-1"))
            return try await status()
        }
        #expect(seenDuringCommit == .pending)
        #expect(try await status() == .completed)
        let seenInRehearsal = try await store.rehearse {
            try await store.committedSlice(after: 0, limit: 2, window: Self.window) == nil
        }
        #expect(seenInRehearsal)
        // Emptied once evaluated: a store keeps no queue between runs.
        try await store.emptyQueue()
        #expect(try await store.committedSlice(after: 0, limit: 2, window: Self.window)?.candidates.isEmpty == true)
        // The reader holds one read transaction at a time: a read beside it is refused, and
        // its caller reads on the session instead.
        let nested = try await store.database.readCommitted { _ in
            try await store.database.readCommitted { _ in true }
        }
        #expect(nested == .some(nil))
        #expect(try await store.database.readCommitted { _ in true } == true)
        let aside = try await store.database.readCommitted { _ in try await orderStatusReadAside(store) }
        #expect(aside == "completed")
    }

    /// A SQLite reader that cannot be opened (here the file moved away under the open session)
    /// is given up for the process, with a line in the log: the reads beside a commit answer
    /// nil, also once the file is back, and a read aside runs on the session, which still has
    /// the store open.
    @Test func aSQLiteReaderThatCannotOpenLeavesTheReadsOnTheSession() async throws {
        let (created, path) = try await TestStore.sqlite.makeEmpty()
        await created.database.close()
        let log = InMemoryLogHandler()
        let store = SQLReconStore(database: try SQLiteDatabase(path: path, create: false, logger: Logger(label: "test") { _ in log }))
        try await store.migrate()
        try await store.save(orders: [pendingOrder()], licenses: [])
        let moved = path + ".moved"
        try FileManager.default.moveItem(atPath: path, toPath: moved)
        #expect(try await store.database.readCommitted { _ in true } == nil)
        try FileManager.default.moveItem(atPath: moved, toPath: path)
        #expect(try await store.database.readCommitted { _ in true } == nil)
        expectOneNote("no second connection", in: log, naming: "unable to open database file")
        #expect(try await orderStatusReadAside(store) == "pending")
        // A store opened afresh has its reader.
        await store.database.close()
        let reopened = try await TestStore.sqlite.reopen(path)
        #expect(try await reopened.database.readCommitted(Self.orderStatus) == "pending")
        await reopened.database.close()
    }

    /// A PostgreSQL server that refuses the job a second connection (here a role limited to
    /// one) leaves every read on the session: the reads beside a commit answer nil, once and
    /// for good, with the server's reason in the log, and a read aside runs on the session.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func aStoreWithoutASecondConnectionReadsOnItsSession(_ kind: TestStore) async throws {
        let url = try await TestStore.freshPostgresDatabase()
        var components = try #require(URLComponents(string: url))
        let role = "recon_one_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await asAdministrator(of: url) { db in
            try await db.execute("CREATE ROLE \(role) LOGIN CONNECTION LIMIT 1", [])
            try await db.execute("GRANT ALL ON SCHEMA public TO \(role)", [])
        }
        components.user = role
        let log = InMemoryLogHandler()
        let store = SQLReconStore(database: try await PostgresDatabase.connect(
            url: try #require(components.string), password: nil, logger: Logger(label: "test") { _ in log }))
        try await store.migrate()
        try await store.save(orders: [pendingOrder()], licenses: [])
        _ = try await store.ingest(batch([record("TX-1", ref: "RN-1")]), on: day, runID: "r1")
        let bookedOn = try #require(try await store.candidateBookingDates(descriptors: Self.descriptors).first)
        #expect(try await store.queueCandidates(bookedOn: bookedOn, descriptors: Self.descriptors, finishing: nil) == 1)
        #expect(try await store.committedSlice(after: 0, limit: 1, window: Self.window) == nil)
        #expect(try await store.database.readCommitted { _ in true } == nil)
        expectOneNote("no second connection", in: log, naming: "too many connections for role")
        #expect(try await orderStatusReadAside(store) == "pending")
        #expect(try await store.queuedCandidates(after: 0, limit: 1).map(\.record.transactionID) == ["TX-1"])
        await store.database.close()
    }

    /// A second connection lost during a run (its backend terminated, as a server restart or
    /// an idle timeout would) drops the read it was doing, and says so in the log; reads go on
    /// on the session. A statement on a closed connection is refused, not sent: postgres-nio
    /// can wait forever.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func aLostSecondConnectionLeavesTheReadsOnTheSession(_ kind: TestStore) async throws {
        let url = try await TestStore.freshPostgresDatabase()
        let log = InMemoryLogHandler()
        let store = SQLReconStore(database: try await PostgresDatabase.connect(url: url, password: nil, logger: Logger(label: "test") { _ in log }))
        try await store.migrate()
        try await store.save(orders: [pendingOrder()], licenses: [])
        let readerPID = try #require(try await store.database.readCommitted { db in
            try await db.query("SELECT pg_backend_pid()", []).first?.int(0)
        })
        try await terminate(backend: try #require(readerPID), at: url)
        #expect(try await store.database.readCommitted { db in try await db.query("SELECT 1", []).count } == nil)
        #expect(try await store.database.readCommitted { _ in true } == nil)
        expectOneNote("the second connection was lost", in: log, naming: "lost the PostgreSQL store")
        #expect(try await orderStatusReadAside(store) == "pending")
        // The session lost in turn is the store gone (exit 69), reported, not waited on.
        let sessionPID = try #require(try await store.database.read { db in
            try await db.query("SELECT pg_backend_pid()", []).first?.int(0)
        })
        try await terminate(backend: sessionPID, at: url)
        let postgres = try #require(store.database as? PostgresDatabase)
        let deadline = ContinuousClock.now + .seconds(30)
        while !postgres.sessionIsClosed, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try #require(postgres.sessionIsClosed, "postgres-nio did not see the ended backend close its connection")
        let lost = await #expect(throws: StoreError.self) { try await store.candidateBookingDates(descriptors: Self.descriptors) }
        #expect(lost?.code == .unavailable)
    }

    /// The session's backend ended while a statement runs on it (a restart or a failover) is
    /// the store unavailable (exit 69), however postgres-nio or the server tells it: the
    /// server's "terminating connection due to administrator command" was a store error (70).
    @Test(.timeLimit(.minutes(1)), arguments: TestStore.available.filter { $0 == .postgres })
    func aBackendEndedMidStatementIsTheStoreUnavailable(_ kind: TestStore) async throws {
        let (store, url) = try await migratedPostgresStore(lockTimeout: .seconds(5))
        let pid = try #require(try await store.database.read { db in try await db.query("SELECT pg_backend_pid()", []).first?.int(0) })
        let sleeping = Task { try await store.database.read { db in try await db.execute("SELECT pg_sleep(30)", []) } }
        try await Task.sleep(for: .milliseconds(300))
        try await terminate(backend: pid, at: url)
        let lost = await #expect(throws: StoreError.self) { try await sleeping.value }
        #expect(lost?.code == .unavailable && lost?.message.contains("lost the PostgreSQL store") == true, "\(String(describing: lost))")
        // The next statement, whether postgres-nio has seen the connection close or not.
        let next = await #expect(throws: StoreError.self) { try await store.save(orders: [pendingOrder()], licenses: []) }
        #expect(next?.code == .unavailable, "\(String(describing: next))")
    }

    /// The job's sockets to the server probe a silent connection and give up unacknowledged
    /// data: a server gone without a word (a host powered off, a network cut) ends the job with
    /// exit 69 within about a minute, where it waited for the statement's answer without end.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func theSocketsToTheServerNoticeItGoneWithoutAWord(_ kind: TestStore) async throws {
        let url = try #require(URLComponents(string: try await TestStore.freshPostgresDatabase()))
        let channel = try await PostgresDatabase.openSocket(host: try #require(url.host), port: url.port ?? 5432, timeout: .seconds(5))
        let tcp = SocketOptionLevel(IPPROTO_TCP)
        var options: [SocketOptionValue] = [try await channel.getOption(.socketOption(.so_keepalive)).get()]
        #if os(Linux)
        for name in [TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT] {
            options.append(try await channel.getOption(.socket(tcp, SocketOptionName(name))).get())
        }
        #expect(options.map { Int($0) } == [1, 10, 5, 3, 60_000])
        #else
        #expect(options.map { Int($0) } == [1])
        #endif
        try await channel.close()
        // The store's own connection goes through such a socket: the kernel's table of sockets
        // (`ss`) shows its keepalive timer at the 10 s idle time, where the system's is 2 hours.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ss") else {
            print("note: /usr/bin/ss is missing (Debian's iproute2); the store's own socket is not looked at")
            return
        }
        let database = try await PostgresDatabase.connect(url: try #require(url.string), password: nil, logger: Logger(label: "test"))
        let port = try #require(try await database.read { db in
            try await db.query("SELECT client_port FROM pg_stat_activity WHERE pid = pg_backend_pid()", []).first?.int(0)
        })
        let ss = Process()
        ss.executableURL = URL(fileURLWithPath: "/usr/bin/ss")
        ss.arguments = ["-tnoH", "state", "established"]
        let pipe = Pipe()
        ss.standardOutput = pipe
        try ss.run()
        let table = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ss.waitUntilExit()
        let mine = try #require(table.split(separator: "\n").first { line in
            line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first?.hasSuffix(":\(port)") == true
        }, "\(table)")
        let timer = try #require(mine.firstMatch(of: /timer:\(keepalive,([0-9.]+)(ms|sec|min)/), "\(mine)")
        let seconds = try #require(Double(timer.1)) * ["ms": 0.001, "sec": 1, "min": 60][String(timer.2), default: 0]
        #expect(seconds <= 10, "\(mine)")
        await database.close()
    }

    /// A statement stopped by the server (the role's `statement_timeout`, a cancel, a deadlock
    /// against the shop's writes) is the store unavailable (exit 69): run again, it may pass.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func aStatementTheServerStopsIsTheStoreUnavailable(_ kind: TestStore) async throws {
        let (store, _) = try await migratedPostgresStore(lockTimeout: .seconds(5))
        let stopped = await #expect(throws: StoreError.self) {
            try await store.database.transaction { db in
                try await db.execute("SET LOCAL statement_timeout = 50", [])
                try await db.execute("SELECT pg_sleep(2)", [])
            }
        }
        #expect(stopped?.code == .unavailable && stopped?.message.contains("the statement was stopped") == true,
                "\(String(describing: stopped))")
        await store.database.close()
    }

    /// A server that takes no writes (a replica after a failover) refuses the job's role as the
    /// store unavailable (exit 69), as a SQLite file the job may not write is; it was a store
    /// error (70), which reads as a fault of the job.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func aServerThatTakesNoWritesIsTheStoreUnavailable(_ kind: TestStore) async throws {
        let (store, url) = try await migratedPostgresStore(lockTimeout: .seconds(5))
        await store.database.close()
        let name = try #require(URLComponents(string: url)?.path.dropFirst())
        try await asAdministrator(of: url) { db in
            try await db.execute("ALTER DATABASE \(name) SET default_transaction_read_only = on", [])
        }
        let readOnly = SQLReconStore(database: try await PostgresDatabase.connect(url: url, password: nil, logger: Logger(label: "test")))
        let refused = await #expect(throws: StoreError.self) { try await readOnly.save(orders: [pendingOrder()], licenses: []) }
        #expect(refused?.code == .unavailable && refused?.message.contains("refused the job's role") == true
                && refused?.message.contains("read-only") == true, "\(String(describing: refused))")
        await readOnly.database.close()
    }

    /// A role without rights on the store's tables, or whose search_path names no schema, is
    /// refused as the store unavailable (exit 69), with the server's reason.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func aRoleWithoutRightsOrSchemaIsTheStoreUnavailable(_ kind: TestStore) async throws {
        let (owner, url) = try await migratedPostgresStore(lockTimeout: .seconds(5))
        await owner.database.close()
        let role = "recon_none_" + UUID().uuidString.lowercased().prefix(8)
        try await asAdministrator(of: url) { db in
            try await db.execute("CREATE ROLE \(role) LOGIN", [])
            try await db.execute("GRANT USAGE ON SCHEMA public TO \(role)", [])
        }
        var components = try #require(URLComponents(string: url))
        components.user = role
        func refusal(_ body: (SQLReconStore) async throws -> Void) async throws -> String? {
            let store = SQLReconStore(database: try await PostgresDatabase.connect(url: try #require(components.string), password: nil,
                                                                                    logger: Logger(label: "test")))
            var message: String?
            do {
                try await body(store)
            } catch let error as StoreError where error.code == .unavailable {
                message = error.message
            }
            await store.database.close()
            return message
        }
        let denied = try await refusal { try await $0.save(orders: [pendingOrder()], licenses: []) }
        #expect(denied?.contains("refused the job's role (permission denied for table") == true, "\(String(describing: denied))")
        try await asAdministrator(of: url) { db in try await db.execute("ALTER ROLE \(role) SET search_path = nowhere", []) }
        let nowhere = try await refusal { _ = try await $0.migrate() }
        #expect(nowhere?.contains("refused the job's role (no schema has been selected to create in)") == true,
                "\(String(describing: nowhere))")
    }

    /// A schema that holds another application's tables, on which the job's role has no rights,
    /// is no empty store: the job made its store among them, where it leaves such a schema alone.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func anotherApplicationsTablesTheRoleMayNotReadAreNoEmptyStore(_ kind: TestStore) async throws {
        let url = try await TestStore.freshPostgresDatabase()
        let role = "recon_app_" + UUID().uuidString.lowercased().prefix(8)
        try await asAdministrator(of: url) { db in
            try await db.execute("CREATE TABLE shop_customers (id integer)", [])
            try await db.execute("CREATE ROLE \(role) LOGIN", [])
            try await db.execute("GRANT USAGE, CREATE ON SCHEMA public TO \(role)", [])
        }
        var components = try #require(URLComponents(string: url))
        components.user = role
        let database = try await PostgresDatabase.connect(url: try #require(components.string), password: nil, logger: Logger(label: "test"))
        #expect(try await database.tableCount() == 1)
        #expect(try await database.tableExists("shop_customers"))
        await database.close()
    }

    /// A role that may write the store's tables but not create one in its schema is refused
    /// before a run changes anything (exit 69): the run ingested the night's files, then failed
    /// to make its queue.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func aRoleThatMayNotMakeTheQueueIsRefusedBeforeTheRun(_ kind: TestStore) async throws {
        let (owner, url) = try await migratedPostgresStore(lockTimeout: .seconds(5))
        try await owner.refuseIfTheQueueCannotBeMade()
        await owner.database.close()
        let role = "recon_writer_" + UUID().uuidString.lowercased().prefix(8)
        try await asAdministrator(of: url) { db in
            try await db.execute("CREATE ROLE \(role) LOGIN", [])
            try await db.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC", [])
            try await db.execute("GRANT USAGE ON SCHEMA public TO \(role)", [])
            try await db.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role)", [])
        }
        var components = try #require(URLComponents(string: url))
        components.user = role
        let writer = SQLReconStore(database: try await PostgresDatabase.connect(url: try #require(components.string), password: nil,
                                                                                 logger: Logger(label: "test")))
        let refused = await #expect(throws: StoreError.self) { try await writer.refuseIfTheQueueCannotBeMade() }
        #expect(refused?.code == .unavailable && refused?.message.contains("GRANT CREATE ON SCHEMA public") == true, "\(String(describing: refused))")
        await writer.database.close()
        // With the right, a queue another role left (a run by hand as an administrator) is
        // still one the role may not drop; and a role whose search_path names no schema has
        // nowhere to make it.
        try await asAdministrator(of: url) { db in
            try await db.execute("GRANT CREATE ON SCHEMA public TO \(role)", [])
            try await db.execute("CREATE TABLE evaluation_queue (position BIGINT PRIMARY KEY)", [])
        }
        let granted = SQLReconStore(database: try await PostgresDatabase.connect(url: try #require(components.string), password: nil,
                                                                                  logger: Logger(label: "test")))
        let owned = await #expect(throws: StoreError.self) { try await granted.refuseIfTheQueueCannotBeMade() }
        #expect(owned?.message.contains("public.evaluation_queue belongs to role") == true, "\(String(describing: owned))")
        await granted.database.close()
        try await asAdministrator(of: url) { db in try await db.execute("ALTER ROLE \(role) SET search_path = nowhere", []) }
        let lost = SQLReconStore(database: try await PostgresDatabase.connect(url: try #require(components.string), password: nil,
                                                                               logger: Logger(label: "test")))
        let nowhere = await #expect(throws: StoreError.self) { try await lost.refuseIfTheQueueCannotBeMade() }
        #expect(nowhere?.message.contains("no schema on the role's search_path") == true, "\(String(describing: nowhere))")
        await lost.database.close()
    }

    /// `status`'s newest file is the last by date, then by name compared as bytes, on a
    /// database whose collation sorts otherwise (ICU's en-US puts `a` before `Z`).
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func theNewestFileIsFoundInByteOrderWhateverTheDatabasesCollation(_ kind: TestStore) async throws {
        let url = try await TestStore.freshPostgresDatabase()
        let icu = url.replacingOccurrences(of: "/recon_test_", with: "/recon_icu_")
        let name = try #require(URLComponents(string: icu)?.path.dropFirst())
        try await asAdministrator(of: url) { db in
            try await db.execute("CREATE DATABASE \(name) TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'", [])
        }
        let store = SQLReconStore(database: try await PostgresDatabase.connect(url: icu, password: nil, logger: Logger(label: "test")))
        try await store.migrate()
        for file in ["Z.xml", "a.xml"] {
            try await store.reject(sha256: file, name: file, sizeBytes: 0,
                                   facts: ExceptionFacts(code: .fileRejected, subject: file, fileName: file, detail: "the file is empty"),
                                   on: day, oncePerName: true, inboxFile: nil, runID: "r1")
        }
        let newest = try await store.database.read { db in
            try await db.query("SELECT CASE WHEN 'a' < 'Z' THEN 1 ELSE 0 END", []).first?.int(0)
        }
        #expect(newest == 1, "the database sorts a before Z")
        #expect(try await store.overview().newestFile?.name == "a.xml")
        await store.database.close()
    }

    /// `status` names each rerun not finished, unless a later rerun over its dates, or more,
    /// finished: a rerun of other dates leaves it standing, and so does one over its dates
    /// that finished before it began.
    @Test(arguments: TestStore.available)
    func aStoppedRerunStandsUntilALaterOneOverItsDatesFinishes(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        let reruns: [(id: String, from: String, to: String, finished: Bool)] = [
            ("run-0", "2026-11-01", "2026-11-30", true),
            ("run-1", "2026-11-12", "2026-11-13", false), ("run-2", "2026-11-01", "2026-11-05", false),
            ("run-3", "2026-11-10", "2026-11-15", true), ("run-4", "2026-11-20", "2026-11-20", false),
        ]
        for rerun in reruns {
            let name = RerunEntry.name(from: BusinessDate(iso: rerun.from)!, to: BusinessDate(iso: rerun.to)!)
            try await store.beginRun(id: rerun.id, command: name, date: day, startedAt: "2026-11-20T03:00:00Z")
            if rerun.finished { try await store.finishRun(id: rerun.id, finishedAt: "2026-11-20T03:01:00Z", outcome: "ok") }
        }
        let standing = try await store.overview().unfinishedReruns
        #expect(standing.map(\.id) == ["run-2", "run-4"])
        #expect(standing.map { "\($0.from)..\($0.to)" } == ["2026-11-01..2026-11-05", "2026-11-20..2026-11-20"])
    }

    /// A store of `kind` with six open records of one booking date, queued for evaluation.
    /// A record found foreign keeps the descriptors it was found foreign under: it is queued
    /// again under others only, and under any while it has none (stored by an earlier version).
    /// A record no longer foreign keeps none.
    @Test(arguments: TestStore.available)
    func aForeignRecordIsQueuedAgainOnlyUnderOtherDescriptors(_ kind: TestStore) async throws {
        let (store, queued) = try await storeWithSixQueuedRecords(kind)
        let read = try await store.queuedCandidates(after: 0, limit: queued)
        let other = DescriptorMatcher(descriptors: ["NEWBRAND*SHOP"]).fingerprint
        func held(_ candidate: EvaluationCandidate) -> RecordVerdict {
            RecordVerdict(recordID: candidate.recordID, outcome: .held(ExceptionFacts(
                code: .unknownOrder, severity: .error, subject: candidate.recordID, recordID: candidate.recordID)))
        }
        try await store.commit([
            RecordVerdict(recordID: read[0].recordID, storeRow: read[0].storeRow, outcome: .foreign(under: Self.descriptors)),
            RecordVerdict(recordID: read[1].recordID, outcome: .foreign(under: Self.descriptors)),
            RecordVerdict(recordID: read[2].recordID, storeRow: read[2].storeRow, outcome: .foreign(under: other)),
            held(read[3]),
        ], on: day, runID: "r2")
        let bookedOn = try #require(read.first?.record.bookedOn)
        func queuedIDs(under descriptors: String) async throws -> Set<String> {
            let count = try await store.queueCandidates(bookedOn: bookedOn, descriptors: descriptors, finishing: nil)
            return Set(try await store.queuedCandidates(after: 0, limit: count).map(\.recordID))
        }
        let all = Set(read.map(\.recordID))
        #expect(try await queuedIDs(under: Self.descriptors) == all.subtracting([read[0].recordID, read[1].recordID]))
        #expect(try await queuedIDs(under: other) == all.subtracting([read[2].recordID]))
        #expect(try await store.candidateBookingDates(descriptors: Self.descriptors) == [bookedOn])
        // As an earlier version left it: foreign, under no descriptors known.
        try await store.database.transaction { db in
            try await db.execute("UPDATE settlement_records SET foreign_under = NULL WHERE record_id = ?", [.text(read[0].recordID)])
        }
        #expect(try await queuedIDs(under: Self.descriptors) == all.subtracting([read[1].recordID]))
        // Found ours again: held, with no descriptors kept.
        try await store.commit([held(read[1])], on: day, runID: "r3")
        let kept = try await store.database.read { db in
            try await db.query("SELECT foreign_under FROM settlement_records WHERE record_id = ?", [.text(read[1].recordID)])
                .first?.text(0)
        }
        #expect(kept == nil)
        #expect(try await queuedIDs(under: Self.descriptors) == all)
    }

    /// A run's pass, kept until its passes are finished: the next run finds it unfinished and
    /// queues only the records it has not decided (by row number or by id); after
    /// `finishPasses` it finds none. Each pass begun takes the next number, so a record decided
    /// in an earlier pass is queued again.
    @Test(arguments: TestStore.available)
    func aPassLeftUnfinishedQueuesTheRecordsItHasNotDecided(_ kind: TestStore) async throws {
        let (store, queued) = try await storeWithSixQueuedRecords(kind)
        let read = try await store.queuedCandidates(after: 0, limit: queued)
        let bookedOn = try #require(read.first?.record.bookedOn)
        #expect(try await store.unfinishedPass() == nil)
        let first = try await store.beginPass(round: 1, provisionalHolds: true, on: day)
        #expect(try await store.unfinishedPass() == first)
        try await store.commit([
            RecordVerdict(recordID: read[0].recordID, storeRow: read[0].storeRow, outcome: .held(ExceptionFacts(
                code: .unknownOrder, severity: .error, subject: read[0].recordID, recordID: read[0].recordID))),
            RecordVerdict(recordID: read[1].recordID, outcome: .foreign(under: "other descriptors")),
        ], on: day, runID: "r2", pass: first)
        func queuedIDs(finishing pass: EvaluationPass?) async throws -> [String] {
            let count = try await store.queueCandidates(bookedOn: bookedOn, descriptors: Self.descriptors, finishing: pass)
            return try await store.queuedCandidates(after: 0, limit: count).map(\.recordID)
        }
        let all = read.map(\.recordID)
        #expect(try await queuedIDs(finishing: first) == Array(all.dropFirst(2)))
        #expect(try await queuedIDs(finishing: nil) == all)
        // The held record's exception waits for the next pass: the first pass's holds are provisional.
        #expect(try await store.exceptions(code: nil, status: nil).isEmpty)

        let second = try await store.beginPass(round: 2, provisionalHolds: false, on: day)
        #expect(second.number == first.number + 1)
        #expect(try await store.unfinishedPass() == second)
        #expect(try await queuedIDs(finishing: second) == all)
        try await store.finishPasses()
        #expect(try await store.unfinishedPass() == nil)
    }

    func storeWithSixQueuedRecords(_ kind: TestStore) async throws -> (store: SQLReconStore, queued: Int) {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        _ = try await store.ingest(batch((1...6).map { record("TX-\($0)") }), on: day, runID: "r1")
        let bookedOn = try #require(try await store.candidateBookingDates(descriptors: Self.descriptors).first)
        return (store, try await store.queueCandidates(bookedOn: bookedOn, descriptors: Self.descriptors, finishing: nil))
    }

    /// Each record's SQLite row number, by record id.
    static func rowNumbers(in store: SQLReconStore) async throws -> [String: Int64] {
        try await store.database.read { db in
            try await db.query("SELECT record_id, rowid FROM settlement_records", [])
                .reduce(into: [String: Int64]()) { $0[$1.string(0)] = $1.int(1) }
        }
    }

    /// The status of the store's one order.
    @Sendable static func orderStatus(_ db: any SQLConnection) async throws -> String? {
        try await db.query("SELECT status FROM orders", []).first?.string(0)
    }

    /// The status of the store's one order, read aside (on the reader if one is free, else on
    /// the session).
    func orderStatusReadAside(_ store: SQLReconStore) async throws -> String? {
        try await store.database.readAside(Self.orderStatus)
    }

    /// A table another session keeps locked fails the statement that waits on it, once the job's
    /// lock timeout has passed, as the store unavailable (exit 69): the nightly job does not wait
    /// without end, but for the statistics it refreshes, which skip a table held. Once the lock
    /// is gone, the same write goes through.
    @Test(.timeLimit(.minutes(1)), arguments: TestStore.available.filter { $0 == .postgres })
    func aTableAnotherSessionKeepsLockedIsTheStoreUnavailableAfterTheLockTimeout(_ kind: TestStore) async throws {
        let (store, url) = try await migratedPostgresStore(lockTimeout: .milliseconds(300))
        let other = try await PostgresDatabase.connect(url: url, password: nil, logger: Logger(label: "test"))
        let started = ContinuousClock.now
        try await other.transaction { db in
            try await db.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", [])
            await #expect {
                try await store.save(orders: [pendingOrder()], licenses: [])
            } throws: { isLockTimeout($0) }
            // On the second connection too: the lock ends the job, and the connection is not
            // taken for lost (it reads again once the lock is gone).
            await #expect {
                try await store.database.readCommitted { db in try await db.query("SELECT COUNT(*) FROM orders", []) }
            } throws: { isLockTimeout($0) }
        }
        #expect(ContinuousClock.now - started < .seconds(20))
        // Statistics are refreshed on the tables not held, and the held one is left alone.
        try await other.transaction { db in
            try await db.execute("LOCK TABLE orders IN SHARE UPDATE EXCLUSIVE MODE", [])
            try await store.refreshStatistics()
        }
        await other.close()
        try await store.save(orders: [pendingOrder()], licenses: [])
        #expect(try await store.ledger().orders.count == 1)
        #expect(try await store.database.readCommitted { db in try await db.query("SELECT 1", []).count } == 1)
        await store.database.close()
    }

    /// A new database on the test server, migrated, as a store whose statements wait
    /// `lockTimeout` for another session's locks; and its URL.
    func migratedPostgresStore(lockTimeout: Duration) async throws -> (SQLReconStore, String) {
        let url = try await TestStore.freshPostgresDatabase()
        let store = SQLReconStore(database: try await PostgresDatabase.connect(
            url: url, password: nil, logger: Logger(label: "test"), lockTimeout: lockTimeout))
        try await store.migrate()
        return (store, url)
    }

    /// The store unavailable because another session held a lock past the timeout.
    func isLockTimeout(_ error: any Error) -> Bool {
        (error as? StoreError)?.code == .unavailable && "\(error)".contains("held a lock the job needs")
    }

    /// A backup's `pg_dump` reads every table, the run's queue too, for as long as it runs: the
    /// queue made afresh for a date waits for it past the lock timeout, as it did before there
    /// was one, rather than end the night.
    @Test(.timeLimit(.minutes(1)), arguments: TestStore.available.filter { $0 == .postgres })
    func theQueueWaitsForABackupReadingItPastTheLockTimeout(_ kind: TestStore) async throws {
        let (store, url) = try await migratedPostgresStore(lockTimeout: .milliseconds(200))
        try await store.save(orders: [pendingOrder()], licenses: [])
        _ = try await store.ingest(batch([record("TX-1", ref: "RN-1")]), on: day, runID: "r1")
        let bookedOn = try #require(try await store.candidateBookingDates(descriptors: Self.descriptors).first)
        #expect(try await store.queueCandidates(bookedOn: bookedOn, descriptors: Self.descriptors, finishing: nil) == 1)
        let backup = try await PostgresDatabase.connect(url: url, password: nil, logger: Logger(label: "test"))
        let queued = try await backup.transaction { db in
            try await db.execute("LOCK TABLE evaluation_queue IN ACCESS SHARE MODE", [])
            let queued = Task { try await store.queueCandidates(bookedOn: bookedOn, descriptors: Self.descriptors, finishing: nil) }
            try await Task.sleep(for: .seconds(1))
            return queued
        }
        #expect(try await queued.value == 1)
        // In a dry run, one rehearsed transaction, the timeout holds again once the queue is made.
        await #expect {
            try await store.rehearse {
                _ = try await store.queueCandidates(bookedOn: bookedOn, descriptors: Self.descriptors, finishing: nil)
                try await backup.transaction { db in
                    try await db.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", [])
                    try await store.save(orders: [pendingOrder()], licenses: [])
                }
            }
        } throws: { isLockTimeout($0) }
        await backup.close()
        await store.database.close()
    }

    /// Two stores in two schemas of one database, the second's `search_path` reaching the first's
    /// schema after its own: the second's first run makes a queue of its own and leaves the
    /// first's, which its `DROP` of an unnamed schema used to find along the path.
    @Test(arguments: TestStore.available.filter { $0 == .postgres })
    func aStoreInASecondSchemaLeavesTheFirstStoresQueue(_ kind: TestStore) async throws {
        let url = try await TestStore.freshPostgresDatabase()
        let first = SQLReconStore(database: try await PostgresDatabase.connect(url: url, password: nil, logger: Logger(label: "test")))
        try await first.migrate()
        try await first.save(orders: [pendingOrder()], licenses: [])
        _ = try await first.ingest(batch([record("TX-1", ref: "RN-1")]), on: day, runID: "r1")
        let bookedOn = try #require(try await first.candidateBookingDates(descriptors: Self.descriptors).first)
        #expect(try await first.queueCandidates(bookedOn: bookedOn, descriptors: Self.descriptors, finishing: nil) == 1)
        let second = SQLReconStore(database: try await PostgresDatabase.connect(url: url, password: nil, logger: Logger(label: "test")))
        try await second.database.session().execute("CREATE SCHEMA other", [])
        try await second.database.session().execute("SET search_path TO other, public", [])
        try await second.migrate()
        #expect(try await second.queueCandidates(bookedOn: bookedOn, descriptors: Self.descriptors, finishing: nil) == 0)
        #expect(try await first.queuedCandidates(after: 0, limit: 10).map(\.record.transactionID) == ["TX-1"])
        await first.database.close()
        await second.database.close()
    }

    /// The log says `note` once (why reads stay on the session), with the store's reason.
    func expectOneNote(_ note: String, in log: InMemoryLogHandler, naming reason: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let notes = log.entries.filter { $0.message.description == "reads on the session: " + note }
        #expect(notes.count == 1, "\(log.entries.map(\.message))", sourceLocation: sourceLocation)
        #expect(notes.first?.metadata["error"].map { "\($0)".contains(reason) } == true, "\(notes.map(\.metadata))",
                sourceLocation: sourceLocation)
    }

    /// Ends a server backend, as a restart or an administrator would.
    func terminate(backend pid: Int64, at url: String) async throws {
        try await asAdministrator(of: url) { db in
            try await db.execute("SELECT pg_terminate_backend(CAST(? AS integer))", [.integer(pid)])
        }
    }

    /// Runs `body` on a connection of the test server's own user to the database at `url`.
    func asAdministrator(of url: String, _ body: @Sendable (any SQLConnection) async throws -> Void) async throws {
        let admin = try await PostgresDatabase.connect(url: url, password: nil, logger: Logger(label: "test"))
        try await admin.read(body)
        await admin.close()
    }

    @Test(arguments: TestStore.available)
    func sameIDAndReferenceWithOtherContentIsADuplicateSettlement(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        _ = try await store.ingest(batch([record("TX-1")]), on: day, runID: "r1")
        let corrected = try await store.ingest(batch([record("TX-1", amount: 6980)], sha: "bb"), on: day, runID: "r2")
        #expect(corrected.duplicates == 1)
        let report = try await store.exceptionReport(on: day)
        #expect(report.map(\.facts.code) == [.duplicateSettlement])
        #expect(try await store.openCandidates().count == 1)
    }

    @Test(arguments: TestStore.available)
    func aCompletedOrderIsNeverOverwrittenByAnUpsert(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        var order = pendingOrder()
        try await store.save(orders: [order], licenses: [])
        try await store.database.transaction { db in
            try await db.execute("UPDATE orders SET status = 'completed' WHERE order_id = 'RN-1'", [])
        }
        order.status = .cancelled
        try await store.save(orders: [order], licenses: [])
        #expect(try await store.orders(ids: ["RN-1"])["RN-1"]?.status == .completed)
    }

    /// A list raised at once reads as each raised in turn: a new exception opens once however
    /// often the list names it, a resolved one reopens, a dismissed or open one seen on a later
    /// date moves its last sighting, and each change continues its own history.
    @Test(arguments: TestStore.available)
    func raisingAListIsRaisingEachInTurn(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        func facts(_ subject: String) -> ExceptionFacts {
            ExceptionFacts(code: .unknownOrder, severity: .error, subject: subject, orderID: "RN-\(subject)")
        }
        let (resolved, dismissed, open, new) = (facts("A"), facts("B"), facts("C"), facts("N"))
        try await store.database.transaction { db in
            try await SQLReconStore.raise([resolved, dismissed], on: day.adding(days: -2), runID: "r0", in: db)
            try await SQLReconStore.resolve([(resolved.exceptionID, "applied")], on: day.adding(days: -2), runID: "r0", in: db)
            try await db.execute("UPDATE exceptions SET status = 'dismissed' WHERE exception_id = ?", [.text(dismissed.exceptionID)])
            try await SQLReconStore.appendHistory([.init(exceptionID: dismissed.exceptionID, action: "dismissed",
                                                         status: "dismissed", actor: "support")],
                                                  on: day.adding(days: -2), runID: nil, in: db)
            try await SQLReconStore.raise([open], on: day.adding(days: -1), runID: "r1", in: db)
        }
        try await store.database.transaction { db in
            try await SQLReconStore.raise([resolved, dismissed, open, new, new, resolved, open], on: day, runID: "r2", in: db)
        }
        let rows = try await store.database.read { db in
            try await db.query("SELECT exception_id, status, first_seen, last_seen FROM exceptions ORDER BY exception_id", [])
                .map { [$0.string(0), $0.string(1), $0.string(2), $0.string(3)] }
        }
        let d = day.description, before = day.adding(days: -2).description
        #expect(Set(rows) == [
            [resolved.exceptionID, "open", before, d], [dismissed.exceptionID, "dismissed", before, d],
            [open.exceptionID, "open", day.adding(days: -1).description, d], [new.exceptionID, "open", d, d],
        ])
        let history = try await store.database.read { db in
            try await db.query("SELECT exception_id, seq, action, status, business_date FROM exception_history ORDER BY exception_id, seq", [])
                .map { "\($0.string(0)) \($0.int(1) ?? 0) \($0.string(2)) \($0.string(3)) \($0.string(4))" }
        }
        let y = day.adding(days: -1).description
        #expect(history == [
            "\(resolved.exceptionID) 1 opened open \(before)", "\(resolved.exceptionID) 2 resolved resolved \(before)",
            "\(resolved.exceptionID) 3 reopened open \(d)",
            "\(dismissed.exceptionID) 1 opened open \(before)", "\(dismissed.exceptionID) 2 dismissed dismissed \(before)",
            "\(dismissed.exceptionID) 3 seen dismissed \(d)",
            "\(open.exceptionID) 1 opened open \(y)", "\(open.exceptionID) 2 seen open \(d)",
            "\(new.exceptionID) 1 opened open \(d)",
        ].sorted())
        // Resolving a list continues each history the same way.
        try await store.database.transaction { db in
            try await SQLReconStore.resolve([(open.exceptionID, "applied"), (new.exceptionID, "applied")], on: day, runID: "r3", in: db)
        }
        let resolutions = try await store.database.read { db in
            try await db.query("SELECT exception_id, seq, note FROM exception_history WHERE action = 'resolved' AND run_id = 'r3' ORDER BY seq", [])
                .map { "\($0.string(0)) \($0.int(1) ?? 0) \($0.string(2))" }
        }
        #expect(resolutions == ["\(new.exceptionID) 2 applied", "\(open.exceptionID) 3 applied"])
        #expect(try await store.exceptions(code: .unknownOrder, status: "resolved").map(\.exceptionID).sorted()
            == [open.exceptionID, new.exceptionID].sorted())
    }

    /// Facts seen again otherwise are taken, with the columns that changed in the history: an
    /// open exception stays open, a dismissed one reopens; only the facts that changed are
    /// written (a `missing_reference`'s candidates stay those of its first sighting), and the
    /// lag with a date it follows from. Other candidates, another lag alone, another file name
    /// or wording, or a fact unknown on either side change nothing. A list naming a new
    /// exception twice opens it once, with the facts it is last seen with.
    @Test(arguments: TestStore.available)
    func factsSeenAgainOtherwiseAreTaken(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        @Sendable func facts(_ subject: String, expected: Int64 = 5980, serial: String? = "TM-1", lag: Int = 2,
                             placed: String = "2026-11-10", candidates: [String] = [], file: String = "a.xml",
                             detail: String = "short by 80") -> ExceptionFacts {
            ExceptionFacts(code: .amountMismatch, subject: subject, orderID: "RN-\(subject)", serial: serial, fileName: file,
                           amountMinor: 5900, expectedAmountMinor: expected, currency: "JPY",
                           placedOn: BusinessDate(iso: placed), lagDays: lag, candidates: candidates, detail: detail)
        }
        let before = day.adding(days: -1)
        try await store.database.transaction { db in
            try await SQLReconStore.raise([facts("O"), facts("D"), facts("S"), facts("U", serial: nil), facts("K"), facts("P"),
                                           facts("X", candidates: ["RN-A"])],
                                          on: before, runID: "r0", in: db)
            try await db.execute("UPDATE exceptions SET status = 'dismissed' WHERE exception_id IN (?, ?)",
                                 [.text(facts("D").exceptionID), .text(facts("S").exceptionID)])
        }
        try await store.database.transaction { db in
            try await SQLReconStore.raise([
                facts("O", expected: 6200, candidates: ["RN-X"]), facts("D", serial: "TM-2"),
                facts("S", lag: 3, candidates: ["RN-X"], file: "b.xml", detail: "80 short"), facts("U"), facts("K", serial: nil),
                facts("P", lag: 4, placed: "2026-11-08"), facts("N"), facts("N", expected: 6100),
                facts("M"), facts("M", lag: 5, placed: "2026-11-07"),
                facts("X", expected: 6200, serial: nil, lag: 9, candidates: ["RN-B"]),
            ], on: day, runID: "r1", in: db)
        }
        let rows = try await store.database.read { db in
            try await db.query("""
                SELECT subject, status, expected_amount_minor, serial, lag_days, candidates, placed_on, last_seen
                FROM exceptions ORDER BY subject
                """, []).map { $0.values.map { $0 == .null ? "-" : SQLRow(values: [$0]).string(0) } }
        }
        let d = day.description
        #expect(rows == [
            ["D", "open", "5980", "TM-2", "2", "", "2026-11-10", d],
            ["K", "open", "5980", "TM-1", "2", "", "2026-11-10", d],
            ["M", "open", "5980", "TM-1", "5", "", "2026-11-07", d],
            ["N", "open", "6100", "TM-1", "2", "", "2026-11-10", d],
            ["O", "open", "6200", "TM-1", "2", "", "2026-11-10", d],
            ["P", "open", "5980", "TM-1", "4", "", "2026-11-08", d],
            ["S", "dismissed", "5980", "TM-1", "2", "", "2026-11-10", d],
            ["U", "open", "5980", "-", "2", "", "2026-11-10", d],
            ["X", "open", "6200", "TM-1", "2", "RN-A", "2026-11-10", d],
        ])
        let history = try await store.database.read { db in
            try await db.query("""
                SELECT e.subject, h.action, h.status, COALESCE(h.note, '') FROM exception_history h
                JOIN exceptions e ON e.exception_id = h.exception_id WHERE h.business_date = ? ORDER BY e.subject, h.seq
                """, [.text(d)]).map { "\($0.string(0)) \($0.string(1)) \($0.string(2)) \($0.string(3))" }
        }
        #expect(history == [
            "D reopened open facts changed: serial", "K seen open ",
            "M opened open ", "M facts changed open facts changed: placed_on",
            "N opened open ", "N facts changed open facts changed: expected_amount_minor",
            "O facts changed open facts changed: expected_amount_minor",
            "P facts changed open facts changed: placed_on",
            "S seen dismissed ", "U seen open ", "X facts changed open facts changed: expected_amount_minor",
        ])
    }

    /// The report read a page at a time from SQL is the Swift rule applied to everything stored:
    /// first seen by the date, open at its end or changed on it, in report order (bytes, not
    /// collation; absent ids as empty), each marked when it is about a record the date received.
    @Test(arguments: TestStore.available)
    func theExceptionReportPagesInReportOrder(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        let previous = day.adding(days: -1)
        _ = try await store.ingest(batch([record("TX-today")]), on: day, runID: "r1")
        _ = try await store.ingest(batch([record("TX-before")], sha: "bb"), on: previous, runID: "r0")
        let today = record("TX-today").recordID, before = record("TX-before").recordID
        try await store.database.transaction { db in
            try await db.execute("DELETE FROM exception_history", [])
            try await db.execute("DELETE FROM exceptions", [])
        }
        let codes = ["unknown_order", "amount_mismatch", "late_settlement"]
        let orderIDs: [String?] = [nil, "", "RN-b", "RN-B", "RN-\u{e9}", "RN-Z"]
        let transactionIDs: [String?] = [nil, "a", "B"]
        // (first seen, history as (date, action, status)) by kind; the last two are left out.
        let histories: [(firstSeen: BusinessDate, entries: [(BusinessDate, String, String)])] = [
            (day, [(day, "raised", "open")]),
            (previous, [(previous, "raised", "open"), (day, "seen", "open")]),
            (previous, [(previous, "raised", "open"), (day, "resolved", "resolved")]),
            (previous, [(previous, "raised", "open"), (previous, "dismissed", "dismissed")]),
            (day.adding(days: 1), [(day.adding(days: 1), "raised", "open")]),
        ]
        var expected: [ExceptionReportEntry] = []
        var number = 0
        for code in codes {
            for orderID in orderIDs {
                for transactionID in transactionIDs {
                    number += 1
                    let shape = number % histories.count
                    let history = histories[shape]
                    let recordID = number % 3 == 0 ? today : number % 3 == 1 ? before : nil
                    let id = String(format: "EX-%03d", (number * 37) % 200)
                    try await store.database.transaction { db in
                        try await db.execute("""
                            INSERT INTO exceptions (exception_id, code, severity, subject, status, record_id, order_id,
                                                    transaction_id, first_seen, last_seen)
                            VALUES (?, ?, 'error', 'test', 'open', ?, ?, ?, ?, ?)
                            """, [.text(id), .text(code), recordID.map(SQLValue.text) ?? .null,
                                  orderID.map(SQLValue.text) ?? .null, transactionID.map(SQLValue.text) ?? .null,
                                  .text(history.firstSeen.description), .text(history.firstSeen.description)])
                        for (seq, entry) in history.entries.enumerated() {
                            try await db.execute("""
                                INSERT INTO exception_history (exception_id, seq, business_date, recorded_at, actor, action, status)
                                VALUES (?, ?, ?, '2026-11-20T00:00:00Z', 'test', ?, ?)
                                """, [.text(id), .integer(Int64(seq + 1)), .text(entry.0.description), .text(entry.1), .text(entry.2)])
                        }
                    }
                    guard shape < 3 else { continue }
                    let facts = ExceptionFacts(code: ExceptionCode(rawValue: code)!, severity: .error, subject: "test",
                                               recordID: recordID, orderID: orderID, transactionID: transactionID)
                    let seen = history.entries.filter { $0.1 != "resolved" && $0.1 != "dismissed" }.map(\.0).max()!
                    expected.append(ExceptionReportEntry(
                        row: ExceptionRow(facts: facts, exceptionID: id, status: history.entries.last!.2,
                                          firstSeen: history.firstSeen, lastSeen: seen, email: nil),
                        aboutTheDaysRecords: recordID == today))
                }
            }
        }
        var read: [ExceptionReportEntry] = []
        let queued = try await store.queueExceptionReport(on: day)
        try await store.forEachExceptionReportPage(on: day, queued: queued, pageSize: 4) { read += $0 }
        var again: [ExceptionReportEntry] = []
        try await store.forEachExceptionReportPage(on: day, queued: queued, pageSize: 7) { again += $0 }
        #expect(again == read)
        let sorted = expected.sorted { ExceptionRow.reportOrder($0.row, $1.row) }
        #expect(read.map(\.row.exceptionID) == sorted.map(\.row.exceptionID))
        #expect(read.map(\.row.status) == sorted.map(\.row.status))
        #expect(read.map(\.row.lastSeen) == sorted.map(\.row.lastSeen))
        #expect(read.map(\.aboutTheDaysRecords) == sorted.map(\.aboutTheDaysRecords))
        #expect(read.contains { $0.aboutTheDaysRecords } && read.contains { !$0.aboutTheDaysRecords })
        #expect(try await store.exceptionReport(on: day).map(\.exceptionID) == sorted.map(\.row.exceptionID))
    }
}

@Suite struct RowMappingTests {
    /// An extension is written as the store writes it and read back whole, its instant to the
    /// second (`Date.formatted(.iso8601)`); its settlement date and what it paid may be missing
    /// (a store migrated from before them).
    @Test(arguments: [(1_795_000_000.0, "2026-11-16"), (1_795_000_000.75, nil), (0.0, "2026-11-20")])
    func anExtensionReadsBackAsItWasWritten(_ seconds: Double, _ settledOn: String?) throws {
        let appliedAt = Date(timeIntervalSince1970: seconds)
        let item = LicenseExtension(
            orderID: "RN-1", serial: "TM-1", transactionID: settledOn == nil ? nil : "TX-1", recordID: "r1",
            previousProduct: "VB", product: "VBC", previousExpiresOn: BusinessDate(iso: "2026-12-01")!,
            newExpiresOn: BusinessDate(iso: "2027-12-01")!, years: 1, appliedOn: BusinessDate(iso: "2026-11-20")!,
            appliedAt: appliedAt, placedOn: BusinessDate(iso: "2026-11-15")!,
            settledOn: settledOn.flatMap { BusinessDate(iso: $0) }, runID: "run-1",
            paid: settledOn == nil ? nil : Money(minorUnits: Int64(seconds) % 10_000, currency: Currency(code: "USD")!))
        let values = RowMapping.extensionValues(item)
        #expect(values.count == RowMapping.extensionFieldNames.count)
        let read = try RowMapping.licenseExtension(SQLRow(values: values))
        var expected = item
        expected.appliedAt = Date(timeIntervalSince1970: seconds.rounded(.down))
        #expect(read == expected)
        #expect(read.appliedAt == (try Date(appliedAt.formatted(.iso8601), strategy: .iso8601)))
    }
}

@Suite struct SupersededExceptionsTests {
    let day = BusinessDate(iso: "2026-11-20")!

    /// A new verdict resolves the record's open exceptions it no longer raises, each with
    /// why, and keeps those it raises again: a held record keeps its code, an applied one
    /// keeps its warnings, a foreign one keeps none.
    @Test(arguments: TestStore.available)
    func aVerdictResolvesTheExceptionsItNoLongerRaises(_ kind: TestStore) async throws {
        let (store, _) = try await kind.makeEmpty()
        try await store.migrate()
        func facts(_ code: ExceptionCode, _ record: String, severity: Severity = .error) -> ExceptionFacts {
            ExceptionFacts(code: code, severity: severity, subject: record, recordID: record)
        }
        let heldStill = facts(.amountMismatch, "R-HELD"), heldBefore = facts(.unknownOrder, "R-HELD")
        let warned = facts(.repeatRenewal, "R-APPLIED", severity: .warning), appliedBefore = facts(.lateSettlement, "R-APPLIED")
        let foreignBefore = facts(.unknownOrder, "R-FOREIGN")
        let applied = LicenseExtension(
            orderID: "RN-1", serial: "TM-1", transactionID: "TX-1", recordID: "R-APPLIED", previousProduct: "VBC",
            product: "VBC", previousExpiresOn: BusinessDate(iso: "2026-12-10")!, newExpiresOn: BusinessDate(iso: "2027-12-10")!,
            years: 1, appliedOn: day, appliedAt: Date(timeIntervalSince1970: 1_795_000_000),
            placedOn: BusinessDate(iso: "2026-11-18")!, settledOn: day, runID: "r1", paid: nil)
        try await store.database.transaction { db in
            try await SQLReconStore.raise([heldStill, heldBefore, warned, appliedBefore, foreignBefore],
                                          on: day.adding(days: -1), runID: "r0", in: db)
            try await SQLReconStore.record([RecordVerdict(recordID: "R-HELD", outcome: .held(heldStill)),
                                            RecordVerdict(recordID: "R-APPLIED", outcome: .applied(applied, warnings: [warned])),
                                            RecordVerdict(recordID: "R-FOREIGN", outcome: .foreign(under: StoreBehaviourTests.descriptors))], on: day, runID: "r1", in: db)
        }
        let after = try await store.database.read { db in
            try await db.query("""
                SELECT e.exception_id, e.status, COALESCE(h.note, '') FROM exceptions e
                JOIN exception_history h ON h.exception_id = e.exception_id
                AND h.seq = (SELECT MAX(seq) FROM exception_history WHERE exception_id = e.exception_id)
                """, []).reduce(into: [String: String]()) { $0[$1.string(0)] = $1.string(1) + " " + $1.string(2) }
        }
        #expect(after[heldStill.exceptionID] == "open ")
        #expect(after[heldBefore.exceptionID] == "resolved superseded")
        #expect(after[warned.exceptionID] == "open ")
        #expect(after[appliedBefore.exceptionID] == "resolved applied")
        #expect(after[foreignBefore.exceptionID] == "resolved foreign under the current descriptors")
    }
}

@Suite struct RehearsalTests {
    struct Refused: Error {}
    let day = BusinessDate(iso: "2026-11-20")!

    func order(_ id: String) -> RenewalOrder {
        RenewalOrder(orderID: id, serial: "TM-\(id)", currentProduct: "VBC", targetProduct: "VBC", years: 1,
                     amount: Money(minorUnits: 5980, currency: Currency(code: "JPY")!), email: "a@example.com",
                     placedAt: Timestamp(iso: "2026-11-12T10:00:00+09:00")!, status: .pending)
    }

    /// A dry run is the run itself inside one transaction that is rolled back: its own reads
    /// see what it wrote, a failed step inside it undoes only that step, and nothing is left.
    @Test(arguments: TestStore.available)
    func aRehearsalSeesItsOwnChangesAndLeavesNone(_ kind: TestStore) async throws {
        let (store, location) = try await kind.makeEmpty()
        try await store.migrate()
        try await store.save(orders: [order("RN-KEPT")], licenses: [])
        let seen = try await store.rehearse {
            try await store.save(orders: [order("RN-1")], licenses: [])
            await #expect(throws: Refused.self) {
                try await store.ingest(sha256: "bad", name: "bad.xml", sizeBytes: 1, from: FailingSource(),
                                       on: day, runID: "r1")
            }
            try await store.beginRun(id: "r1", command: "run", date: day, startedAt: "2026-11-20T21:00:00Z")
            try await store.finishRun(id: "r1", finishedAt: "2026-11-20T21:01:00Z", outcome: "ok")
            #expect(try await store.overview().lastRun?.id == "r1")
            return (orders: try await store.orders(ids: ["RN-1", "RN-KEPT"]).keys.sorted(),
                    file: try await store.settlementFile(sha256: "bad"))
        }
        #expect(seen.orders == ["RN-1", "RN-KEPT"])
        #expect(seen.file == nil)
        for reopened in [store, try await kind.reopen(location)] {
            #expect(try await reopened.orders(ids: ["RN-1", "RN-KEPT"]).keys.sorted() == ["RN-KEPT"])
            #expect(try await reopened.overview().lastRun == nil)
        }
        // A rehearsal that throws is rolled back the same way, and the store takes commits again.
        await #expect(throws: Refused.self) {
            try await store.rehearse {
                try await store.save(orders: [order("RN-2")], licenses: [])
                throw Refused()
            }
        }
        try await store.save(orders: [order("RN-3")], licenses: [])
        #expect(try await store.orders(ids: ["RN-2", "RN-3"]).keys.sorted() == ["RN-3"])
    }

    /// Records one batch, then refuses the file.
    final class FailingSource: RecordBatchSource, @unchecked Sendable {
        var sent = false
        func nextBatch() async throws -> RecordBatch? {
            guard !sent else { throw Refused() }
            sent = true
            return RecordBatch([SettlementRecord(transactionID: "TX-1", orderReference: "RN-1", amountText: "5980", currencyCode: "JPY",
                                     amount: Money(minorUnits: 5980, currency: Currency(code: "JPY")!), direction: .credit,
                                     reversal: false, bookedOn: BusinessDate(iso: "2026-11-12"), valueOn: nil,
                                     descriptor: "RCH*TrendMicro", line: 10, ordinal: 0)])
        }
        func tail() -> IngestTail { IngestTail(format: "camt.054", version: "001.08", skippedStatus: 0, fileExceptions: []) }
    }
}
