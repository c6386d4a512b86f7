import Foundation
import ReconCore

/// Turns rows into domain values; a row the job cannot read is a `StoreError(.corrupt)`
/// naming the table and key (the shop may write orders directly).
enum RowMapping {
    /// The columns `order(_:)` reads, in its order.
    static let orderFields = ["order_id", "serial", "current_product", "target_product", "years", "amount_minor",
                              "currency", "email", "placed_at", "status"]
    static let orderColumns = "SELECT \(orderFields.joined(separator: ", ")) FROM orders"

    static func order(_ row: SQLRow) throws -> RenewalOrder {
        let id = row.string(0)
        func bad(_ what: String) -> StoreError { StoreError(.corrupt, "orders row \(id): \(what)") }
        guard let currency = Currency(code: row.string(6)) else { throw bad("unknown currency '\(row.string(6))'") }
        guard let placedAt = Timestamp(iso: row.string(8)), placedAt.offsetSeconds != nil else {
            throw bad("placed_at '\(row.string(8))' is not ISO 8601 with an offset")
        }
        guard let status = OrderStatus(rawValue: row.string(9)) else { throw bad("unknown status '\(row.string(9))'") }
        return RenewalOrder(orderID: id, serial: row.string(1), currentProduct: row.string(2),
                            targetProduct: row.string(3), years: Int(row.int(4) ?? 0),
                            amount: Money(minorUnits: row.int(5) ?? 0, currency: currency), email: row.string(7),
                            placedAt: placedAt, status: status)
    }

    static let licenseColumns = "SELECT serial, product, expires_on, auto_renew, email FROM licenses"

    static func license(_ row: SQLRow) throws -> License {
        guard let expires = BusinessDate(iso: row.string(2)) else {
            throw StoreError(.corrupt, "licenses row \(row.string(0)): expires_on '\(row.string(2))' is not a date")
        }
        return License(serial: row.string(0), product: row.string(1), expiresOn: expires,
                       autoRenew: row.int(3) == 1, email: row.string(4))
    }

    /// The columns of `license_extensions` that `licenseExtension(_:)` reads and
    /// `extensionValues(_:)` writes, in their order.
    static let extensionFieldNames = ["order_id", "serial", "transaction_id", "record_id", "previous_product", "product",
                                      "previous_expires_on", "new_expires_on", "years", "placed_on", "applied_on",
                                      "applied_at", "run_id", "settled_on", "paid_minor", "paid_currency"]
    /// `extensionFieldNames` of `license_extensions x`.
    static let extensionFields = extensionFieldNames.map { "x." + $0 }.joined(separator: ", ")
    static let extensionColumns = "SELECT \(extensionFields) FROM license_extensions x"

    /// The row `licenseExtension(_:)` reads back as `item` (to the second).
    static func extensionValues(_ item: LicenseExtension) -> [SQLValue] {
        [.text(item.orderID), .text(item.serial), SQLValue(item.transactionID), .text(item.recordID),
         .text(item.previousProduct), .text(item.product), .text(item.previousExpiresOn.description),
         .text(item.newExpiresOn.description), SQLValue(item.years), .text(item.placedOn.description),
         .text(item.appliedOn.description), .text(item.appliedAt.formatted(.iso8601)), .text(item.runID),
         SQLValue(item.settledOn?.description), SQLValue(item.paid?.minorUnits), SQLValue(item.paid?.currency.code)]
    }

    static func licenseExtension(_ row: SQLRow) throws -> LicenseExtension {
        func date(_ index: Int) throws -> BusinessDate {
            guard let date = BusinessDate(iso: row.string(index)) else {
                throw StoreError(.corrupt, "license_extensions row \(row.string(0)): '\(row.string(index))' is not a date")
            }
            return date
        }
        // Written by `Date.formatted(.iso8601)` (whole seconds, `Z`); read with the parser
        // the rest of the job uses, a million times a night.
        let appliedAt = Timestamp(iso: row.string(11))?.instant ?? .distantPast
        return LicenseExtension(orderID: row.string(0), serial: row.string(1), transactionID: row.text(2),
                                recordID: row.string(3), previousProduct: row.string(4), product: row.string(5),
                                previousExpiresOn: try date(6), newExpiresOn: try date(7), years: Int(row.int(8) ?? 0),
                                appliedOn: try date(10), appliedAt: appliedAt, placedOn: try date(9),
                                settledOn: row.text(13).flatMap { BusinessDate(iso: $0) }, runID: row.string(12),
                                paid: row.text(15).flatMap { amount(minorUnits: row.int(14), currencyCode: $0) })
    }

    /// The columns of `settlement_records r` and `settlement_files f` that `candidate(_:)`
    /// reads, in its order.
    private static let recordFieldNames = [
        "r.transaction_id", "r.order_reference", "r.amount_text", "r.currency", "r.amount_minor", "r.direction",
        "r.reversal", "r.booked_on", "r.value_on", "r.descriptor", "r.line", "r.ordinal", "r.original_payment",
        "r.problem", "f.name", "r.attached_order_id",
    ]
    static let recordColumns = "SELECT \(recordFieldNames.joined(separator: ", ")) \(recordSource)"

    /// The select list of `recordColumns`, then the record's id (at `candidateRecordIDAt`), its
    /// row key (at `candidateRowKeyAt`), its state (at `candidateStateAt`) and 1 where it is
    /// the record the evaluation queue's row `q` names (at `candidateAgreesAt`), for the
    /// candidates of an evaluation.
    static func candidateColumns(for key: RecordRowKey) -> String {
        let agrees = "CASE WHEN r.record_id = \(key.queuedRecordID) THEN 1 ELSE 0 END"
        return "SELECT \((recordFieldNames + ["r.record_id", "r.\(key.column)", "r.state", agrees]).joined(separator: ", "))"
    }
    static let candidateRecordIDAt = recordFieldNames.count
    static let candidateRowKeyAt = recordFieldNames.count + 1
    static let candidateStateAt = recordFieldNames.count + 2
    static let candidateAgreesAt = recordFieldNames.count + 3

    /// The states of a record not yet matched. A rerun evaluates every such record in its
    /// range; a run, the foreign ones only under other descriptors (`SQLReconStore.toEvaluate`).
    static let unmatchedStates: Set = ["open", "held", "foreign"]
    /// `unmatchedStates` as an SQL list, for `state IN …`.
    static let unmatchedStateList = sqlList(unmatchedStates.sorted())
    /// `ExceptionRow.standingStatuses` as an SQL list, for `status IN …`.
    static let standingStatusList = sqlList(ExceptionRow.standingStatuses)

    /// Fixed words (states, statuses: no quote in them) as an SQL list `('a', 'b')`.
    private static func sqlList(_ words: [String]) -> String {
        "(" + words.map { "'\($0)'" }.joined(separator: ", ") + ")"
    }

    private static let recordSource = "FROM settlement_records r JOIN settlement_files f ON f.sha256 = r.file_sha256"

    /// A record's amount: none without minor units or in a currency that is not ISO 4217's.
    static func amount(minorUnits: Int64?, currencyCode: String) -> Money? {
        guard let minorUnits, let currency = Currency(code: currencyCode) else { return nil }
        return Money(minorUnits: minorUnits, currency: currency)
    }

    static func candidate(_ row: SQLRow, recordIDAt index: Int? = nil) -> EvaluationCandidate {
        let currencyCode = row.string(3)
        let amount = amount(minorUnits: row.int(4), currencyCode: currencyCode)
        let record = SettlementRecord(
            transactionID: row.text(0), orderReference: row.text(1), amountText: row.string(2),
            currencyCode: currencyCode, amount: amount, direction: Direction(rawValue: row.string(5)) ?? .credit,
            reversal: row.int(6) == 1, bookedOn: row.text(7).flatMap { BusinessDate(iso: $0) },
            valueOn: row.text(8).flatMap { BusinessDate(iso: $0) }, descriptor: row.string(9),
            line: Int(row.int(10) ?? 0), ordinal: Int(row.int(11) ?? 0), originalPayment: row.text(12),
            problem: row.text(13))
        return EvaluationCandidate(record: record, fileName: row.text(14), attachedOrderID: row.text(15),
                                   recordID: index.map { row.string($0) })
    }

    /// What `exception(_:)` reads, from `exceptions e` and `orders o`.
    static let exceptionFields = """
        e.exception_id, e.code, e.severity, e.subject, e.status, e.record_id, e.order_id, e.serial,
               e.transaction_id, e.file_name, e.line, e.col, e.amount_minor, e.expected_amount_minor, e.currency,
               e.placed_on, e.settled_on, e.lag_days, e.candidates, e.descriptor, e.detail, e.first_seen, e.last_seen,
               o.email, e.expected_currency
        """
    static let exceptionColumns = "SELECT \(exceptionFields) FROM exceptions e LEFT JOIN orders o ON o.order_id = e.order_id"

    static func exception(_ row: SQLRow) throws -> ExceptionRow {
        guard let code = ExceptionCode(rawValue: row.string(1)),
              let firstSeen = BusinessDate(iso: row.string(21)), let lastSeen = BusinessDate(iso: row.string(22)) else {
            throw StoreError(.corrupt, "exceptions row \(row.string(0)) cannot be read")
        }
        let candidates = row.string(18)
        var facts = ExceptionFacts(
            code: code, severity: Severity(rawValue: row.string(2)) ?? .error, subject: row.string(3),
            recordID: row.text(5), orderID: row.text(6), serial: row.text(7), transactionID: row.text(8),
            fileName: row.text(9), line: row.int(10).map(Int.init), column: row.int(11).map(Int.init),
            amountMinor: row.int(12), expectedAmountMinor: row.int(13), currency: row.text(14),
            placedOn: row.text(15).flatMap { BusinessDate(iso: $0) }, settledOn: row.text(16).flatMap { BusinessDate(iso: $0) },
            lagDays: row.int(17).map(Int.init),
            candidates: candidates.isEmpty ? [] : candidates.split(separator: " ").map(String.init),
            descriptor: row.text(19), detail: row.text(20))
        facts.expectedCurrency = row.text(24)
        return ExceptionRow(facts: facts, exceptionID: row.string(0), status: row.string(4), firstSeen: firstSeen,
                            lastSeen: lastSeen, email: row.text(23))
    }
}
