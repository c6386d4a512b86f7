import Foundation
import ReconCore

/// Reads a processor CSV report through a profile, a row at a time: the first row with text
/// names the columns; then one record per row of a credit or debit type.
struct CSVSettlementReader {
    let profile: CSVProfile
    let options: ReadOptions
    let references: OrderReferenceFinder
    /// The profile's `date_format`, read once for every row.
    private let dateFormat: CSVDateFormat
    /// Whether the profile splits amounts into credit and debit columns: without a type column,
    /// the column then says which way the money went.
    private let splitAmounts: Bool
    /// The header's column names, and the position of each.
    private var names: [String]?
    private var index: [String: Int] = [:]
    /// Why the file cannot be read, found in its header: rows after it are not read.
    private var headerRejection: FileRejection?
    private var counter = OrdinalCounter()
    /// Records handed on, and rows of a type that is skipped.
    private(set) var records = 0, skipped = 0

    init(profile: CSVProfile, options: ReadOptions, references: OrderReferenceFinder) {
        self.profile = profile
        self.options = options
        self.references = references
        dateFormat = CSVDateFormat(profile.dateFormat)
        splitAmounts = profile.columns[.creditAmount] != nil || profile.columns[.debitAmount] != nil
    }

    mutating func take(_ row: CSVTable.Row, emit: (SettlementRecord) -> Void) {
        guard let names else {
            var header = row.cells.map(CSVTable.trimmed)
            // Blank lines before it, as the format check reads them (`;;;;` above a
            // comma-delimited header too).
            guard !header.allSatisfy(CSVTable.isBlankLine) else { return }
            while header.last == "" { header.removeLast() }  // a trailing delimiter names no column
            index = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            self.names = header
            headerRejection = Self.columnNamedTwice(in: header, reading: profile.readColumns, line: row.line)
            return
        }
        guard headerRejection == nil else { return }
        let cells = row.cells
        func cell(_ column: String?) -> String? {
            guard let column, let position = index[column], position < cells.count else { return nil }
            let value = CSVTable.trimmed(cells[position])
            return value.isEmpty ? nil : value
        }
        func field(_ field: CSVProfile.Field) -> String? { cell(profile.columns[field]) }
        let ragged = cells.count < names.count || cells[names.count...].contains { !$0.isEmpty }
        // Without a type column a single amount column is a credit.
        var meaning: CSVProfile.TypeMeaning = splitAmounts ? .bySign : .credit
        if profile.columns[.type] != nil, !ragged {
            guard let type = field(.type), let known = profile.types[type], known != .skip else {
                skipped += 1
                return
            }
            meaning = known
        }
        var record = buildRecord(field: field, cell: cell, meaning: meaning, line: row.line)
        if ragged {
            record.problem = "the row has \(cells.count) cells, the header \(names.count)"
        }
        counter.assign(&record)
        records += 1
        emit(record)
    }

    /// - Throws: `FileRejection` when no row named the columns, or the header named a column
    ///   the profile reads twice.
    func finish() throws(FileRejection) {
        if names == nil { throw FileRejection(reason: "the CSV has no header", line: 1) }
        if let headerRejection { throw headerRejection }
    }

    /// A column the profile reads that the header names twice (an export's two "Merchant
    /// Reference" columns, one of them emptied or edited by hand): which one holds the value
    /// cannot be told, and reading the first would settle against what may be the wrong cell.
    /// Cells are counted from 1, as a spreadsheet's columns are.
    static func columnNamedTwice(in header: [String], reading columns: Set<String>, line: Int) -> FileRejection? {
        var first: [String: Int] = [:]
        for (position, name) in header.enumerated() where columns.contains(name) {
            if let earlier = first[name] {
                return FileRejection(reason: "the header names the column \"\(name)\" twice (cells \(earlier + 1) and "
                                         + "\(position + 1)): which one holds the value cannot be told", line: line)
            }
            first[name] = position
        }
        return nil
    }

    private func buildRecord(field: (CSVProfile.Field) -> String?, cell: (String?) -> String?,
                             meaning: CSVProfile.TypeMeaning, line: Int) -> SettlementRecord {
        var problem: String?
        var amountText = field(.amount) ?? ""
        var direction: Direction = meaning == .debit ? .debit : .credit
        if let split = Self.splitAmount(credit: field(.creditAmount), debit: field(.debitAmount)) {
            amountText = split.text
            if let other = split.alsoFilled {
                problem = "both the credit amount (\(split.text)) and the debit amount (\(other)) are filled"
            } else if meaning == .bySign {
                direction = split.column
            } else if split.column != direction {  // the type's own way
                problem = "a \(meaning.rawValue) type with its amount in the \(split.column.rawValue) column"
            }
        }
        if amountText.hasPrefix("-") {
            amountText.removeFirst()
            if meaning == .bySign { direction = .debit } else { problem = "a negative amount for a \(meaning.rawValue) type" }
        }
        let currencyCode = field(.currency)?.uppercased() ?? ""
        var amount: Money?
        if amountText.isEmpty {
            problem = problem ?? "no amount"
        } else if let currency = Currency(code: currencyCode) {
            do throws(AmountError) {
                amount = try Money.parse(amountText, currency: currency,
                                         decimalSeparator: profile.decimalSeparator.asciiValue ?? UInt8(ascii: "."))
            } catch {
                problem = problem ?? error.description
            }
        } else {
            problem = problem ?? "currency '\(currencyCode)' is not an ISO 4217 code"
        }
        var bookedOn: BusinessDate?
        var withoutZone: DateProblemText?
        for source in profile.bookingDates {
            guard let day = cell(source.column) else { continue }
            let value = if let time = cell(source.timeColumn) { day + " " + time } else { day }
            let read = date(value, zoneName: cell(source.zoneColumn), zoneColumn: source.zoneColumn)
            // A date-time without its zone is not present while another source may be (Adyen's
            // Booking Date without its zone gives way to Creation Date and TimeZone).
            if case .failure(let reason) = read, reason.zoneMissing {
                withoutZone = withoutZone ?? reason
                continue
            }
            switch read {
            case .success(let date): bookedOn = date
            case .failure(let reason): problem = problem ?? reason.description
            }
            break
        }
        if bookedOn == nil, let withoutZone { problem = problem ?? withoutZone.description }
        if bookedOn == nil { problem = problem ?? "no booking date" }
        let valueOn = field(.valueDate).flatMap { try? date($0, zoneName: nil).get() }
        let descriptor = field(.descriptor) ?? profile.descriptor ?? ""
        let reference = field(.orderReference) ?? references.firstReference(in: [descriptor])
        return SettlementRecord(transactionID: field(.transactionID), orderReference: reference, amountText: amountText,
                                currencyCode: currencyCode, amount: problem == nil ? amount : nil, direction: direction,
                                reversal: false, bookedOn: bookedOn, valueOn: valueOn, descriptor: descriptor, line: line,
                                originalPayment: field(.originalPayment), problem: problem)
    }

    /// The amount of a profile that splits it into credit and debit columns, and the column
    /// that holds it (which says which way the money went). Only one of the two may hold an
    /// amount: a zero beside an amount in the other is none, and where neither holds more than
    /// a zero, the credit's text stands (or the debit's, where the credit is empty). Where both
    /// hold one, the credit's is taken and `alsoFilled` gives the debit's.
    private static func splitAmount(credit: String?, debit: String?)
        -> (text: String, column: Direction, alsoFilled: String?)? {
        func amount(_ text: String?) -> String? { text.flatMap { $0.allSatisfy { "0.,".contains($0) } ? nil : $0 } }
        switch (amount(credit), amount(debit)) {
        case let (credit?, debit?): return (credit, .credit, debit)
        case let (credit?, nil): return (credit, .credit, nil)
        case let (nil, debit?): return (debit, .debit, nil)
        case (nil, nil):
            if let credit { return (credit, .credit, nil) }
            if let debit { return (debit, .debit, nil) }
            return nil
        }
    }

    /// A date as `date_format` writes it; with a time of day, converted from its zone to the
    /// settlement zone: UTC where the format writes `Z` (as ISO 8601 does). A time whose zone
    /// column is empty, where the profile names no zone of its own, is a problem: which day it
    /// was cannot be told.
    private func date(_ value: String, zoneName: String?, zoneColumn: String? = nil) -> Result<BusinessDate, DateProblemText> {
        guard let parsed = dateFormat.parse(value) else {
            return .failure(DateProblemText("date '\(value)' does not match the format \(profile.dateFormat)"))
        }
        guard let seconds = parsed.secondsOfDay else { return .success(parsed.date) }
        var zone = profile.timeZone ?? options.settlementTimeZone
        if dateFormat.writesUTC {
            zone = TimeZone(secondsFromGMT: 0)!
        } else if let zoneColumn, zoneName == nil, profile.timeZone == nil {
            return .failure(DateProblemText("the time '\(value)' has no time zone (no \(zoneColumn))", zoneMissing: true))
        } else if let zoneName {
            guard let named = TimeZone(identifier: zoneName) ?? TimeZone(abbreviation: zoneName) else {
                return .failure(DateProblemText("time zone '\(zoneName)' is unknown"))
            }
            zone = named
        }
        // The local time's offset in its zone, then the instant's date in the settlement zone.
        let guess = Date(timeIntervalSince1970: TimeInterval(parsed.date.dayNumber * 86_400 + seconds))
        let offset = zone.secondsFromGMT(for: guess.addingTimeInterval(-TimeInterval(zone.secondsFromGMT(for: guess))))
        let instant = guess.addingTimeInterval(-TimeInterval(offset))
        guard let date = BusinessDate(ofWritten: instant, in: options.settlementTimeZone) else {
            return .failure(DateProblemText("date '\(value)' falls after 9999-12-31 or before 0001-01-01 in \(options.settlementTimeZone.identifier)"))
        }
        return .success(date)
    }
}

struct DateProblemText: Error, CustomStringConvertible {
    let description: String
    /// A time whose zone is nowhere: another date source may still give the date.
    var zoneMissing = false
    init(_ description: String, zoneMissing: Bool = false) {
        self.description = description
        self.zoneMissing = zoneMissing
    }
}

/// A small date pattern: `yyyy`, `MM` or `M`, `dd` or `d`, `HH` or `H`, `mm` or `m`, `ss` or
/// `s`; any other character is literal (a profile's format may hold no other letter than `T`
/// and `Z`, `problem(with:)`). A doubled letter reads two digits, a single one one or two
/// (`M/d/yyyy` reads `9/4/2018` and `9/11/2018`, as processors write them).
public struct CSVDateFormat {
    /// The pattern as runs of one character: a field's letters (`yMdHms`), or literal text.
    private let runs: [(character: Character, length: Int)]

    public init(_ format: String) {
        var runs: [(character: Character, length: Int)] = []
        for character in format {
            if let last = runs.last, last.character == character {
                runs[runs.count - 1].length += 1
            } else {
                runs.append((character, 1))
            }
        }
        self.runs = runs
    }

    private static func isField(_ character: Character) -> Bool { "yMdHms".contains(character) }

    /// Whether the pattern writes a literal `Z`: its times are UTC (ISO 8601's `Z`).
    var writesUTC: Bool { runs.contains { $0.character == "Z" } }

    /// Why `format` cannot be a profile's `date_format`, or nil when it can.
    public static func problem(with format: String) -> String? {
        var fields: [Character: [Int]] = [:]
        for run in CSVDateFormat(format).runs where isField(run.character) { fields[run.character, default: []].append(run.length) }
        for (token, name) in [("y", "year"), ("M", "month"), ("d", "day")] where fields[Character(token)] == nil {
            return "'\(format)' has no \(name) (use yyyy, MM and dd)"
        }
        if fields["y"] != [4] { return "'\(format)' must write the year once, as yyyy" }
        // Any other character is literal text; a letter there is most likely a field this
        // small pattern does not read (S, a, E), which would refuse every row.
        if let letter = format.first(where: { $0.isASCII && $0.isLetter && !"yMdHmsTZ".contains($0) }) {
            return "'\(format)' has '\(letter)', which is no field (yyyy MM dd HH mm ss) nor literal T or Z"
        }
        for token in "MdHms" where (fields[token] ?? []).count > 1 || (fields[token] ?? []).contains(where: { $0 > 2 }) {
            return "'\(format)' must write \(token) once, as \(token) or \(token)\(token)"
        }
        if fields["H"] == nil, fields["m"] != nil || fields["s"] != nil { return "'\(format)' has minutes or seconds but no hour (HH)" }
        return nil
    }

    /// Reads `value` byte by byte: a CSV report calls this for every row, so it builds no
    /// array or dictionary per value.
    func parse(_ value: String) -> (date: BusinessDate, secondsOfDay: Int?)? {
        var value = value
        return value.withUTF8 { text -> (date: BusinessDate, secondsOfDay: Int?)? in
            func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
            var year: Int?, month: Int?, day: Int?, hour: Int?, minute: Int?, second: Int?
            var position = 0
            for (token, run) in runs {
                guard Self.isField(token) else {
                    let literal = token.utf8
                    for _ in 0..<run {
                        guard text.count - position >= literal.count,
                              text[position..<position + literal.count].elementsEqual(literal) else { return nil }
                        position += literal.count
                    }
                    continue
                }
                var end = position + run
                if run == 1, token != "y", position + 1 < text.count, isDigit(text[position + 1]) { end = position + 2 }
                guard end <= text.count, text[position..<end].allSatisfy(isDigit) else { return nil }
                let number = text[position..<end].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
                switch token {
                case "y": year = number
                case "M": month = number
                case "d": day = number
                case "H": hour = number
                case "m": minute = number
                default: second = number
                }
                position = end
            }
            guard position == text.count, let year, let month, let day,
                  let date = BusinessDate(year: year, month: month, day: day) else { return nil }
            guard let hour else { return (date, nil) }
            let (minutes, seconds) = (minute ?? 0, second ?? 0)
            guard hour < 24, minutes < 60, seconds < 61 else { return nil }
            return (date, hour * 3600 + minutes * 60 + min(seconds, 59))
        }
    }
}
