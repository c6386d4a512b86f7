import Foundation

/// What one exception says: its code, its subject and the facts support staff need.
///
/// The same code and subject always give the same `exceptionID` on any store, so facts
/// seen again update the existing exception instead of adding one (SPEC §5).
public struct ExceptionFacts: Hashable, Sendable {
    public var code: ExceptionCode
    public var severity: Severity
    /// The transaction key (record codes), the order id (`unsettled_overdue`), the file hash
    /// and position (file codes) or the date (`no_settlement_file`).
    public var subject: String
    public var recordID: String?
    public var orderID: String?
    public var serial: String?
    public var transactionID: String?
    public var fileName: String?
    public var line: Int?
    public var column: Int?
    public var amountMinor: Int64?
    public var expectedAmountMinor: Int64?
    /// The currency of `expectedAmountMinor` (the order's), when it differs from `currency`.
    public var expectedCurrency: String?
    public var currency: String?
    public var placedOn: BusinessDate?
    public var settledOn: BusinessDate?
    public var lagDays: Int?
    public var candidates: [String]
    public var descriptor: String?
    /// A plain reason (why a file or record was refused, which figures disagree).
    public var detail: String?

    public init(code: ExceptionCode, severity: Severity = .error, subject: String, recordID: String? = nil,
                orderID: String? = nil, serial: String? = nil, transactionID: String? = nil,
                fileName: String? = nil, line: Int? = nil, column: Int? = nil, amountMinor: Int64? = nil,
                expectedAmountMinor: Int64? = nil, currency: String? = nil, placedOn: BusinessDate? = nil,
                settledOn: BusinessDate? = nil, lagDays: Int? = nil, candidates: [String] = [],
                descriptor: String? = nil, detail: String? = nil) {
        self.code = code
        self.severity = severity
        self.subject = subject
        self.recordID = recordID
        self.orderID = orderID
        self.serial = serial
        self.transactionID = transactionID
        self.fileName = fileName
        self.line = line
        self.column = column
        self.amountMinor = amountMinor
        self.expectedAmountMinor = expectedAmountMinor
        self.expectedCurrency = nil
        self.currency = currency
        self.placedOn = placedOn
        self.settledOn = settledOn
        self.lagDays = lagDays
        self.candidates = candidates
        self.descriptor = descriptor
        self.detail = detail
    }

    /// `EX-` + the first 12 hex digits of SHA-256 of code and subject.
    public var exceptionID: String { ExceptionFacts.exceptionID(code: code, subject: subject) }

    public static func exceptionID(code: ExceptionCode, subject: String) -> String {
        "EX-" + Fingerprint.hex(of: code.rawValue + "\n" + subject, digits: 12)
    }

    /// The facts of a record exception, with the record's own fields filled in.
    public static func about(_ record: SettlementRecord, fileName: String?, code: ExceptionCode,
                             severity: Severity = .error) -> ExceptionFacts {
        ExceptionFacts(code: code, severity: severity, subject: record.canonicalKey, recordID: record.recordID,
                       orderID: record.orderReference, transactionID: record.transactionID, fileName: fileName,
                       line: record.line, amountMinor: record.amount?.minorUnits, currency: record.currencyCode,
                       settledOn: record.bookedOn, descriptor: record.descriptor, detail: record.problem)
    }
}
