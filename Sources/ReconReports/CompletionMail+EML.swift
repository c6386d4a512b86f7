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
            "To: \(payload.to)",
            "Subject: " + Self.encodedWords(payload.subject),
            "Date: " + Self.rfc5322Date(mail.extensionRecord.appliedAt, in: timeZone),
            "Message-ID: <\(payload.idempotencyKey).completion@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
        ]
        // Canonical MIME text: CRLF line ends, then base64 in lines of 76.
        let canonical = Data(payload.text.replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\n", with: "\r\n").utf8)
        let body = canonical.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return Data((headers.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n").utf8)
    }

    /// RFC 2047 encoded words, each at most 75 characters, folded onto continuation lines.
    static func encodedWords(_ text: String) -> String {
        guard !text.allSatisfy({ $0.isASCII && !$0.isNewline }) else { return text }
        var words: [String] = []
        var chunk = ""
        for character in text {
            let candidate = chunk + String(character)
            // "=?UTF-8?B?" + base64 + "?=" stays within 75 when the chunk is at most 45 bytes.
            if candidate.utf8.count > 45 {
                words.append(chunk)
                chunk = String(character)
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
