import Foundation
import ReconCore

/// `licenses/D/license-extensions.jsonl`: one line per extension, by serial then order id.
public enum LicenseFeed {
    struct Line: Encodable {
        var schema = "license-extension/v1"
        var idempotencyKey, serial, orderID: String
        var transactionID: String?
        var previousProductCode, productCode, previousExpiresOn, newExpiresOn: String
        var years: Int
        var appliedOn: String

        enum CodingKeys: String, CodingKey {
            case schema, idempotencyKey = "idempotency_key", serial, orderID = "order_id"
            case transactionID = "transaction_id", previousProductCode = "previous_product_code"
            case productCode = "product_code", previousExpiresOn = "previous_expires_on"
            case newExpiresOn = "new_expires_on", years, appliedOn = "applied_on"
        }
    }

    public static func jsonLines(_ extensions: [LicenseExtension]) throws -> Data {
        let ordered = extensions.sorted { a, b in
            a.serial != b.serial ? a.serial.utf8.lexicographicallyPrecedes(b.serial.utf8)
                : a.orderID.utf8.lexicographicallyPrecedes(b.orderID.utf8)
        }
        var out: [UInt8] = []
        for item in ordered { out += jsonLine(item) }
        return Data(out)
    }

    /// One extension as a JSON line, keys in byte order.
    public static func jsonLine(_ item: LicenseExtension) -> [UInt8] {
        var line = JSONLineBuilder()
        line.string("applied_on", item.appliedOn.description)
        line.string("idempotency_key", item.orderID)
        line.string("new_expires_on", item.newExpiresOn.description)
        line.string("order_id", item.orderID)
        line.string("previous_expires_on", item.previousExpiresOn.description)
        line.string("previous_product_code", item.previousProduct)
        line.string("product_code", item.product)
        line.string("schema", "license-extension/v1")
        line.string("serial", item.serial)
        if let transactionID = item.transactionID { line.string("transaction_id", transactionID) }
        line.int("years", item.years)
        return line.line()
    }
}
