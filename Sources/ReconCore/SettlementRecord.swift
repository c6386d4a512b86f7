import Crypto
import Foundation

/// Money in or out of the merchant account.
public enum Direction: String, Sendable, Codable {
    case credit, debit
}

/// One settled transaction read from a settlement file (a camt `TxDtls`, a CSV row).
///
/// A record that could not be read completely (an amount with too many decimals, no
/// booking date) still carries what was read and a `problem`: it becomes an
/// `invalid_record` and is never evaluated.
public struct SettlementRecord: Hashable, Sendable {
    public var transactionID: String?
    public var orderReference: String?
    /// The amount as written, in major units; `amount` is its exact reading when valid.
    public var amountText: String
    public var currencyCode: String
    public var amount: Money?
    public var direction: Direction
    public var reversal: Bool
    public var bookedOn: BusinessDate?
    public var valueOn: BusinessDate?
    public var descriptor: String
    /// The line of the record in its file (1-based).
    public var line: Int
    /// Numbers identical (transaction id, content) pairs within one file, from 0.
    public var ordinal: Int
    /// The payment a refund or chargeback refers to (CSV `Psp Reference`), kept for reports.
    public var originalPayment: String?
    /// Why the record is an `invalid_record`, if it is one.
    public var problem: String?

    public init(transactionID: String?, orderReference: String?, amountText: String, currencyCode: String,
                amount: Money?, direction: Direction, reversal: Bool, bookedOn: BusinessDate?,
                valueOn: BusinessDate?, descriptor: String, line: Int, ordinal: Int = 0,
                originalPayment: String? = nil, problem: String? = nil) {
        self.transactionID = transactionID
        self.orderReference = orderReference
        self.amountText = amountText
        self.currencyCode = currencyCode
        self.amount = amount
        self.direction = direction
        self.reversal = reversal
        self.bookedOn = bookedOn
        self.valueOn = valueOn
        self.descriptor = descriptor
        self.line = line
        self.ordinal = ordinal
        self.originalPayment = originalPayment
        self.problem = problem
    }

    /// The amount field of the content: exact minor units, or the text as written when it
    /// could not be read, so that an invalid record still has a stable identity.
    public var contentAmount: String { amount.map { String($0.minorUnits) } ?? "?" + amountText }

    /// SPEC §3.1: (order reference, amount, currency, direction, reversal, booking date).
    public var content: [String] {
        [orderReference ?? "", contentAmount, currencyCode, direction.rawValue, reversal ? "1" : "0",
         bookedOn?.description ?? ""]
    }

    /// The canonical text of the record's key (transaction id, content, ordinal); each part is
    /// length-prefixed so no value can imitate a separator.
    public var canonicalKey: String {
        ([transactionID.map { "T" + $0 } ?? "-"] + content + [String(ordinal)])
            .map { "\($0.utf8.count):\($0)" }.joined()
    }

    /// The record's identity in the store: the first 32 hex digits of SHA-256 of its key.
    public var recordID: String { Fingerprint.hex(of: canonicalKey, digits: 32) }
}

extension SettlementRecord {
    /// SPEC §4 evaluation order: booking date, transaction id (absent first), content field by
    /// field (amounts as integers), ordinal; strings compared as UTF-8 bytes.
    public static func evaluationOrder(_ a: SettlementRecord, _ b: SettlementRecord) -> Bool {
        let dateA = a.bookedOn?.dayNumber ?? Int.min, dateB = b.bookedOn?.dayNumber ?? Int.min
        if dateA != dateB { return dateA < dateB }
        if let order = compareOptional(a.transactionID, b.transactionID) { return order }
        if let order = compareOptional(a.orderReference, b.orderReference) { return order }
        let amountA = a.amount?.minorUnits ?? Int64.min, amountB = b.amount?.minorUnits ?? Int64.min
        if amountA != amountB { return amountA < amountB }
        if a.currencyCode != b.currencyCode { return a.currencyCode.utf8.lexicographicallyPrecedes(b.currencyCode.utf8) }
        if a.direction != b.direction { return a.direction == .credit }
        if a.reversal != b.reversal { return !a.reversal }
        return a.ordinal < b.ordinal
    }

    private static func compareOptional(_ a: String?, _ b: String?) -> Bool? {
        switch (a, b) {
        case (nil, nil): return nil
        case (nil, _): return true
        case (_, nil): return false
        case let (a?, b?):
            if a == b { return nil }
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }
}

/// SHA-256 digests as lower-case hex.
public enum Fingerprint {
    public static func hex(of text: String, digits: Int = 64) -> String {
        hex(of: Array(text.utf8), digits: digits)
    }

    public static func hex(of data: some DataProtocol, digits: Int = 64) -> String {
        let digest = SHA256.hash(data: data)
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out.prefix(digits), as: UTF8.self)
    }
}
