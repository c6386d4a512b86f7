import Foundation

/// RFC 4180 rows: a delimiter, quotes and line breaks inside quotes; read from UTF-8 bytes.
///
/// Written by hand because the CSV packages available to the build either load cells as
/// `Character`s (too slow for a million-row export) or do not report where a row starts,
/// and the error messages must name the line of every bad row.
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
        try Self.forEachRow(Array(text.utf8), delimiter: delimiter.asciiValue ?? UInt8(ascii: ",")) { rows.append($0) }
        self.rows = rows
    }

    /// Calls `body` with each row of `bytes` as it is read, so a large file needs no table in memory.
    public static func forEachRow(_ bytes: [UInt8], delimiter: UInt8 = UInt8(ascii: ","),
                                  _ body: (Row) throws(CSVError) -> Void) throws(CSVError) {
        let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var cells: [String] = []
        var cell: [UInt8] = []
        var line = 1, rowLine = 1
        var inQuotes = false, quotedCell = false
        var index = 0
        func endCell() {
            cells.append(String(decoding: cell, as: UTF8.self))
            cell.removeAll(keepingCapacity: true)
        }
        func endRow() throws(CSVError) {
            endCell()
            if !(cells.count == 1 && cells[0].isEmpty && !quotedCell) { try body(Row(line: rowLine, cells: cells)) }
            cells.removeAll(keepingCapacity: true)
            quotedCell = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inQuotes {
                if byte == quote {
                    if index < bytes.count, bytes[index] == quote {
                        cell.append(quote)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if byte == lf || (byte == cr && (index >= bytes.count || bytes[index] != lf)) { line += 1 }
                    cell.append(byte)
                }
                continue
            }
            switch byte {
            case quote where cell.isEmpty && !quotedCell:
                inQuotes = true
                quotedCell = true
            case quote:
                throw CSVError(reason: "a quote inside an unquoted cell", line: line)
            case delimiter:
                endCell()
                quotedCell = false
            case cr, lf:
                if byte == cr, index < bytes.count, bytes[index] == lf { index += 1 }
                try endRow()
                line += 1
                rowLine = line
            default:
                if quotedCell { throw CSVError(reason: "text after a closing quote", line: line) }
                cell.append(byte)
            }
        }
        if inQuotes { throw CSVError(reason: "a quoted cell is not closed", line: rowLine) }
        if !cell.isEmpty || !cells.isEmpty || quotedCell { try endRow() }
    }
}

/// A CSV that does not parse, with the line where it breaks.
public struct CSVError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var line: Int
    public var description: String { "line \(line): \(reason)" }
}
