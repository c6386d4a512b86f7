import Foundation

/// A calendar date without a time of day (`YYYY-MM-DD`): a business, placed, booking or expiry date.
///
/// Arithmetic is done on a proleptic Gregorian day number, so it never depends on the
/// machine's time zone or calendar settings.
public struct BusinessDate: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...BusinessDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(iso text: some StringProtocol) {
        let parsed = text.utf8.withContiguousStorageIfAvailable(Self.parts) ?? Array(text.utf8).withUnsafeBufferPointer(Self.parts)
        guard let parsed else { return nil }
        self.init(year: parsed.year, month: parsed.month, day: parsed.day)
    }

    private static func parts(_ bytes: UnsafeBufferPointer<UInt8>) -> (year: Int, month: Int, day: Int)? {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = number(bytes[0..<4]), let month = number(bytes[5..<7]), let day = number(bytes[8..<10]) else {
            return nil
        }
        return (year, month, day)
    }

    /// The date of day number `dayNumber` (0 = 1970-01-01).
    public init(dayNumber: Int) {
        // Howard Hinnant's civil_from_days.
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    /// The calendar date of `instant` in `timeZone`.
    public init(instant: Date, in timeZone: TimeZone) {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + timeZone.secondsFromGMT(for: instant)
        self.init(dayNumber: Int((Double(seconds) / 86_400).rounded(.down)))
    }

    /// The calendar date of `instant` in `timeZone`, where it falls within the years 1–9999
    /// that every date of the store is written in: 9999-12-31T20:00:00Z is 10000-01-01 in Tokyo,
    /// which would print as year 0000.
    public init?(ofWritten instant: Date, in timeZone: TimeZone) {
        self.init(instant: instant, in: timeZone)
        guard (1...9999).contains(year) else { return nil }
    }

    /// Days since 1970-01-01.
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public func adding(days: Int) -> BusinessDate { BusinessDate(dayNumber: dayNumber + days) }

    /// Each date from this one to `end`, both included; none when `end` is earlier.
    public func through(_ end: BusinessDate) -> [BusinessDate] {
        (dayNumber..<max(dayNumber, end.dayNumber + 1)).map(BusinessDate.init(dayNumber:))
    }

    /// Adds calendar years; 29 February becomes 28 February in a common year. Nil past
    /// 9999-12-31 or before 0001-01-01, which no date here may be (it used to give the date back
    /// unchanged: a license at 9999-12-31 renewed for 3 years kept its expiry, and its mail said
    /// it was renewed).
    public func adding(years: Int) -> BusinessDate? {
        let target = year + years
        let lastDay = BusinessDate.daysIn(month: month, year: target)
        return BusinessDate(year: target, month: month, day: min(day, lastDay))
    }

    /// `self − other` in calendar days.
    public func days(since other: BusinessDate) -> Int { dayNumber - other.dayNumber }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var isoWeekday: Int { ((dayNumber % 7 + 7) % 7 + 3) % 7 + 1 }

    /// `YYYY-MM-DD`, written digit by digit: a day's outputs print millions of dates.
    public var description: String {
        String(unsafeUninitializedCapacity: 10) { text in
            func put(_ value: Int, at end: Int, width: Int) {
                var value = value
                for index in stride(from: end - 1, through: end - width, by: -1) {
                    text[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, at: 4, width: 4)
            text[4] = UInt8(ascii: "-")
            put(month, at: 7, width: 2)
            text[7] = UInt8(ascii: "-")
            put(day, at: 10, width: 2)
            return 10
        }
    }

    public static func < (lhs: BusinessDate, rhs: BusinessDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = BusinessDate(iso: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a date YYYY-MM-DD"))
        }
        self = date
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Decimal digits as a number; nil for anything else (`Timestamp` reads its parts with it).
    static func number(_ bytes: some Collection<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
