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
        /// Whether a cell held bytes that are no UTF-8 (read as U+FFFD). Settlement reports are
        /// decoded before they get here; an import reads its bytes as they are.
        public var notUTF8 = false
    }

    public var rows: [Row]

    /// `cell.trimmingCharacters(in: .whitespaces)`, without Foundation's cost for the usual
    /// cell, which starts and ends with a visible ASCII character (a million-row export has
    /// ten million cells).
    public static func trimmed(_ cell: String) -> String {
        guard let first = cell.utf8.first, let last = cell.utf8.last else { return cell }
        if first > 0x20, first < 0x80, last > 0x20, last < 0x80 { return cell }
        return cell.trimmingCharacters(in: .whitespaces)
    }

    /// What a line before a header may hold and still be blank: white space and delimiters of
    /// any kind (`,,,,` is the empty row Excel writes above a header). The format check, the
    /// reader and a rejection's count of cells all go by these.
    static let blankLineBytes: Set<UInt8> = [0x20, 0x09, UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "|")]

    /// The delimiters among `blankLineBytes`.
    static let delimiters: [Character] = [",", ";", "\t", "|"]

    /// Whether `text` holds nothing but white space and delimiters.
    static func isBlankLine(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy(blankLineBytes.contains)
    }

    /// Parses `text`; blank lines are dropped.
    public init(text: String, delimiter: Character = ",") throws(CSVError) {
        var rows: [Row] = []
        var reader = CSVRowReader(delimiter: delimiter.asciiValue ?? UInt8(ascii: ","))
        try reader.feed(Array(text.utf8)) { rows.append($0) }
        try reader.finish { rows.append($0) }
        self.rows = rows
    }
}

/// The rows of a CSV file read a few MiB at a time, so a large export needs neither the file
/// nor a table in memory. A UTF-8 byte order mark is skipped.
public final class CSVFileRows {
    private let chunks: FileChunks
    private var reader: CSVRowReader
    private var ready: [CSVTable.Row] = []
    private var next = 0
    private var atStart = true, atEnd = false
    /// Where the file stopped reading: thrown once the rows before it are handed out, so that
    /// an import refused there lists their problems too (SPEC §3.2: every bad row).
    private var stop: CSVError?

    public init(url: URL, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        chunks = try FileChunks(url, size: 4 << 20)
        reader = CSVRowReader(delimiter: delimiter)
    }

    /// The next row, or nil at the end of the file.
    /// - Throws: `CSVError` for a malformed file, or one that cannot be read on (line 0).
    public func nextRow() throws(CSVError) -> CSVTable.Row? {
        while next == ready.count {
            if let stop { throw stop }
            guard !atEnd else { return nil }
            ready.removeAll(keepingCapacity: true)
            next = 0
            let chunk: [UInt8]?
            do {
                chunk = try chunks.read()
            } catch {
                throw CSVError(reason: "the file cannot be read (\(error.reason))", line: 0)
            }
            do throws(CSVError) {
                if var bytes = chunk {
                    if atStart, bytes.starts(with: UTF8.byteOrderMark) { bytes.removeFirst(UTF8.byteOrderMark.count) }
                    atStart = false
                    try reader.feed(bytes) { ready.append($0) }
                } else {
                    atEnd = true
                    try reader.finish { ready.append($0) }
                }
            } catch {
                stop = error
            }
        }
        defer { next += 1 }
        return ready[next]
    }
}

/// The RFC 4180 state machine behind `CSVTable`, fed a chunk at a time: a quote or a line
/// break split across two chunks reads the same as in one.
public struct CSVRowReader: Sendable {
    private let delimiter: UInt8
    private var cells: [String] = []
    private var cell: [UInt8] = []
    /// The line being read (1-based).
    public private(set) var line = 1
    /// The characters of that line read so far.
    public private(set) var column = 0
    /// The line the current row started on.
    private var rowLine = 1
    private var inQuotes = false, quotedCell = false, rowNotUTF8 = false
    /// A quote inside quotes whose meaning (escaped `""` or closing) the next byte decides.
    private var pendingQuote = false
    /// A CR that ended a row; an LF right after it belongs to the same line break.
    private var pendingCR = false
    /// The last byte inside quotes was a CR (a CRLF there counts as one line).
    private var quotedCR = false
    /// Where the open quoted cell's quote stands, for the error if it is never closed.
    private var quoteLine = 1, quoteColumn = 0
    /// The bytes of the row being read: a hostile file's endless cell or row is refused at
    /// `maxRowBytes`, so memory stays bounded whatever the file's size (SPEC §3.1).
    private var rowBytes = 0
    /// A settlement report's row is a few hundred bytes; a megabyte is none.
    public static let maxRowBytes = 1 << 20

    public init(delimiter: UInt8 = UInt8(ascii: ",")) { self.delimiter = delimiter }

    public mutating func feed(_ bytes: [UInt8], _ body: (CSVTable.Row) -> Void) throws(CSVError) {
        let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        for byte in bytes {
            if pendingCR {
                pendingCR = false
                if byte == lf { continue }
            }
            // A character starts at every byte but a UTF-8 continuation byte; a line break is none.
            if byte & 0xC0 != 0x80, byte != cr, byte != lf { column += 1 }
            if byte == 0 { throw CSVError(reason: "a NUL byte: binary content, or text in UTF-16 (save it as UTF-8)", line: line, column: column) }
            rowBytes += 1
            if rowBytes > Self.maxRowBytes {
                throw CSVError(reason: "a row longer than \(Self.maxRowBytes >> 20) MiB (a quote never closed?)", line: line,
                               column: column)
            }
            if pendingQuote {
                pendingQuote = false
                if byte == quote {
                    cell.append(quote)
                    continue
                }
                inQuotes = false
            }
            if inQuotes {
                if byte == quote {
                    pendingQuote = true
                } else {
                    if byte == cr || (byte == lf && !quotedCR) { nextLine() }
                    cell.append(byte)
                }
                quotedCR = byte == cr
                continue
            }
            switch byte {
            case quote where cell.isEmpty && !quotedCell:
                inQuotes = true
                quotedCell = true
                (quoteLine, quoteColumn) = (line, column)
            case quote:
                throw CSVError(reason: "a quote inside an unquoted cell", line: line, column: column)
            case delimiter:
                endCell()
                quotedCell = false
            case cr, lf:
                pendingCR = byte == cr
                endRow(body)
                nextLine()
                rowLine = line
            default:
                if quotedCell { throw CSVError(reason: "text after a closing quote", line: line, column: column) }
                cell.append(byte)
            }
        }
    }

    /// Ends the input: the last row, or the error of a quoted cell never closed.
    public mutating func finish(_ body: (CSVTable.Row) -> Void) throws(CSVError) {
        if pendingQuote {
            pendingQuote = false
            inQuotes = false
        }
        if inQuotes { throw CSVError(reason: "a quoted cell is not closed", line: quoteLine, column: quoteColumn) }
        if !cell.isEmpty || !cells.isEmpty || quotedCell { endRow(body) }
    }

    private mutating func nextLine() {
        line += 1
        column = 0
    }

    private mutating func endCell() {
        if let text = String(validating: cell, as: UTF8.self) {
            cells.append(text)
        } else {
            cells.append(String(decoding: cell, as: UTF8.self))
            rowNotUTF8 = true
        }
        cell.removeAll(keepingCapacity: true)
    }

    private mutating func endRow(_ body: (CSVTable.Row) -> Void) {
        endCell()
        if !(cells.count == 1 && cells[0].isEmpty && !quotedCell) {
            body(CSVTable.Row(line: rowLine, cells: cells, notUTF8: rowNotUTF8))
        }
        cells.removeAll(keepingCapacity: true)
        rowNotUTF8 = false
        quotedCell = false
        rowBytes = 0
    }
}

/// A CSV that does not parse, with the line (and where known the character) where it breaks.
public struct CSVError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var line: Int
    public var column: Int?

    public init(reason: String, line: Int, column: Int? = nil) {
        self.reason = reason
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line)" + (column.map { ", column \($0)" } ?? "") + ": \(reason)" }
}
