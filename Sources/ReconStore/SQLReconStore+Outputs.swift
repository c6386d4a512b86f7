import Foundation
import ReconCore

/// What the output files of a date are written from (SPEC §5).
extension SQLReconStore {
    public func datesWithUnwrittenOutputs() async throws -> [BusinessDate] {
        try await database.read { db in
            try await db.query("SELECT business_date FROM unwritten_dates").compactMap { BusinessDate(iso: $0.string(0)) }.sorted()
        }
    }

    public func outbox(on date: BusinessDate, after orderID: String?, limit: Int) async throws -> [OutboxMail] {
        try await database.read { [byte = database.byteCollation] db in
            var arguments: [SQLValue] = [.text(date.description)]
            var page = ""
            if let orderID {
                page = " AND m.order_id\(byte) > ?"
                arguments.append(.text(orderID))
            }
            let rows = try await db.query("""
                SELECT \(RowMapping.extensionFields), m.recipient,
                       \(RowMapping.orderFields.map { "o." + $0 }.joined(separator: ", "))
                FROM license_extensions x
                JOIN mail_outbox m ON m.order_id = x.order_id
                JOIN orders o ON o.order_id = m.order_id
                WHERE m.business_date = ?\(page)
                ORDER BY m.order_id\(byte)\(limit == Int.max ? "" : " LIMIT \(limit)")
                """, arguments)
            return try rows.map { row in
                // The extension's columns lead, so it reads the row as it is; the order's close it.
                let applied = try RowMapping.licenseExtension(row)
                var order = try RowMapping.order(SQLRow(values: Array(row.values.suffix(RowMapping.orderFields.count))))
                order.email = row.string(RowMapping.extensionFieldNames.count)
                return OutboxMail(extensionRecord: applied, order: order)
            }
        }
    }

    public func feed<State: Sendable>(on date: BusinessDate, into state: State,
                                      _ add: @Sendable (inout State, LicenseExtension) throws -> Void) async throws -> State {
        try await database.readAside { [byte = database.byteCollation] db in
            var state = state
            // One statement, sorted by the store: the feed rows are read in the order they were
            // stored (a CROSS JOIN keeps them the outer loop on SQLite), each with its extension,
            // and sorted by serial. Walking the extensions' index by serial instead visits a page
            // of the table at random for each row: for a million rows in the `sqlite3` shell,
            // 9.4 s (6.1 s of it the kernel copying pages the cache lacks) against 2.6 s.
            try await db.forEachRow("""
                SELECT \(RowMapping.extensionFields) FROM license_feed f CROSS JOIN license_extensions x
                WHERE x.order_id = f.order_id AND f.business_date = ?
                ORDER BY x.serial\(byte), x.order_id\(byte)
                """, [.text(date.description)]) { row in
                try add(&state, try RowMapping.licenseExtension(row))
            }
            return state
        }
    }

    public func markOutputsWritten(on date: BusinessDate) async throws {
        try await database.transaction { db in
            try await db.execute("DELETE FROM unwritten_dates WHERE business_date = ?", .text(date.description))
        }
    }

    public func queueExceptionReport(on date: BusinessDate) async throws -> Int {
        try await database.read { [byte = database.byteCollation] db in
            // A temporary table of the session, which reads its pages too; it lives while the
            // session is open.
            try await db.execute("""
                CREATE TEMP TABLE IF NOT EXISTS exception_report_queue (
                    position BIGINT PRIMARY KEY, exception_id TEXT NOT NULL, about_the_day INTEGER NOT NULL)
                """)
            try await db.execute("DELETE FROM exception_report_queue")
            // ExceptionRow.reportOrder; about_the_day: about a record of a file the date received.
            try await db.execute("""
                INSERT INTO exception_report_queue (position, exception_id, about_the_day)
                SELECT ROW_NUMBER() OVER (ORDER BY e.code\(byte), COALESCE(e.order_id, '')\(byte),
                                                   COALESCE(e.transaction_id, '')\(byte), e.exception_id\(byte)),
                       e.exception_id,
                       CASE WHEN EXISTS (SELECT 1 FROM settlement_records r JOIN settlement_files f ON f.sha256 = r.file_sha256
                                         WHERE r.record_id = e.record_id AND f.received_on = ?) THEN 1 ELSE 0 END
                FROM exceptions e WHERE e.first_seen <= ?
                """, .text(date.description), .text(date.description))
            return Int(try await db.query("SELECT COUNT(*) FROM exception_report_queue").first?.int(0) ?? 0)
        }
    }

    public func queuedExceptionReport(on date: BusinessDate, after position: Int, limit: Int) async throws -> [ExceptionReportEntry] {
        try await database.read { db in
            let day = date.description
            let window: [SQLValue] = [.integer(Int64(position)), .integer(Int64(position + limit))]
            let rows = try await db.query("""
                SELECT \(RowMapping.exceptionFields), q.about_the_day
                FROM exception_report_queue q JOIN exceptions e ON e.exception_id = q.exception_id
                LEFT JOIN orders o ON o.order_id = e.order_id
                WHERE q.position > ? AND q.position <= ? ORDER BY q.position
                """, window)
            var history: [String: [(date: String, action: String, status: String)]] = [:]
            // The first change of severity after the date: the severity before it was the date's.
            var laterSeverity: [String: Severity] = [:]
            for row in try await db.query("""
                SELECT h.exception_id, h.business_date, h.action, h.status
                FROM exception_report_queue q JOIN exception_history h ON h.exception_id = q.exception_id
                WHERE q.position > ? AND q.position <= ? AND (h.business_date <= ? OR h.action LIKE '\(HistoryEntry.severityPrefix)%')
                ORDER BY q.position, h.business_date, h.seq
                """, window + [.text(day)]) {
                let (id, entryDate, action) = (row.string(0), row.string(1), row.string(2))
                guard entryDate <= day else {
                    if laterSeverity[id] == nil { laterSeverity[id] = HistoryEntry.severity(changedBy: action)?.other }
                    continue
                }
                history[id, default: []].append((entryDate, action, row.string(3)))
            }
            return try rows.compactMap { row in
                let stored = try RowMapping.exception(row)
                guard let entries = history[stored.exceptionID], let last = entries.last else { return nil }
                var asOfDate = stored
                // A change of severity ("severity warning") is the date's if made by then; else the
                // severity the first change after the date left (of two) was the date's.
                asOfDate.facts.severity = entries.compactMap { HistoryEntry.severity(changedBy: $0.action) }.last
                    ?? laterSeverity[stored.exceptionID] ?? stored.facts.severity
                var previous: String?
                var changedOnDate = false
                for entry in entries {
                    if entry.date == day, entry.status != previous { changedOnDate = true }
                    previous = entry.status
                }
                guard last.status == "open" || changedOnDate else { return nil }
                asOfDate.status = last.status
                let seen = entries.filter { !HistoryEntry.decides($0.action) }.map(\.date)
                asOfDate.lastSeen = seen.max().flatMap { BusinessDate(iso: $0) } ?? stored.firstSeen
                return ExceptionReportEntry(row: asOfDate, aboutTheDaysRecords: row.int(25) == 1)
            }
        }
    }

    public func exceptions(code: ExceptionCode?, status: String?) async throws -> [ExceptionRow] {
        try await database.read { db in
            var conditions: [String] = []
            var arguments: [SQLValue] = []
            if let code {
                conditions.append("e.code = ?")
                arguments.append(.text(code.rawValue))
            }
            if let status {
                conditions.append("e.status = ?")
                arguments.append(.text(status))
            }
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            return try await db.query(RowMapping.exceptionColumns + filter, arguments).map(RowMapping.exception)
                .sorted { $0.exceptionID < $1.exceptionID }
        }
    }

    public func exception(id: String) async throws -> ExceptionRow? {
        try await database.read { db in
            try await db.query(RowMapping.exceptionColumns + " WHERE e.exception_id = ?", .text(id)).first.map(RowMapping.exception)
        }
    }

    public func history(ofException id: String) async throws -> [ExceptionHistoryLine] {
        try await database.read { db in
            try await db.query("""
                SELECT business_date, recorded_at, actor, action, status, note FROM exception_history
                WHERE exception_id = ? ORDER BY seq
                """, .text(id)).map { row in
                guard let date = BusinessDate(iso: row.string(0)) else {
                    throw StoreError(.corrupt, "exception_history of \(id): '\(row.string(0))' is not a date")
                }
                return ExceptionHistoryLine(date: date, recordedAt: row.string(1), actor: row.string(2),
                                            action: row.string(3), status: row.string(4), note: row.text(5))
            }
        }
    }

    public func candidate(recordID: String) async throws -> (candidate: EvaluationCandidate, state: String)? {
        try await database.read { db in
            guard let row = try await db.query(RowMapping.recordColumns + " WHERE r.record_id = ?", .text(recordID)).first,
                  let state = try await db.query("SELECT state FROM settlement_records WHERE record_id = ?",
                                                 .text(recordID)).first?.string(0) else { return nil }
            return (RowMapping.candidate(row), state)
        }
    }

    /// What the day summary reads of the records of the files first received on a date: their
    /// amounts and booking dates, with their outcome at the end of the date (SPEC §5), their
    /// order's placement, and whether their order was still unknown then.
    ///
    /// The outcome: `matched` when its extension was applied by the date; `held` when an
    /// exception about it was open or dismissed at the end of the date (the history's last
    /// entry by then), as every settlement held has one from the run that held it; `foreign`
    /// when it is foreign now, or when a `run` of its date that began no earlier than the run
    /// that stored it finished (it was decided that night, neither matched nor held: foreign
    /// under the descriptors of then, ours only since); otherwise `held`, as one no run of its
    /// date decided (stopped, and the next night's run decided it). Its current state alone
    /// would not do: descriptors changed later make a foreign settlement ours or one held
    /// foreign. Its order was unknown when it was held by a rule's exception that found no
    /// order (`unknown_order`, `missing_reference`, a refund naming no known order), so that an
    /// order imported or attached later gives that date no lag. (A hold of ingestion,
    /// `invalid_record` or `duplicate_settlement`, looks no order up and cannot tell.) Its five
    /// parameters are the date.
    static let recordsOfTheDay = """
        SELECT r.currency, r.amount_minor, r.direction, r.reversal, r.booked_on,
               CASE WHEN \(matchedByTheDate) THEN 'matched'
                    WHEN \(heldAtTheEndOfTheDate()) THEN 'held'
                    WHEN r.state = 'foreign'
                      OR EXISTS (SELECT 1 FROM runs stored JOIN runs decided
                                   ON decided.command = 'run' AND decided.business_date = f.received_on
                                  AND decided.finished_at IS NOT NULL AND decided.started_at >= stored.started_at
                                 WHERE stored.run_id = f.run_id) THEN 'foreign'
                    ELSE 'held' END,
               o.placed_at,
               CASE WHEN \(matchedByTheDate) THEN 0
                    WHEN \(heldAtTheEndOfTheDate("""
                        AND e.serial IS NULL AND e.code NOT IN ('invalid_record', 'duplicate_settlement')
                        """)) THEN 1
                    ELSE 0 END
        FROM settlement_files f JOIN settlement_records r ON r.file_sha256 = f.sha256
        LEFT JOIN license_extensions x ON x.order_id = COALESCE(r.attached_order_id, r.order_reference)
                                      AND x.record_id = r.record_id
        LEFT JOIN orders o ON o.order_id = COALESCE(r.attached_order_id, r.order_reference)
        WHERE f.received_on = ?
        """

    /// Whether the record `r` was matched by the date, its one parameter.
    private static let matchedByTheDate = "r.state = 'matched' AND x.applied_on <= ?"

    /// Whether an exception about the record `r` (and `also` of it, `e`) was open or dismissed at
    /// the end of the date, its one parameter.
    private static func heldAtTheEndOfTheDate(_ also: String = "") -> String {
        """
        EXISTS (SELECT 1 FROM exceptions e JOIN exception_history h ON h.exception_id = e.exception_id
                WHERE e.record_id = r.record_id \(also)
                  AND h.seq = (SELECT MAX(x.seq) FROM exception_history x WHERE x.exception_id = e.exception_id
                                 AND x.business_date = (SELECT MAX(y.business_date) FROM exception_history y
                                                        WHERE y.exception_id = e.exception_id AND y.business_date <= ?))
                  AND h.status <> 'resolved')
        """
    }

    public func dayFacts(on date: BusinessDate, settlementTimeZone: TimeZone) async throws -> DayFacts {
        try await database.readAside { db in
            let day = SQLValue.text(date.description)
            func count(_ sql: String) async throws -> Int { Int(try await db.query(sql, [day]).first?.int(0) ?? 0) }
            // The date's records, file by file in the order they were stored, tallied as they
            // stream in. A record applies to the order it names or was attached to, so its
            // extension is found by that order's key.
            var tally = DayTally()
            try await db.forEachRow(Self.recordsOfTheDay, Array(repeating: day, count: 5)) { row in
                let currencyCode = row.string(0)
                let outcome = DayTally.Outcome(rawValue: row.string(5)) ?? .held
                tally.add(currencyCode: currencyCode,
                          minorUnits: RowMapping.amount(minorUnits: row.int(1), currencyCode: currencyCode)?.minorUnits,
                          givesBack: row.string(2) == Direction.debit.rawValue || row.int(3) == 1,
                          bookedOn: row.text(4).flatMap { BusinessDate(iso: $0) }, outcome: outcome,
                          placedOn: row.int(7) == 1 ? nil : row.text(6).flatMap { Timestamp(iso: $0) }?.date(in: settlementTimeZone))
            }
            return DayFacts(
                date: date,
                filesIngested: try await count("SELECT COUNT(*) FROM settlement_files WHERE received_on = ? AND status = 'ingested'"),
                // Each inbox file quarantined on the date; one quarantined and read again the same
                // day counts as read only, as it always did.
                filesQuarantined: try await count("""
                    SELECT COUNT(*) FROM settlement_file_rejections q WHERE q.rejected_on = ? AND NOT EXISTS (
                        SELECT 1 FROM settlement_files f
                        WHERE f.sha256 = q.sha256 AND f.status = 'ingested' AND f.received_on = q.rejected_on)
                    """),
                skippedDuplicates: try await count("SELECT COUNT(*) FROM settlement_file_arrivals WHERE received_on = ?"),
                skippedStatus: try await count("SELECT COALESCE(SUM(skipped_status), 0) FROM settlement_files WHERE received_on = ?"),
                records: tally,
                licensesExtended: try await count("SELECT COUNT(*) FROM license_extensions WHERE applied_on = ?"),
                mailsWritten: try await count("SELECT COUNT(*) FROM mail_outbox WHERE business_date = ?"))
        }
    }
}
