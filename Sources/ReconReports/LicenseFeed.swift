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
        var out = Data()
        for item in ordered {
            out.append(try JSONLine.encode(Line(
                idempotencyKey: item.orderID, serial: item.serial, orderID: item.orderID,
                transactionID: item.transactionID, previousProductCode: item.previousProduct,
                productCode: item.product, previousExpiresOn: item.previousExpiresOn.description,
                newExpiresOn: item.newExpiresOn.description, years: item.years,
                appliedOn: item.appliedOn.description)))
        }
        return out
    }
}
