/// Horizontal bars with a label and a value each, as inline SVG.
struct BarChart {
    /// 128 bits: a day's sum of amounts may pass 64 (`DaySummary.Totals`), and a bar's length
    /// multiplies its value by the chart's width.
    var items: [(label: String, value: Int128)]
    var tone = "money"
    var format: (Int128) -> String = { String($0) }

    var svg: String {
        let width = 640, labelWidth = 190, valueWidth = 110, barHeight = 20, gap = 6
        let height = max(1, items.count) * (barHeight + gap) + gap
        let maximum = max(1, items.map(\.value).max() ?? 1)
        let colour = ["money": "#2f7dd1", "alert": "#d1493f", "age": "#e0962f"][tone] ?? "#2f7dd1"
        var out = "<svg role=\"img\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
        for (index, item) in items.enumerated() {
            let y = gap + index * (barHeight + gap)
            let length = item.value <= 0 ? 0 : max(2, Int(Int128(width - labelWidth - valueWidth) * item.value / maximum))
            out += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 14)\" text-anchor=\"end\">\(ReportHTML.escape(item.label))</text>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(length)\" height=\"\(barHeight)\" rx=\"3\" fill=\"\(colour)\"/>"
            out += "<text x=\"\(labelWidth + length + 6)\" y=\"\(y + 14)\">\(ReportHTML.escape(format(item.value)))</text>"
        }
        return out + "</svg>"
    }
}

/// Vertical columns (a histogram), as inline SVG.
struct ColumnChart {
    var items: [(label: String, count: Int)]

    var svg: String {
        let column = 56, gap = 14, chartHeight = 160, top = 20, bottom = 24
        let width = items.count * (column + gap) + gap
        let height = top + chartHeight + bottom
        let maximum = max(1, items.map(\.count).max() ?? 1)
        var out = "<svg role=\"img\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
        out += "<line x1=\"0\" y1=\"\(top + chartHeight)\" x2=\"\(width)\" y2=\"\(top + chartHeight)\" stroke=\"#9aa5b1\"/>"
        for (index, item) in items.enumerated() {
            let x = gap + index * (column + gap)
            let barHeight = item.count <= 0 ? 0 : max(2, chartHeight * item.count / maximum)
            let colour = index == 0 || index == items.count - 1 ? "#d1493f" : "#2f7dd1"
            out += "<rect x=\"\(x)\" y=\"\(top + chartHeight - barHeight)\" width=\"\(column)\" height=\"\(barHeight)\" rx=\"3\" fill=\"\(colour)\"/>"
            out += "<text x=\"\(x + column / 2)\" y=\"\(top + chartHeight - barHeight - 5)\" text-anchor=\"middle\">\(item.count)</text>"
            out += "<text x=\"\(x + column / 2)\" y=\"\(top + chartHeight + 17)\" text-anchor=\"middle\">\(ReportHTML.escape(item.label))</text>"
        }
        return out + "</svg>"
    }
}
