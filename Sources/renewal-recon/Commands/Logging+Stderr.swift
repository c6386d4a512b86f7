import Foundation
import Logging

/// The log lines of the job on stderr, as text or as one JSON object a line (`--log-format`).
/// Messages and metadata never carry e-mail addresses or card data: callers log ids only.
struct StderrLogHandler: LogHandler {
    enum Format: String, CaseIterable, Sendable { case text, json }

    let label: String
    let format: Format
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let level = event.level
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            .mapValues { Logger.MetadataValue.string(Redaction.apply("\($0)")) }
        let message = Logger.Message(stringLiteral: Redaction.apply(event.message.description))
        let time = Date().formatted(.iso8601)
        var text: String
        switch format {
        case .text:
            // One event, one line: a file name holding a line break would otherwise write a
            // line of its own that reads as another event ("run finished files.ingested=99").
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(Console.logValue("\($0.value)"))" }.joined(separator: " ")
            text = "\(time) \(level) \(Console.oneLine(message.description, backslash: false))" + (fields.isEmpty ? "" : " " + fields)
        case .json:
            var object: [String: String] = ["time": time, "level": level.rawValue, "message": message.description]
            for (key, value) in merged { object[key] = value.description }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            text = String(decoding: data, as: UTF8.self)
        }
        Console.error((Self.erasesProgress ? Progress.eraseLine : "") + text + "\n")
    }

    /// On a terminal, a log line first erases the progress line it would otherwise run on
    /// from; the progress is drawn again at its next step.
    private static let erasesProgress = isatty(STDERR_FILENO) == 1
}

/// The job's stderr, which may be gone: a log reader that died leaves a closed pipe. The
/// commands that change the store ignore SIGPIPE (`RenewalRecon.main`), so a write there
/// fails instead of ending the process; the line is lost, and the work goes on. (Foundation's
/// `FileHandle.write(_:)` would trap on that failure.)
enum Console {
    static func error(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }

    /// `value` on one line of a terminal: a tab or line break escaped as in Swift, and any
    /// other control character (an escape sequence in a processor's file name, a Unicode line
    /// separator) as `\u{…}`; a backslash doubled too where `backslash` (so that the escapes
    /// read back unambiguously: `exceptions show`), not in a log line.
    static func oneLine(_ value: String, backslash: Bool = true) -> String {
        var escaped = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\" where backslash: escaped += "\\\\"
            case "\t": escaped += "\\t"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case _ where breaksLine(scalar):
                escaped += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// A control character, or a Unicode line or paragraph separator: what would break or
    /// garble a line of a terminal or a log.
    static func breaksLine(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// A metadata value of a text log line, as logfmt writes it: as it is where it is one word
    /// of plain characters, else in double quotes with `"` and `\` escaped, and control
    /// characters as `oneLine` escapes them. A file named `a.xml files.ingested=99` would
    /// otherwise add a field of its own to the line, and `my report.csv` read as two.
    static func logValue(_ value: String) -> String {
        let plain = !value.isEmpty && !value.unicodeScalars.contains {
            $0 == "\"" || $0 == "=" || $0 == "\\" || $0.properties.isWhitespace || breaksLine($0)
        }
        guard !plain else { return value }
        return "\"" + oneLine(value).replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// E-mail addresses and card-number-like digit runs taken out of a text: defence in depth for
/// the logs, so that whatever a message carries (a server's error, say) never reaches stderr
/// with them.
enum Redaction {
    static func apply(_ text: String) -> String {
        guard text.contains("@") || text.contains(where: \.isNumber) else { return text }
        // A URL's user and host stay (only a password goes); anything else shaped like an
        // address, in any script and with the characters an import accepts, is one.
        var out = text.replacing(Self.addressOrURL) { match in
            guard let user = match.output.user else { return "<e-mail>" }
            return match.output.scheme! + "://" + (user.split(separator: ":", maxSplits: 1).first ?? "") + "@"
        }
        // 13 to 19 digits, grouped by spaces, dashes or dots, with neither a letter nor a digit
        // next to them: an underscore or a comma is a boundary ("pan_4111…", a CSV row's card
        // beside its amount), a letter is not, so an order id (RN20261115-0000001) stays.
        out = out.replacing(Self.cardNumber) { match in match.output.before + "<card>" }
        return out
    }

    /// What stands before the number is captured and given back (Swift's regexes have no
    /// lookbehind). (`Regex` is not `Sendable`; this one is never mutated.)
    nonisolated(unsafe) private static let cardNumber =
        /(?<before>^|[^\p{L}\p{N}])(?:\d[ .\-]?){12,18}\d(?=$|[^\p{L}\p{N}])/

    /// A URL's `scheme://userinfo@` (matched first where one starts), or an e-mail address:
    /// a local part that does not start with a quote, and a domain of labels with a dot, or
    /// an address literal in brackets. (`Regex` is not `Sendable`; this one is never mutated.)
    nonisolated(unsafe) private static let addressOrURL =
        /(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*):\/\/(?<user>[^\s\/@<>()\[\],;"']*)@|[^\s@<>()\[\],;:"'][^\s@<>()\[\],;:]*@(?:\[[0-9A-Fa-f:.]+\]|(?:[^\s@<>()\[\],;:"'.]+\.)+[^\s@<>()\[\],;:"'.]+)/
}
