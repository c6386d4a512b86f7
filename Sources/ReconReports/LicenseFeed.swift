import Foundation
import ReconCore

/// `licenses/D/license-extensions.jsonl`: one line per extension (the store hands them over by
/// serial, then order id).
public enum LicenseFeed {
    /// Appends one extension to `out` as a JSON line, keys in byte order.
    public static func appendLine(_ item: LicenseExtension, to out: inout [UInt8]) {
        JSONLineBuilder.appendLine(to: &out) { line in
            line.string("applied_on", item.appliedOn.description)
            line.string("idempotency_key", item.orderID)
            line.string("new_expires_on", item.newExpiresOn.description)
            line.string("order_id", item.orderID)
            line.string("previous_expires_on", item.previousExpiresOn.description)
            line.string("previous_product_code", item.previousProduct)
            line.string("product_code", item.product)
            line.string("schema", "license-extension/v1")
            line.string("serial", item.serial)
            line.string("transaction_id", item.transactionID)
            line.int("years", item.years)
        }
    }
}
