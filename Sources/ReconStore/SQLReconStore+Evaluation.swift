import Foundation
import ReconCore

/// What the rules read (SPEC §4): the ledger, the queue of records to evaluate and the passes
/// over it; their outcomes are recorded in `SQLReconStore+Verdicts.swift`.
extension SQLReconStore {
    public func ledger() async throws -> Ledger {
        try await database.read { db in
            let orders = try await db.query(RowMapping.orderColumns).map(RowMapping.order)
            let licenses = try await db.query(RowMapping.licenseColumns).map(RowMapping.license)
            let extensions = try await db.query(RowMapping.extensionColumns).map(RowMapping.licenseExtension)
            return Ledger(orders: orders, licenses: licenses, extensions: extensions)
        }
    }

    public func ledger(for candidates: [EvaluationCandidate], window: CandidateWindow) async throws -> Ledger {
        try await database.read { [byte = database.byteCollation] db in
            try await Self.ledger(for: candidates, window: window, poolLimit: Ledger.candidatePoolLimit,
                                  byte: byte, in: db)
        }
    }

    public func committedSlice(after position: Int, limit: Int,
                               window: CandidateWindow) async throws -> (candidates: [EvaluationCandidate], ledger: Ledger)? {
        try await database.readCommitted { [byte = database.byteCollation, key = database.recordRowKey] db in
            let candidates = try await Self.queued(after: position, limit: limit, key: key, in: db)
            return (candidates, try await Self.ledger(for: candidates, window: window,
                                                      poolLimit: Ledger.caughtUpPoolLimit, byte: byte, in: db))
        }
    }

    private static func ledger(for candidates: [EvaluationCandidate], window: CandidateWindow, poolLimit: Int, byte: String,
                               in db: any SQLConnection) async throws -> Ledger {
        var orders = try await Self.orders(ids: candidates.lazy.compactMap { $0.attachedOrderID ?? $0.record.orderReference },
                                           in: db)
        // Each record without reference: the first `poolLimit` pending orders of its amount
        // placed in its window, in candidate order. Records of one amount and booking date share
        // their pool, read once.
        struct PoolKey: Hashable {
            var amount: Money
            var bookedOn: BusinessDate
        }
        var pools: [String: [String]] = [:]
        var poolsRead: [PoolKey: [String]] = [:]
        for candidate in candidates where candidate.attachedOrderID == nil && candidate.record.orderReference == nil {
            guard let amount = candidate.record.amount, let bookedOn = candidate.record.bookedOn else { continue }
            let poolKey = PoolKey(amount: amount, bookedOn: bookedOn)
            if let pool = poolsRead[poolKey] {
                pools[candidate.record.recordID] = pool
                continue
            }
            var pool: [String] = []
            for order in try await pendingOrders(of: amount, placedIn: window, bookedOn: bookedOn, limit: poolLimit,
                                                 byte: byte, in: db) {
                orders[ExactID(order.orderID)] = order
                pool.append(order.orderID)
            }
            pools[candidate.record.recordID] = pool
            poolsRead[poolKey] = pool
        }
        var licenses: [License] = []
        var extensions: [LicenseExtension] = []
        try await db.forEachChunk(ExactID.distinct(orders.values.lazy.map(\.serial))) { marks, values in
            licenses += try await db.query("\(RowMapping.licenseColumns) WHERE serial IN (\(marks))", values)
                .map(RowMapping.license)
            extensions += try await db.query("\(RowMapping.extensionColumns) WHERE serial IN (\(marks))", values)
                .map(RowMapping.licenseExtension)
        }
        return Ledger(orders: Array(orders.values), licenses: licenses, extensions: extensions, candidatePools: pools,
                      poolReadLimit: poolLimit)
    }

    /// The first `limit` pending orders of `amount` placed in `window` for a record booked on
    /// `bookedOn`, in candidate order (`placed_at` as written, then order id, as bytes). The
    /// text range of `placed_at` is a day wider on each side, for offsets other than the
    /// window's time zone; the orders in it but outside the window (never-paid orders of the
    /// day before it, say, which sort first) are skipped, a page at a time, so that they never
    /// take the places of orders inside it.
    private static func pendingOrders(of amount: Money, placedIn window: CandidateWindow, bookedOn: BusinessDate,
                                      limit: Int, byte: String, in db: any SQLConnection) async throws -> [RenewalOrder] {
        var found: [RenewalOrder] = []
        var last: (placedAt: String, orderID: String)?
        while found.count < limit {
            var after = ""
            var values: [SQLValue] = [
                .text(amount.currency.code), .integer(amount.minorUnits),
                .text(bookedOn.adding(days: -window.days - 1).description), .text(bookedOn.adding(days: 2).description),
            ]
            if let last {
                // After the last row read; the plain `>=` lets the index start the page there.
                after = "AND placed_at\(byte) >= ? AND (placed_at\(byte) > ? OR (placed_at = ? AND order_id\(byte) > ?))"
                values += [.text(last.placedAt), .text(last.placedAt), .text(last.placedAt), .text(last.orderID)]
            }
            let rows = try await db.query("""
                \(RowMapping.orderColumns) WHERE status = 'pending' AND currency = ? AND amount_minor = ?
                AND placed_at\(byte) >= ? AND placed_at\(byte) < ? \(after)
                ORDER BY placed_at\(byte), order_id\(byte) LIMIT \(limit)
                """, values)
            for row in rows {
                let order = try RowMapping.order(row)
                last = (order.placedAt.text, order.orderID)
                if window.contains(order, bookedOn: bookedOn), found.count < limit { found.append(order) }
            }
            if rows.count < limit { break }
        }
        return found
    }

    public func candidateBookingDates(descriptors: String) async throws -> [BusinessDate] {
        try await database.read { db in
            try await db.query("""
                SELECT DISTINCT booked_on FROM settlement_records
                WHERE \(Self.toEvaluate) AND booked_on IS NOT NULL
                """, [.text(descriptors)]).compactMap { BusinessDate(iso: $0.string(0)) }.sorted()
        }
    }

    /// The records a run evaluates under the descriptors of its one parameter
    /// (`DescriptorMatcher.fingerprint`): open, held, and foreign but not under these (SPEC §4:
    /// rule 1 reads only the descriptor, so one found foreign under them stays foreign).
    static let toEvaluate = """
        (state IN ('open', 'held') OR (state = 'foreign' AND (foreign_under IS NULL OR foreign_under <> ?)))
        """

    public func queueCandidates(bookedOn date: BusinessDate, descriptors: String,
                                finishing pass: EvaluationPass?) async throws -> Int {
        // A record the unfinished pass decided waits for the next pass.
        let (decided, number): (String, [SQLValue]) = if let pass {
            (" AND (decided_in_pass IS NULL OR decided_in_pass <> ?)", [.integer(pass.number)])
        } else {
            ("", [])
        }
        // Created afresh for each date, so a queue left by an older version has this one's
        // columns. Dropped only where the store's own schema holds it: on PostgreSQL an unnamed
        // schema is looked up along the `search_path`, and the first queue a store makes would
        // drop the queue of a store in a schema after its own.
        let left = try await database.tableExists("evaluation_queue")
        try await database.transaction { [key = database.recordRowKey, scope = database.evaluationQueueScope,
                                          waiting = database.waitingForLocksWithoutTimeout] db in
            if let waiting { try await db.execute(waiting.begin) }
            if left { try await db.execute("DROP TABLE evaluation_queue") }
            try await db.execute("""
                CREATE \(scope) TABLE evaluation_queue (position BIGINT PRIMARY KEY, \(key.queueColumns.definition))
                """)
            if let waiting { try await db.execute(waiting.end) }
        }
        return try await database.read { [byte = database.byteCollation, key = database.recordRowKey] db in
            // SettlementRecord.evaluationOrder, then the record id (EvaluationCandidate.evaluationOrder).
            try await db.execute("""
                INSERT INTO evaluation_queue (position, \(key.queueColumns.names))
                SELECT ROW_NUMBER() OVER (ORDER BY
                    transaction_id IS NOT NULL, transaction_id\(byte), order_reference IS NOT NULL, order_reference\(byte),
                    amount_minor IS NOT NULL, amount_minor, currency\(byte), CASE direction WHEN 'credit' THEN 0 ELSE 1 END,
                    reversal, ordinal, record_id\(byte)), \(key.queueColumns.selected)
                FROM settlement_records WHERE \(Self.toEvaluate) AND booked_on = ?\(decided)
                """, [.text(descriptors), .text(date.description)] + number)
            return Int(try await db.query("SELECT COUNT(*) FROM evaluation_queue").first?.int(0) ?? 0)
        }
    }

    public func queuedCandidates(after position: Int, limit: Int) async throws -> [EvaluationCandidate] {
        try await database.read { [key = database.recordRowKey] db in
            try await Self.queued(after: position, limit: limit, key: key, in: db)
        }
    }

    public func emptyQueue() async throws {
        guard try await database.tableExists("evaluation_queue") else { return }
        try await database.read { db in try await db.execute("DELETE FROM evaluation_queue") }
    }

    public func refuseIfTheQueueCannotBeMade() async throws {
        guard let reason = try await database.whyTableCannotBeMade("evaluation_queue") else { return }
        throw StoreError(.unavailable, "a run makes its queue in the store, and \(reason); nothing was changed")
    }

    public func beginPass(round: Int, provisionalHolds: Bool, on date: BusinessDate) async throws -> EvaluationPass {
        try await database.transaction { db in
            try await db.execute("""
                UPDATE evaluation_pass SET number = number + 1, business_date = ?, round = ?, provisional_holds = ?
                """, .text(date.description), .integer(Int64(round)), SQLValue(provisionalHolds))
            let number = try await db.query("SELECT number FROM evaluation_pass", []).first?.int(0)
            guard let number else { throw StoreError(.corrupt, "the table evaluation_pass holds no row") }
            return EvaluationPass(number: number, round: round, provisionalHolds: provisionalHolds)
        }
    }

    public func unfinishedPass() async throws -> EvaluationPass? {
        try await database.read { db in
            try await db.query("""
                SELECT number, round, provisional_holds FROM evaluation_pass WHERE business_date IS NOT NULL
                """, []).first.map { row in
                EvaluationPass(number: row.int(0) ?? 0, round: Int(row.int(1) ?? 1), provisionalHolds: row.int(2) == 1)
            }
        }
    }

    public func finishPasses() async throws {
        try await database.transaction { db in
            try await db.execute("UPDATE evaluation_pass SET business_date = NULL")
        }
    }

    /// The queue's records after `position`, in its order, that are still to evaluate. Each
    /// queued row is read whatever its record's state, so that a row number that has come to
    /// hold another record, or none (a `VACUUM` by another connection renumbers rows), is
    /// seen; the slice is then read again through the records' ids.
    private static func queued(after position: Int, limit: Int, key: RecordRowKey,
                               in db: any SQLConnection) async throws -> [EvaluationCandidate] {
        func read(joiningOn recordKey: String, queuedKey: String) async throws -> [SQLRow] {
            try await db.query("""
                \(RowMapping.candidateColumns(for: key))
                FROM evaluation_queue q LEFT JOIN settlement_records r ON r.\(recordKey) = \(queuedKey)
                LEFT JOIN settlement_files f ON f.sha256 = r.file_sha256
                WHERE q.position > ? AND q.position <= ? ORDER BY q.position
                """, .integer(Int64(position)), .integer(Int64(position + limit)))
        }
        var rows = try await read(joiningOn: key.column, queuedKey: "q.row_key")
        if rows.contains(where: { $0.int(RowMapping.candidateAgreesAt) != 1 }) {
            rows = try await read(joiningOn: "record_id", queuedKey: key.queuedRecordID)
        }
        return rows.filter { row in
            row.text(RowMapping.candidateStateAt).map(RowMapping.unmatchedStates.contains) ?? false
        }.map { row in
            var candidate = RowMapping.candidate(row, recordIDAt: RowMapping.candidateRecordIDAt)
            if key == .rowNumber { candidate.storeRow = row.int(RowMapping.candidateRowKeyAt) }
            return candidate
        }
    }

    public func unnamedPendingOrders() async throws -> [RenewalOrder] {
        try await database.read { db in
            // Named by a settlement matched or held (SPEC §4 sweep): held by ingestion too, as
            // an invalid_record or a duplicate_settlement; a foreign one is neither.
            // NOT EXISTS, an anti-join each database runs from the indexes; PostgreSQL runs a
            // NOT IN whose list outgrows its work memory as a scan of the list per order.
            try await db.query("""
                \(RowMapping.orderColumns) WHERE status = 'pending'
                AND NOT EXISTS (SELECT 1 FROM settlement_records r
                                WHERE r.order_reference = orders.order_id AND r.state <> 'foreign')
                AND NOT EXISTS (SELECT 1 FROM settlement_records r
                                WHERE r.attached_order_id = orders.order_id AND r.state <> 'foreign')
                """).map(RowMapping.order)
        }
    }

    public func openCandidates() async throws -> [EvaluationCandidate] {
        try await database.read { db in
            try await db.query("\(RowMapping.recordColumns) WHERE r.state IN \(RowMapping.unmatchedStateList)")
                .map { RowMapping.candidate($0) }
        }
    }

    public func filesReceived(on date: BusinessDate) async throws -> Int {
        try await database.read { db in
            let received = try await db.query("SELECT COUNT(*) FROM (\(Self.filesReceived)) received WHERE received_on = ?",
                                              .text(date.description))
            return Int(received.first?.int(0) ?? 0)
        }
    }

    public func openCandidates(bookedOrFirstSeenFrom start: BusinessDate, to end: BusinessDate) async throws -> [EvaluationCandidate] {
        try await database.read { db in
            try await db.query("""
                \(RowMapping.recordColumns)
                WHERE r.state IN \(RowMapping.unmatchedStateList)
                  AND ((r.booked_on >= ? AND r.booked_on <= ?)
                       OR r.record_id IN (SELECT record_id FROM exceptions WHERE record_id IS NOT NULL
                                          AND first_seen >= ? AND first_seen <= ?))
                """, .text(start.description), .text(end.description), .text(start.description), .text(end.description))
                .map { RowMapping.candidate($0) }
        }
    }
}
