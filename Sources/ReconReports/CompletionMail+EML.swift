import Foundation
import ReconCore

/// `mail/D/eml/<order_id>.eml`: the completion mail as an RFC 5322 / MIME message.
extension CompletionMailRenderer {
    /// - Parameter timeZone: the zone of the `Date` header (the business time zone).
    public func eml(_ mail: OutboxMail, timeZone: TimeZone) -> Data {
        let payload = payload(mail)
        let domain = settings.from.split(separator: "@").last.map(String.init) ?? "localhost"
        let headers = [
            "From: \(payload.from)",
            "To: " + Self.headerValue(payload.to),
            "Subject: " + Self.encodedWords(payload.subject),
            "Date: " + Self.rfc5322Date(mail.extensionRecord.appliedAt, in: timeZone),
            "Message-ID: <\(Self.token(payload.idempotencyKey)).completion@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
        ]
        // The text exactly as the JSONL has it, in base64 lines of 76: a MIME parser reads back
        // the same text (SPEC §5), line ends included, where CRLF line ends (MIME's canonical
        // text) would read back other than the JSONL's.
        let body = Data(payload.text.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn,
                                                                          .endLineWithLineFeed])
        return Data((headers.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n").utf8)
    }

    /// An order id as a file name and a `Message-ID` part: the id itself where it holds only
    /// letters, digits, `-` and `_`; else each other byte as `%XX` (a dot too: no hidden file, no
    /// `..` in a Message-ID), and an empty id as `%`. No id written into the store by hand can
    /// name another folder or break a header.
    public static func token(_ orderID: String) -> String {
        guard !orderID.isEmpty else { return "%" }
        // Never nil for a Swift String (valid Unicode); `%` itself is escaped too.
        return orderID.addingPercentEncoding(withAllowedCharacters: tokenCharacters) ?? "%"
    }

    private static let tokenCharacters = CharacterSet(charactersIn: "-_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// A stored value as a header's: without control characters, so that an address written
    /// into the store by hand cannot add a header line.
    static func headerValue(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
    }

    /// RFC 2047 encoded words (plain ASCII too, so that no subject reads as an encoded word it
    /// is not, nor breaks its line), folded onto continuation lines of at most 76 characters.
    /// A word ends between characters as the reader sees them, but for one too long for a word
    /// of its own (a letter under many accents), which is split between its code points: RFC
    /// 2047 asks only that a word hold whole characters of its charset.
    static func encodedWords(_ text: String) -> String {
        var words: [String] = []
        var chunk = ""
        let pieces = text.flatMap { $0.utf8.count > 39 ? $0.unicodeScalars.map(String.init) : [String($0)] }
        for piece in pieces {
            let candidate = chunk + piece
            // "=?UTF-8?B?" + base64 + "?=" is 64 characters for 39 bytes: with "Subject: " in
            // front, the first line is 73.
            if candidate.utf8.count > 39, !chunk.isEmpty {
                words.append(chunk)
                chunk = piece
            } else {
                chunk = candidate
            }
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?" + Data($0.utf8).base64EncodedString() + "?=" }.joined(separator: "\r\n ")
    }

    /// `Fri, 20 Nov 2026 12:00:00 +0900`, written without locale data.
    static func rfc5322Date(_ instant: Date, in timeZone: TimeZone) -> String {
        let offset = timeZone.secondsFromGMT(for: instant)
        let local = Int(instant.timeIntervalSince1970.rounded(.down)) + offset
        let day = BusinessDate(dayNumber: Int((Double(local) / 86_400).rounded(.down)))
        let seconds = local - day.dayNumber * 86_400
        let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        let sign = offset < 0 ? "-" : "+"
        let zone = "\(sign)\(two(abs(offset) / 3600))\(two(abs(offset) % 3600 / 60))"
        return "\(weekdays[day.isoWeekday - 1]), \(day.day) \(months[day.month - 1]) \(day.year) "
            + "\(two(seconds / 3600)):\(two(seconds % 3600 / 60)):\(two(seconds % 60)) \(zone)"
    }
}
