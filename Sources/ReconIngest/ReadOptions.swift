import Crypto
import Foundation
import ReconCore

/// What reading a settlement file depends on in the configuration.
public struct ReadOptions: Sendable {
    /// `settlement_timezone`: booking date-times become dates in this zone.
    public var settlementTimeZone: TimeZone
    /// `order_id_pattern`: an order-shaped token in free text (matched as a whole token).
    public var orderIDPattern: String
    /// `max_file_mb` in bytes.
    public var maxFileBytes: Int

    public init(settlementTimeZone: TimeZone, orderIDPattern: String = "RN[0-9A-Z-]{6,30}",
                maxFileBytes: Int = 2048 * 1024 * 1024) {
        self.settlementTimeZone = settlementTimeZone
        self.orderIDPattern = orderIDPattern
        self.maxFileBytes = maxFileBytes
    }
}

/// Finds order references in free text.
struct OrderReferenceFinder {
    private let regex: Regex<AnyRegexOutput>?

    init(pattern: String) {
        regex = try? Regex(pattern)
    }

    /// The first white-space token that matches the pattern as a whole.
    func firstReference(in texts: [String]) -> String? {
        guard let regex else { return nil }
        for text in texts {
            for token in text.split(whereSeparator: { $0.isWhitespace }) where (try? regex.wholeMatch(in: token)) != nil {
                return String(token)
            }
        }
        return nil
    }
}

/// Numbers identical (transaction id, content) pairs within one file in document order.
///
/// A file holds hundreds of thousands of records, so the table keeps no strings: each pair is
/// known by the first 128 bits of the SHA-256 of its parts, each length-prefixed. That is the
/// width the store already keys records by (`SettlementRecord.recordID`), and like that key
/// it is the same on every run, so a rerun numbers a file exactly as the first run did.
struct OrdinalCounter {
    private struct Digest: Hashable {
        var high: UInt64
        var low: UInt64
    }

    private var next: [Digest: Int] = [:]
    /// The parts of the record being numbered, reused from record to record.
    private var parts: [UInt8] = []

    mutating func assign(_ record: inout SettlementRecord) {
        parts.removeAll(keepingCapacity: true)
        append(record.transactionID)
        append(record.orderReference)
        if let amount = record.amount {
            append(String(amount.minorUnits))
        } else {
            append("?" + record.amountText)
        }
        append(record.currencyCode)
        parts.append(record.direction == .debit ? 1 : 0)
        parts.append(record.reversal ? 1 : 0)
        withUnsafeBytes(of: (record.bookedOn?.dayNumber ?? Int.min).littleEndian) { parts.append(contentsOf: $0) }
        let digest = SHA256.hash(data: parts).withUnsafeBytes { bytes in
            Digest(high: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                   low: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        record.ordinal = next[digest, default: 0]
        next[digest] = record.ordinal + 1
    }

    /// A part as a presence byte, its length and its UTF-8 bytes: no value can imitate another.
    private mutating func append(_ part: String?) {
        guard var part else { return parts.append(0) }
        parts.append(1)
        part.withUTF8 { bytes in
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { parts.append(contentsOf: $0) }
            parts.append(contentsOf: bytes)
        }
    }
}
