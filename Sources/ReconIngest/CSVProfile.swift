import Foundation

/// How to read one processor's CSV report (SPEC §3.1, §8 `csv_profiles`).
public struct CSVProfile: Sendable {
    public enum Encoding: String, Sendable {
        case utf8 = "utf-8"
        case cp932
    }

    /// The record fields a column can hold.
    public enum Field: String, Sendable, CaseIterable {
        case transactionID = "transaction_id"
        case originalPayment = "original_payment"
        case orderReference = "order_reference"
        case descriptor, type, amount, currency
        case creditAmount = "credit_amount"
        case debitAmount = "debit_amount"
        case bookingDate = "booking_date"
        /// A time of day kept apart from the booking date (PayPal's `Date`, `Time`, `TimeZone`).
        case bookingTime = "booking_time"
        case valueDate = "value_date"
    }

    /// What a value of the `type` column means.
    public enum TypeMeaning: String, Sendable {
        case credit, debit, skip
        /// Credit or debit as the amount says: which of credit/debit amount is filled, or its sign.
        case bySign = "by_sign"
    }

    /// A date column and where its time zone comes from.
    public struct DateSource: Sendable {
        public var column: String
        /// The time of day, where a column of its own holds it: read after the date, joined
        /// by one space, through the one `date_format`.
        public var timeColumn: String?
        public var zoneColumn: String?
        public init(column: String, timeColumn: String? = nil, zoneColumn: String? = nil) {
            self.column = column
            self.timeColumn = timeColumn
            self.zoneColumn = zoneColumn
        }
    }

    public var name: String
    /// The columns the profile is recognised by (`match_columns`); the header must hold all of
    /// `requiredColumns`.
    public var matchColumns: [String]
    public var delimiter: Character
    public var encoding: Encoding
    public var decimalSeparator: Character
    public var columns: [Field: String]
    /// `type` values; a value not listed is skipped and counted.
    public var types: [String: TypeMeaning]
    /// Where the booking date is read: the first present wins (a date, and the zone of a
    /// date-time where a zone column is named), the last source even without its zone.
    public var bookingDates: [DateSource]
    /// `date_format`, as `CSVDateFormat` reads it (e.g. `yyyy-MM-dd HH:mm:ss`, `M/d/yyyy`).
    public var dateFormat: String
    /// `timezone`: the zone of date-times without a zone column; nil = the settlement zone.
    public var timeZone: TimeZone?
    /// `descriptor`: a constant, when no column holds one.
    public var descriptor: String?

    /// The file is of this profile when its header holds all these columns: `matchColumns`,
    /// every column a field is read from, and the last booking date source's columns (the
    /// earlier ones may be absent). A column named wrong would otherwise read as empty in
    /// every row: each row skipped, or every settlement without descriptor, and the file
    /// would pass as read.
    public var requiredColumns: Set<String> {
        let lastDate = bookingDates.last.map { [$0.column, $0.timeColumn, $0.zoneColumn].compactMap { $0 } } ?? []
        return Set(matchColumns).union(columns.values).union(lastDate)
    }

    /// Every column a value is read from: the fields' and every booking date source's.
    public var readColumns: Set<String> {
        Set(columns.values).union(bookingDates.flatMap { [$0.column, $0.timeColumn, $0.zoneColumn].compactMap { $0 } })
    }

    public init(name: String, matchColumns: [String], delimiter: Character = ",", encoding: Encoding = .utf8,
                decimalSeparator: Character = ".", columns: [Field: String], types: [String: TypeMeaning],
                bookingDates: [DateSource], dateFormat: String, timeZone: TimeZone? = nil, descriptor: String? = nil) {
        self.name = name
        self.matchColumns = matchColumns
        self.delimiter = delimiter
        self.encoding = encoding
        self.decimalSeparator = decimalSeparator
        self.columns = columns
        self.types = types
        self.bookingDates = bookingDates
        self.dateFormat = dateFormat
        self.timeZone = timeZone
        self.descriptor = descriptor
    }

    /// Adyen's Settlement details report; its columns may come in any order.
    public static let adyenSettlementDetails = CSVProfile(
        name: "adyen-settlement-details",
        matchColumns: ["Merchant Account", "Psp Reference", "Merchant Reference", "Type", "Modification Reference",
                       "Gross Currency", "Gross Debit (GC)", "Gross Credit (GC)", "Creation Date", "TimeZone"],
        columns: [
            .transactionID: "Modification Reference", .originalPayment: "Psp Reference",
            .orderReference: "Merchant Reference", .descriptor: "Merchant Account", .type: "Type",
            .creditAmount: "Gross Credit (GC)", .debitAmount: "Gross Debit (GC)", .currency: "Gross Currency",
        ],
        types: ["Settled": .credit, "Refunded": .bySign, "Chargeback": .bySign, "RefundedReversed": .bySign,
                "ChargebackReversed": .bySign],
        bookingDates: [DateSource(column: "Booking Date", zoneColumn: "Booking Date TimeZone"),
                       DateSource(column: "Creation Date", zoneColumn: "TimeZone")],
        dateFormat: "yyyy-MM-dd HH:mm:ss")
}
