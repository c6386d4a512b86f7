import Foundation
import ReconCore
import ReconIngest

/// An import file refused whole: every bad row with its line and reason (exit 65).
struct ImportRefused: Error, CustomStringConvertible {
    var file: String
    var problems: [(line: Int, reason: String)]

    var description: String {
        (["\(file): refused, \(problems.count) bad row(s); nothing was imported"]
            + problems.map { "  line \($0.line): \($0.reason)" }).joined(separator: "\n")
    }
}

/// What an import did.
struct ImportSummary: Equatable {
    var saved = 0
    var skippedPaymentMethod = 0
    var skippedCompleted = 0
}

/// Loads orders and licenses CSV exports (SPEC §3.2) as one idempotent upsert.
struct Importer {
    let store: any ReconStore
    let config: ReconConfig

    static let orderHeader = ["order_id", "serial", "current_product", "target_product", "years", "amount",
                              "currency", "email", "placed_at", "payment_method"]
    static let licenseHeader = ["serial", "product", "expires_on", "auto_renew", "email"]

    func importOrders(from url: URL) async throws -> ImportSummary {
        let table = try Self.table(url, header: Self.orderHeader, optionalLast: "status")
        var problems: [(Int, String)] = []
        var orders: [RenewalOrder] = []
        var summary = ImportSummary()
        var seen = Set<String>()
        for row in table.rows.dropFirst() {
            let expected = table.rows[0].cells.count
            guard row.cells.count == expected else {
                problems.append((row.line, "\(row.cells.count) cells, the header has \(expected)"))
                continue
            }
            let cells = row.cells.map { $0.trimmingCharacters(in: .whitespaces) }
            if cells[9] != "credit_card" {
                summary.skippedPaymentMethod += 1
                continue
            }
            do throws(RowProblem) {
                let order = try parseOrder(cells)
                guard seen.insert(order.orderID).inserted else { throw RowProblem("order_id \(order.orderID) appears twice in the file") }
                orders.append(order)
            } catch {
                problems.append((row.line, error.reason))
            }
        }
        guard problems.isEmpty else { throw ImportRefused(file: url.lastPathComponent, problems: problems) }
        let stored = try await store.orders(ids: Set(orders.map(\.orderID)))
        let saving = orders.filter { stored[$0.orderID]?.status != .completed }
        summary.skippedCompleted = orders.count - saving.count
        try await store.save(orders: saving, licenses: [])
        summary.saved = saving.count
        return summary
    }

    func importLicenses(from url: URL, allowEarlier: Bool) async throws -> ImportSummary {
        let table = try Self.table(url, header: Self.licenseHeader, optionalLast: nil)
        var problems: [(Int, String)] = []
        var parsed: [(line: Int, license: License)] = []
        var seen = Set<String>()
        for row in table.rows.dropFirst() {
            guard row.cells.count == Self.licenseHeader.count else {
                problems.append((row.line, "\(row.cells.count) cells, the header has \(Self.licenseHeader.count)"))
                continue
            }
            do throws(RowProblem) {
                let license = try parseLicense(row.cells.map { $0.trimmingCharacters(in: .whitespaces) })
                guard seen.insert(license.serial).inserted else { throw RowProblem("serial \(license.serial) appears twice in the file") }
                parsed.append((row.line, license))
            } catch {
                problems.append((row.line, error.reason))
            }
        }
        if !allowEarlier {
            let stored = try await store.licenses(serials: Set(parsed.map(\.license.serial)))
            for (line, license) in parsed {
                if let current = stored[license.serial], license.expiresOn < current.expiresOn {
                    problems.append((line, "expires_on \(license.expiresOn) is earlier than the stored \(current.expiresOn) (an older export? use --allow-earlier to accept)"))
                }
            }
        }
        guard problems.isEmpty else {
            throw ImportRefused(file: url.lastPathComponent, problems: problems.sorted { $0.0 < $1.0 })
        }
        try await store.save(orders: [], licenses: parsed.map(\.license))
        return ImportSummary(saved: parsed.count)
    }

    private func parseOrder(_ cells: [String]) throws(RowProblem) -> RenewalOrder {
        let orderID = cells[0]
        guard !orderID.isEmpty else { throw RowProblem("order_id is empty") }
        guard !cells[1].isEmpty else { throw RowProblem("serial is empty") }
        guard config.rules.catalog.names[cells[3]] != nil else { throw RowProblem("target_product '\(cells[3])' is not in the product catalog") }
        guard let years = Int(cells[4]), (1...3).contains(years) else { throw RowProblem("years '\(cells[4])' is not 1, 2 or 3") }
        guard let currency = Currency(code: cells[6]) else { throw RowProblem("currency '\(cells[6])' is not an ISO 4217 code") }
        let amount: Money
        do throws(AmountError) {
            amount = try Money.parse(cells[5], currency: currency)
        } catch {
            throw RowProblem(error.description)
        }
        guard Self.isEmailAddress(cells[7]) else { throw RowProblem("email is not an e-mail address") }
        guard let placedAt = Timestamp(iso: cells[8]), placedAt.offsetSeconds != nil else {
            throw RowProblem("placed_at '\(cells[8])' is not ISO 8601 with an offset (e.g. 2026-11-15T10:42:13+09:00)")
        }
        let statusText = cells.count > 10 && !cells[10].isEmpty ? cells[10] : "pending"
        guard statusText == "pending" || statusText == "cancelled", let status = OrderStatus(rawValue: statusText) else {
            throw RowProblem("status '\(statusText)' is not pending or cancelled")
        }
        return RenewalOrder(orderID: orderID, serial: cells[1], currentProduct: cells[2], targetProduct: cells[3],
                            years: years, amount: amount, email: cells[7], placedAt: placedAt, status: status)
    }

    private func parseLicense(_ cells: [String]) throws(RowProblem) -> License {
        guard !cells[0].isEmpty else { throw RowProblem("serial is empty") }
        guard config.rules.catalog.names[cells[1]] != nil else { throw RowProblem("product '\(cells[1])' is not in the product catalog") }
        guard let expires = BusinessDate(iso: cells[2]) else { throw RowProblem("expires_on '\(cells[2])' is not a date YYYY-MM-DD") }
        guard cells[3] == "true" || cells[3] == "false" else { throw RowProblem("auto_renew '\(cells[3])' is not true or false") }
        guard Self.isEmailAddress(cells[4]) else { throw RowProblem("email is not an e-mail address") }
        return License(serial: cells[0], product: cells[1], expiresOn: expires, autoRenew: cells[3] == "true", email: cells[4])
    }

    /// Loose on purpose: one `@` with text on both sides and no white space.
    static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !text.contains(where: \.isWhitespace)
    }

    private static func table(_ url: URL, header: [String], optionalLast: String?) throws -> CSVTable {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ImportRefused(file: url.path, problems: [(0, "cannot read the file")])
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let table: CSVTable
        do {
            table = try CSVTable(text: text)
        } catch {
            throw ImportRefused(file: url.lastPathComponent, problems: [(error.line, error.reason)])
        }
        guard let first = table.rows.first else { throw ImportRefused(file: url.lastPathComponent, problems: [(1, "the file has no header")]) }
        let names = first.cells.map { $0.trimmingCharacters(in: .whitespaces) }
        guard names == header || (optionalLast.map { names == header + [$0] } ?? false) else {
            let expected = (header + (optionalLast.map { ["[\($0)]"] } ?? [])).joined(separator: ",")
            throw ImportRefused(file: url.lastPathComponent, problems: [(first.line, "the header must be \(expected)")])
        }
        return table
    }
}

struct RowProblem: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
