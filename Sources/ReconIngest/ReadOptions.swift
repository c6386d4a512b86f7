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
struct OrdinalCounter {
    /// (transaction id, content) of a record, compared exactly.
    private struct Identity: Hashable {
        var transactionID: String?
        var orderReference: String?
        var amount: String
        var currency: String
        var direction: Direction
        var reversal: Bool
        var bookedOn: BusinessDate?
    }

    /// Each identity under its hash value, so that the table grows by rehashing integers, not
    /// the strings of every record read so far (a file holds hundreds of thousands).
    private var byHash: [Int: (identity: Identity, count: Int)] = [:]
    /// Identities whose hash value an earlier, different identity already holds.
    private var collided: [Identity: Int] = [:]
    /// Maps a hash value to its slot in `byHash`; tests fold every value into one to force collisions.
    private let slot: (Int) -> Int

    init(slot: @escaping (Int) -> Int = { $0 }) {
        self.slot = slot
    }

    mutating func assign(_ record: inout SettlementRecord) {
        let identity = Identity(transactionID: record.transactionID, orderReference: record.orderReference,
                                amount: record.contentAmount, currency: record.currencyCode,
                                direction: record.direction, reversal: record.reversal, bookedOn: record.bookedOn)
        let hash = slot(identity.hashValue)
        guard let seen = byHash[hash] else {
            byHash[hash] = (identity, 1)
            record.ordinal = 0
            return
        }
        if seen.identity == identity {
            byHash[hash]!.count += 1
            record.ordinal = seen.count
        } else {
            let ordinal = collided[identity, default: 0]
            collided[identity] = ordinal + 1
            record.ordinal = ordinal
        }
    }
}
