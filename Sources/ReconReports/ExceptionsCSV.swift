import Foundation
import ReconCore

/// `reports/D/exceptions.csv` for support staff in Excel (SPEC §5): UTF-8 with BOM, CRLF,
/// RFC 4180 quoting, and no cell that a spreadsheet would run as a formula.
public struct ExceptionsCSV: Sendable {
    public static let header = [
        "exception_id", "code", "status", "severity", "summary_ja", "action_ja", "order_id", "serial",
        "transaction_id", "file", "line", "amount", "expected_amount", "currency", "placed_on", "settled_on",
        "lag_days", "candidates", "first_seen", "last_seen", "email", "descriptor",
    ]

    /// `exception_texts`: the Japanese texts per code.
    public var texts: [ExceptionCode: ExceptionText]

    public init(texts: [ExceptionCode: ExceptionText]) {
        self.texts = texts
    }

    /// The byte-order mark and the header: what the file starts with.
    public static let head: [UInt8] = [0xEF, 0xBB, 0xBF] + line(header)

    /// One exception's line; the file lists them in `ExceptionRow.reportOrder`.
    public func line(_ row: ExceptionRow) -> [UInt8] {
        Self.line(cells(row))
    }

    /// The cells of `row`'s line, in `header` order, before quoting.
    public func cells(_ row: ExceptionRow) -> [String] {
        let facts = row.facts
        let text = texts[facts.code] ?? ExceptionText.defaults[facts.code]
        func amount(_ minor: Int64?, _ currency: String?) -> String {
            let exponent = currency.flatMap { Currency(code: $0) }?.exponent ?? 0
            return minor.map { Money.format($0.magnitude, exponent: exponent) } ?? ""
        }
        return [
            row.exceptionID, facts.code.rawValue, row.status, facts.severity.rawValue, text?.summaryJa ?? "",
            text?.actionJa ?? "", facts.orderID ?? "", facts.serial ?? "", facts.transactionID ?? "",
            facts.fileName ?? "", facts.line.map(String.init) ?? "", amount(facts.amountMinor, facts.currency),
            amount(facts.expectedAmountMinor, facts.expectedCurrency ?? facts.currency), facts.currency ?? "", facts.placedOn?.description ?? "",
            facts.settledOn?.description ?? "", facts.lagDays.map(String.init) ?? "",
            facts.candidates.joined(separator: " "), row.firstSeen.description, row.lastSeen.description,
            row.email ?? "", facts.descriptor ?? "",
        ]
    }

    static func line(_ cells: [String]) -> [UInt8] {
        Array((cells.map { quote(neutralise($0)) }.joined(separator: ",") + "\r\n").utf8)
    }

    /// Prefixes `'` to a cell that would start a formula, except a plain number.
    static func neutralise(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return cell }
        if cell.wholeMatch(of: /-?[0-9]+(\.[0-9]+)?/) != nil { return cell }
        return "'" + cell
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
    static func quote(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            return cell
        }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
