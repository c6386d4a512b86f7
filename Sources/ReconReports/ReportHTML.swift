import Foundation
import ReconCore

/// `reports/D/report.html`: one self-contained page in Japanese for support staff — no
/// script, no external file, font or network; charts are inline SVG.
public struct ReportHTML: Sendable {
    public var texts: [ExceptionCode: ExceptionText]

    public init(texts: [ExceptionCode: ExceptionText]) {
        self.texts = texts
    }

    /// The sections every report has, by element id (a test checks them in a browser).
    public static let sectionIDs = ["totals", "lag-histogram", "exceptions-by-code", "open-by-age", "exception-table"]

    /// The page up to the exception table's rows, which `ExceptionTable` writes after it.
    /// - Parameter tableLines: how many exceptions the table will list.
    public func head(_ summary: DaySummary, tableLines: Int) -> [UInt8] {
        var html = """
            <!DOCTYPE html>
            <html lang="ja">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>決済照合レポート \(summary.date)</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            <header><h1>決済照合レポート <span class="date">\(summary.date)</span></h1>
            <p class="lead">ファイル \(summary.filesIngested) 件取込・\(summary.filesQuarantined) 件隔離・重複 \(summary.skippedDuplicates) 件 ／ 明細 \(summary.recordsTotal) 件（照合済み \(summary.recordsMatched) 件・対象外 \(summary.recordsForeign) 件）／ ライセンス延長 \(summary.licensesExtended) 件・完了メール \(summary.mailsWritten) 件 ／ 未解決の例外 \(summary.openByCode.values.reduce(0, +)) 件</p>
            </header>
            <main>

            """
        html += totalsSection(summary)
        html += section("lag-histogram", "決済までの日数（注文日→計上日）",
                        ColumnChart(items: summary.lagHistogram.map { (Self.lagLabel($0.bucket), $0.count) }).svg)
        let byCode = ExceptionCode.allCases.compactMap { code in summary.openByCode[code].map { (code, $0) } }
        html += section("exceptions-by-code", "未解決の例外（コード別）", byCode.isEmpty ? "<p class=\"none\">未解決の例外はありません。</p>"
            : BarChart(items: byCode.map { ("\($0.0.rawValue)", Int128($0.1)) }, tone: "alert").svg)
        html += section("open-by-age", "未解決の例外（経過日数別）",
                        BarChart(items: summary.openByAge.map { ("\($0.bucket)日", Int128($0.count)) }, tone: "age").svg)
        html += tableLines == 0 ? section("exception-table", "例外一覧", "<p class=\"none\">例外はありません。</p>")
            : "<section id=\"exception-table\"><h2>例外一覧（コード別）</h2>\n"
        return Array(html.utf8)
    }

    /// The exception table's rows, a section per code, written as the rows come in report order;
    /// `end` closes the page.
    public struct ExceptionTable {
        let texts: [ExceptionCode: ExceptionText]
        private var code: ExceptionCode?

        public init(texts: [ExceptionCode: ExceptionText]) {
            self.texts = texts
        }

        public mutating func add(_ row: ExceptionRow) -> [UInt8] {
            var body = ""
            if row.facts.code != code {
                if code != nil { body += "</tbody></table></section>" }
                code = row.facts.code
                let text = texts[row.facts.code] ?? ExceptionText.defaults[row.facts.code]
                body += "<section class=\"code\" id=\"code-\(row.facts.code.rawValue)\"><h3><code>\(row.facts.code.rawValue)</code> \(ReportHTML.escape(text?.summaryJa ?? ""))</h3>"
                body += "<p class=\"action\">対応：\(ReportHTML.escape(text?.actionJa ?? ""))</p>"
                body += "<table><thead><tr><th>例外ID</th><th>状態</th><th>注文番号</th><th>シリアル番号</th><th>取引ID</th><th>金額</th><th>注文金額</th><th>注文日</th><th>計上日</th><th>日数</th><th>候補</th><th>ファイル</th><th>初回</th><th>最終</th><th>メール</th></tr></thead><tbody>"
            }
            let cells = ExceptionsCSV(texts: texts).cells(row)
            let file = row.facts.fileName.map { name in name + (row.facts.line.map { ":\($0)" } ?? "") } ?? ""
            let values = [cells[0], ReportHTML.statusLabel(row.status), cells[6], cells[7], cells[8],
                          ReportHTML.grouped(cells[11]) + (cells[13].isEmpty ? "" : " " + cells[13]),
                          cells[12].isEmpty ? "" : ReportHTML.grouped(cells[12]) + " " + (row.facts.expectedCurrency ?? cells[13]),
                          cells[14], cells[15],
                          cells[16], cells[17], file, cells[18], cells[19], cells[20]]
            body += "<tr class=\"\(row.status)\">" + values.map { "<td>\(ReportHTML.escape($0))</td>" }.joined() + "</tr>"
            if let detail = row.facts.detail {
                body += "<tr class=\"detail\"><td colspan=\"15\">\(ReportHTML.escape(detail))</td></tr>"
            }
            return Array(body.utf8)
        }

        /// The end of the table, when it had rows, and of the page.
        public func end() -> [UInt8] {
            Array(((code == nil ? "" : "</tbody></table></section>\n</section>\n") + "</main>\n</body>\n</html>\n").utf8)
        }
    }

    private func totalsSection(_ summary: DaySummary) -> String {
        guard !summary.totals.isEmpty else { return section("totals", "本日の入金", "<p class=\"none\">本日取り込んだ明細はありません。</p>") }
        var body = "<table><thead><tr><th>通貨</th><th>入金</th><th>照合済み</th><th>保留</th><th>返金等</th><th>対象外</th></tr></thead><tbody>"
        var charts = ""
        for (code, sums) in summary.totals.sorted(by: { $0.key < $1.key }) {
            let exponent = Currency(code: code)?.exponent ?? 0
            func amount(_ minor: Int128) -> String { Self.grouped(Money.format(minor, exponent: exponent)) }
            body += "<tr><th>\(Self.escape(code))</th><td>\(amount(sums.received))</td><td>\(amount(sums.matched))</td><td>\(amount(sums.held))</td><td>\(amount(sums.refunded))</td><td>\(amount(sums.foreign))</td></tr>"
            charts += "<h3>\(Self.escape(code))</h3>" + BarChart(items: [
                ("照合済み", sums.matched), ("保留", sums.held), ("返金等", sums.refunded), ("対象外", sums.foreign),
            ], tone: "money", format: amount).svg
        }
        body += "</tbody></table>" + charts
        return section("totals", "本日の入金", body)
    }

    private func section(_ id: String, _ title: String, _ body: String) -> String {
        "<section id=\"\(id)\"><h2>\(title)</h2>\n\(body)\n</section>\n"
    }

    static func lagLabel(_ bucket: String) -> String {
        switch bucket {
        case "early": "注文日前"
        case "late": "期間超過"
        default: "\(bucket)日"
        }
    }

    static func statusLabel(_ status: String) -> String {
        switch status {
        case "open": "未解決"
        case "resolved": "解決済み"
        case "dismissed": "対応不要"
        default: status
        }
    }

    /// `12345.67` → `12,345.67`.
    static func grouped(_ decimal: String) -> String {
        guard let first = decimal.first, first.isNumber || first == "-" else { return decimal }
        let parts = decimal.split(separator: ".", maxSplits: 1)
        let digits = Array(parts[0])
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0, digits[index - 1] != "-" { out.append(",") }
            out.append(digit)
        }
        return parts.count > 1 ? out + "." + parts[1] : out
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static let style = """
        body{font-family:"Noto Sans CJK JP","Hiragino Sans","Yu Gothic",Meiryo,sans-serif;margin:0;color:#1d2733;background:#f5f7fa;font-size:14px}
        header{background:#12355b;color:#fff;padding:16px 24px}h1{margin:0;font-size:22px}.lead{margin:6px 0 0;opacity:.9}
        main{padding:8px 24px 32px;max-width:1400px}section{background:#fff;border-radius:8px;margin:16px 0;padding:12px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
        h2{font-size:17px;margin:4px 0 12px;border-left:4px solid #12355b;padding-left:8px}h3{font-size:15px;margin:14px 0 6px}
        table{border-collapse:collapse;width:100%;font-size:12.5px}th,td{border-bottom:1px solid #e3e8ef;padding:4px 6px;text-align:left;white-space:nowrap}
        thead th{background:#eef2f7}td:nth-child(n+6){font-variant-numeric:tabular-nums}tr.resolved td{color:#7b8794}tr.dismissed td{color:#7b8794;font-style:italic}
        tr.detail td{color:#8a4b00;white-space:normal;border-bottom:1px solid #e3e8ef}.action{margin:0 0 6px;color:#8a4b00}.none{color:#52606d}
        section.code{box-shadow:none;padding:0;margin:8px 0 18px;overflow-x:auto}svg text{font-size:12px;fill:#1d2733}
        """
}
