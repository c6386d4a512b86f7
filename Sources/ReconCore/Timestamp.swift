import Foundation

/// An ISO 8601 date-time as written (`2026-11-15T10:42:13+09:00`, `…T23:00:00.000Z`,
/// or without an offset), read exactly.
///
/// Written by hand rather than with `ISO8601DateFormatter` because the rules need to know
/// whether an offset was written at all (SPEC §3.1: a `DtTm` without offset counts as
/// written) and the formatter cannot say so; it is also far slower on the hot parse path.
public struct Timestamp: Hashable, Sendable, CustomStringConvertible {
    /// The date and time of day as written.
    public let localDate: BusinessDate
    public let secondsOfDay: Int
    /// Offset from UTC in seconds, nil when none was written.
    public let offsetSeconds: Int?
    /// The text it was read from, kept for the store.
    public let text: String

    public init?(iso text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
              let date = BusinessDate(iso: text.prefix(10)),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let hour = BusinessDate.number(bytes[11..<13]), hour < 24,
              let minute = BusinessDate.number(bytes[14..<16]), minute < 60,
              let second = BusinessDate.number(bytes[17..<19]), second < 61 else { return nil }
        var index = 19
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            guard index > start else { return nil }
        }
        var offset: Int?
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"):
                guard index + 1 == bytes.count else { return nil }
                offset = 0
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let rest = bytes[(index + 1)...]
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                let h: Int?, m: Int?
                switch rest.count {
                case 5 where rest[rest.startIndex + 2] == UInt8(ascii: ":"):
                    h = BusinessDate.number(rest.prefix(2)); m = BusinessDate.number(rest.suffix(2))
                case 4:
                    h = BusinessDate.number(rest.prefix(2)); m = BusinessDate.number(rest.suffix(2))
                case 2:
                    h = BusinessDate.number(rest); m = 0
                default:
                    h = nil; m = nil
                }
                guard let h, let m, h <= 18, m < 60 else { return nil }
                offset = sign * (h * 3600 + m * 60)
            default:
                return nil
            }
        }
        self.localDate = date
        self.secondsOfDay = hour * 3600 + minute * 60 + min(second, 59)
        self.offsetSeconds = offset
        self.text = text
    }

    /// The instant, when an offset was written.
    public var instant: Date? {
        guard let offsetSeconds else { return nil }
        let seconds = localDate.dayNumber * 86_400 + secondsOfDay - offsetSeconds
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// The calendar date in `timeZone`; a time without offset counts as written there. nil where
    /// that date leaves the years 1–9999 (`BusinessDate(ofWritten:in:)`).
    public func date(in timeZone: TimeZone) -> BusinessDate? {
        guard let instant else { return localDate }
        return BusinessDate(ofWritten: instant, in: timeZone)
    }

    public var description: String { text }
}
