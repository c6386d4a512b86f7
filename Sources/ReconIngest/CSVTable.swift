import Foundation

/// RFC 4180 rows: commas (or another delimiter), quotes and line breaks inside quotes.
///
/// Written by hand because the packages available to the build either load the whole file
/// into `String` cells without line numbers or do not report where a row starts, and the
/// error messages must name the line of every bad row.
public struct CSVTable: Sendable {
    public struct Row: Sendable {
        /// The line the row starts on (1-based).
        public var line: Int
        public var cells: [String]
    }

    public var rows: [Row]

    /// Parses `text`; blank lines are dropped.
    public init(text: String, delimiter: Character = ",") throws(CSVError) {
        var rows: [Row] = []
        var cells: [String] = []
        var cell = ""
        var inQuotes = false
        var line = 1
        var rowLine = 1
        var quotedCell = false
        var iterator = text.makeIterator()
        var pending: Character? = iterator.next()
        func endRow() {
            cells.append(cell)
            if !(cells.count == 1 && cells[0].isEmpty && !quotedCell) { rows.append(Row(line: rowLine, cells: cells)) }
            cells = []
            cell = ""
            quotedCell = false
        }
        while let character = pending {
            pending = iterator.next()
            if inQuotes {
                if character == "\"" {
                    if pending == "\"" {
                        cell.append("\"")
                        pending = iterator.next()
                    } else {
                        inQuotes = false
                    }
                } else {
                    if character == "\n" || character == "\r\n" || character == "\r" { line += 1 }
                    cell.append(character)
                }
                continue
            }
            switch character {
            case "\"" where cell.isEmpty && !quotedCell:
                inQuotes = true
                quotedCell = true
            case "\"":
                throw CSVError(reason: "a quote inside an unquoted cell", line: line)
            case delimiter:
                cells.append(cell)
                cell = ""
                quotedCell = false
            case "\n", "\r\n", "\r":
                endRow()
                line += 1
                rowLine = line
            default:
                if quotedCell { throw CSVError(reason: "text after a closing quote", line: line) }
                cell.append(character)
            }
        }
        if inQuotes { throw CSVError(reason: "a quoted cell is not closed", line: rowLine) }
        if !cell.isEmpty || !cells.isEmpty || quotedCell { endRow() }
        self.rows = rows
    }
}

/// A CSV that does not parse, with the line where it breaks.
public struct CSVError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var line: Int
    public var description: String { "line \(line): \(reason)" }
}
