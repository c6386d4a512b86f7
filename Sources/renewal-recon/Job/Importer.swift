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
    var skippedCompleted = 0
    /// Rows naming a product the catalog does not know, by product: imported, and held by rule
    /// 8 until the config knows it; said, so that a typo shows before its customer pays.
    var unknownProducts: [String: Int] = [:]
    /// The rows skipped, by payment method: a spelling change in the shop's export
    /// (`Credit_Card`) would otherwise skip every order under one count.
    var skippedPaymentMethods: [String: Int] = [:]
    /// Rows skipped as not paid by card.
    var skippedPaymentMethod: Int { skippedPaymentMethods.values.reduce(0, +) }
    /// Licenses whose expiry the import moved earlier (`--allow-earlier`), the first few named.
    var movedEarlier = 0
    var firstMovedEarlier: [EarlierExpiry] = []

    /// The line the command prints after its counts, or nil.
    var unknownProductsLine: String? {
        guard !unknownProducts.isEmpty else { return nil }
        let products = unknownProducts.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        return "products the catalog does not know (rule 8 holds their orders until it does): \(products)"
    }

    /// The line the command prints after its counts for the payment methods skipped, or nil:
    /// the ten most frequent, then how many others.
    var skippedPaymentMethodsLine: String? {
        guard !skippedPaymentMethods.isEmpty else { return nil }
        let ranked = skippedPaymentMethods.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        let named = ranked.prefix(10).map { "\($0.key.isEmpty ? "(empty)" : Console.oneLine($0.key, backslash: false)) (\($0.value))" }
        let others = ranked.count > 10 ? ", and \(ranked.count - 10) other(s)" : ""
        return "payment methods skipped: " + named.joined(separator: ", ") + others
    }

    /// The lines the command prints after its counts for licenses moved earlier, or none.
    var movedEarlierLines: [String] {
        guard movedEarlier > 0 else { return [] }
        let more = movedEarlier - firstMovedEarlier.count
        return ["\(movedEarlier) license(s) moved earlier than stored (--allow-earlier):"]
            + firstMovedEarlier.map { row in
                "  line \(row.line): \(row.serial) \(row.stored) -> \(row.imported)"
                    + (row.undoesRenewalOf.map { " (undoes the renewal paid by order \($0))" } ?? "")
            }
            + (more > 0 ? ["  and \(more) more"] : [])
    }
}

/// Loads orders and licenses CSV exports (SPEC §3.2) as one idempotent upsert.
struct Importer {
    let store: any ReconStore
    let config: ReconConfig

    static let orderHeader = ["order_id", "serial", "current_product", "target_product", "years", "amount",
                              "currency", "email", "placed_at", "payment_method"]
    static let licenseHeader = ["serial", "product", "expires_on", "auto_renew", "email"]

    func importOrders(from url: URL) async throws -> ImportSummary {
        let rows = try ExportRows(url, header: Self.orderHeader, optionalLast: "status",
                                  noting: unknownProduct(\.targetProduct)) { cells throws(RowProblem) in
            try parseOrder(cells)
        } skipping: { cells in
            cells[9] == "credit_card" ? nil : cells[9]
        }
        let (saved, completed) = try await refusingBadRows(url, rows) {
            try await store.importOrders(from: rows, statusGiven: rows.hasOptionalLast)
        }
        return ImportSummary(saved: saved, skippedCompleted: completed, unknownProducts: rows.noted,
                             skippedPaymentMethods: rows.skipped)
    }

    func importLicenses(from url: URL, allowEarlier: Bool) async throws -> ImportSummary {
        let rows = try ExportRows(url, header: Self.licenseHeader, optionalLast: nil,
                                  noting: unknownProduct(\.product)) { cells throws(RowProblem) in
            try parseLicense(cells)
        }
        let done = try await refusingBadRows(url, rows) { try await store.importLicenses(from: rows, allowEarlier: allowEarlier) }
        return ImportSummary(saved: done.saved, unknownProducts: rows.noted, movedEarlier: done.movedEarlier,
                             firstMovedEarlier: done.firstMovedEarlier)
    }

    /// Notes a row's product that the catalog does not know: the row is imported all the same,
    /// and the summary names each such product.
    private func unknownProduct<Row>(_ product: KeyPath<Row, String>) -> (Row) -> String? {
        let known = config.rules.catalog.knownProducts
        return { row in known.contains(row[keyPath: product]) ? nil : row[keyPath: product] }
    }

    /// The store's refusal, or a CSV that stops parsing, as the refusal of the file: where it
    /// stops, the bad rows `rows` found before it are listed with it (SPEC §3.2: every bad row).
    private func refusingBadRows<T, Row>(_ url: URL, _ rows: ExportRows<Row>, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let refused as ImportRowsRefused {
            throw ImportRefused(file: url.lastPathComponent, problems: refused.problems.map { ($0.line, $0.reason) })
        } catch let broken as CSVError {
            if let unreadable = broken.unreadable(url) { throw unreadable }
            throw ImportRefused(file: url.lastPathComponent,
                                problems: rows.problems.map { ($0.line, $0.reason) } + [broken.importProblem])
        }
    }

    private func parseOrder(_ cells: [String]) throws(RowProblem) -> RenewalOrder {
        try Self.refuseControlCharacters(in: cells, named: Array(Self.orderHeader.prefix(4)))
        try Self.refuseUncomposed(in: cells, named: Array(Self.orderHeader.prefix(2)))
        let orderID = cells[0]
        guard !orderID.isEmpty else { throw RowProblem("order_id is empty") }
        guard !cells[1].isEmpty else { throw RowProblem("serial is empty") }
        // A product the catalog does not know is rule 8's to hold (invalid_upgrade_path), order
        // by order, and heals once the config knows it (SPEC §4); it does not refuse the export.
        guard !cells[3].isEmpty else { throw RowProblem("target_product is empty") }
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
        guard placedAt.date(in: config.settlementTimeZone) != nil else {
            throw RowProblem("placed_at '\(cells[8])' falls outside the years 1–9999 in \(config.settlementTimeZone.identifier)")
        }
        let statusText = cells.count > 10 && !cells[10].isEmpty ? cells[10] : "pending"
        guard statusText == "pending" || statusText == "cancelled", let status = OrderStatus(rawValue: statusText) else {
            throw RowProblem("status '\(statusText)' is not pending or cancelled")
        }
        return RenewalOrder(orderID: orderID, serial: cells[1], currentProduct: cells[2], targetProduct: cells[3],
                            years: years, amount: amount, email: cells[7], placedAt: placedAt, status: status)
    }

    private func parseLicense(_ cells: [String]) throws(RowProblem) -> License {
        try Self.refuseControlCharacters(in: cells, named: Array(Self.licenseHeader.prefix(2)))
        try Self.refuseUncomposed(in: cells, named: Array(Self.licenseHeader.prefix(1)))
        guard !cells[0].isEmpty else { throw RowProblem("serial is empty") }
        guard !cells[1].isEmpty else { throw RowProblem("product is empty") }
        guard let expires = BusinessDate(iso: cells[2]) else { throw RowProblem("expires_on '\(cells[2])' is not a date YYYY-MM-DD") }
        guard cells[3] == "true" || cells[3] == "false" else { throw RowProblem("auto_renew '\(cells[3])' is not true or false") }
        guard Self.isEmailAddress(cells[4]) else { throw RowProblem("email is not an e-mail address") }
        return License(serial: cells[0], product: cells[1], expiresOn: expires, autoRenew: cells[3] == "true", email: cells[4])
    }

    /// The keys and codes (the first `names.count` cells) are printed on one line each, in
    /// reports, mails and the command's output: a line break in a quoted cell (`"VB⏎C"`) would
    /// split them, and a tab or escape sequence garble them.
    /// Printable ASCII, nearly every key of an export of a million, is answered from its bytes.
    private static func refuseControlCharacters(in cells: [String], named names: [String]) throws(RowProblem) {
        for (name, cell) in zip(names, cells)
        where !cell.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) && cell.unicodeScalars.contains(where: Console.breaksLine) {
            throw RowProblem("\(name) holds a control character (a line break, a tab)")
        }
    }

    /// An order id or serial must be in Unicode's composed form (NFC): one written decomposed
    /// (`e` + U+0301 for `é`, as some Mac software copies it) looks the same as the composed one
    /// everywhere it is shown, and is another key to the store, which compares bytes. Refused,
    /// so that two such ids never stand for two orders or licenses that nobody can tell apart.
    private static func refuseUncomposed(in cells: [String], named names: [String]) throws(RowProblem) {
        for (name, cell) in zip(names, cells) where !cell.utf8.allSatisfy({ $0 < 0x80 })
            && !cell.utf8.elementsEqual(cell.precomposedStringWithCanonicalMapping.utf8) {
            throw RowProblem("\(name) is not in Unicode's composed form (NFC): save the export with composed characters")
        }
    }

    /// Loose on purpose: one `@` with text before it, a `.` after it, no white space, and
    /// nothing that would make a mail header read it as more or other than one address (a
    /// comma, angle brackets, a comment's parentheses, quotes, a control character).
    /// ASCII text (nearly every address of an export of a million) is answered from its bytes:
    /// splitting by `Character` cost a twentieth of an import.
    static func isEmailAddress(_ text: String) -> Bool {
        let bytes = text.utf8
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return isEmailAddressByCharacter(text) }
        guard !containsHeaderSyntax(text) else { return false }
        let at = UInt8(ascii: "@")
        guard let sign = bytes.firstIndex(of: at), sign != bytes.startIndex else { return false }
        let domain = bytes[bytes.index(after: sign)...]
        return !domain.contains(at) && domain.contains(UInt8(ascii: "."))  // white space is header syntax
    }

    /// A byte that means something in an address header (`, ; < > ( ) [ ] " : \`), a space or
    /// a control character (ASCII white space among them).
    private static func containsHeaderSyntax(_ text: String) -> Bool {
        text.utf8.contains { byte in
            switch byte {
            case 0x00...0x20, 0x7F, 0x2C, 0x3B, 0x3C, 0x3E, 0x28, 0x29, 0x5B, 0x5D, 0x22, 0x3A, 0x5C: true
            default: false
            }
        }
    }

    /// `isEmailAddress` by `Character`, where a combining mark may make `@` part of another one.
    static func isEmailAddressByCharacter(_ text: String) -> Bool {
        guard !containsHeaderSyntax(text) else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        // A byte search: `contains` with a string argument would go through Foundation's NSString.
        return parts.count == 2 && !parts[0].isEmpty && parts[1].utf8.contains(UInt8(ascii: "."))
            && !text.contains(where: \.isWhitespace)
    }
}

/// The data rows of an export after its header, parsed into `Row`s a batch at a time.
final class ExportRows<Row: Sendable>: ImportRowSource, @unchecked Sendable {
    private let rows: CSVFileRows
    private let width: Int
    /// Whether the header has the optional last column.
    let hasOptionalLast: Bool
    private let parse: ([String]) throws(RowProblem) -> Row
    private let skip: ([String]) -> String?
    private let note: (Row) -> String?
    private(set) var problems: [ImportProblem] = []
    /// Rows `skip` left out, counted by what it said of them.
    private(set) var skipped: [String: Int] = [:]
    /// Rows read, counted by what `note` said of them (where it said something).
    private(set) var noted: [String: Int] = [:]

    /// Opens the export and checks its header: `header`, or `header` and `optionalLast`.
    init(_ url: URL, header: [String], optionalLast: String?, noting note: @escaping (Row) -> String?,
         parse: @escaping ([String]) throws(RowProblem) -> Row,
         skipping skip: @escaping ([String]) -> String? = { _ in nil }) throws {
        do {
            rows = try CSVFileRows(url: url)
        } catch {
            // A command line naming a file that is not there, or not readable: no row of it is bad.
            throw UsageError(message: "\(url.path): the file cannot be opened (\(error.systemReason))")
        }
        self.parse = parse
        self.skip = skip
        self.note = note
        let first: CSVTable.Row?
        do {
            first = try rows.nextRow()
        } catch {
            throw error.unreadable(url) ?? ImportRefused(file: url.lastPathComponent, problems: [error.importProblem])
        }
        guard let first else { throw ImportRefused(file: url.lastPathComponent, problems: [(1, "the file has no header")]) }
        let names = first.cells.map(CSVTable.trimmed)
        guard names == header || (optionalLast.map { names == header + [$0] } ?? false) else {
            let expected = (header + (optionalLast.map { ["[\($0)]"] } ?? [])).joined(separator: ",")
            let found = Console.oneLine(SettlementFileReader.quoted(firstLine: names.joined(separator: ",")), backslash: false)
            throw ImportRefused(file: url.lastPathComponent, problems: [(first.line, "the header must be \(expected); found: \(found)")])
        }
        width = names.count
        hasOptionalLast = names.count > header.count
    }

    /// The batch being read while the store writes the last one, so parsing the export and
    /// writing it share the cores. One batch is read at a time, each after the one before has
    /// finished, so the counts and problems are never touched by two threads at once; once a
    /// batch comes back nil no read is left running.
    private var reading: Task<[(line: Int, row: Row)]?, any Error>?

    func nextBatch() async throws -> [(line: Int, row: Row)]? {
        let batch = try await (reading ?? Task { try self.readBatch() }).value
        reading = batch == nil ? nil : Task { try self.readBatch() }
        return batch
    }

    private func readBatch() throws -> [(line: Int, row: Row)]? {
        var batch: [(line: Int, row: Row)] = []
        while batch.count < 5_000, let row = try rows.nextRow() {
            // White space alone, or the empty row of delimiters a spreadsheet leaves (`,,,,`), is no row.
            if row.cells.allSatisfy({ CSVTable.trimmed($0).isEmpty }) { continue }
            guard row.cells.count == width else {
                problems.append(ImportProblem(line: row.line, reason: "\(row.cells.count) cells, the header has \(width)"))
                continue
            }
            // An export saved in another encoding must not import a mangled e-mail address or serial.
            guard !row.notUTF8 else {
                problems.append(ImportProblem(line: row.line, reason: "the row is not UTF-8 text"))
                continue
            }
            let cells = row.cells.map(CSVTable.trimmed)
            if let why = skip(cells) {
                skipped[why, default: 0] += 1
                continue
            }
            do throws(RowProblem) {
                let parsed = try parse(cells)
                if let key = note(parsed) { noted[key, default: 0] += 1 }
                batch.append((row.line, parsed))
            } catch {
                problems.append(ImportProblem(line: row.line, reason: error.reason))
            }
        }
        return batch.isEmpty ? nil : batch
    }
}

extension CSVError {
    /// The line, and the reason with the column where it is known.
    var importProblem: (Int, String) { (line, column.map { "\(reason) (column \($0))" } ?? reason) }

    /// An export the command line names that opened and cannot be read on (line 0: a folder, a
    /// failing disk) is a usage error, as one that does not open: no row of it is bad.
    func unreadable(_ url: URL) -> UsageError? {
        line == 0 ? UsageError(message: "\(url.path): \(reason)") : nil
    }
}

struct RowProblem: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
