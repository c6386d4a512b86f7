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
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            text = "\(time) \(level) \(message)" + (fields.isEmpty ? "" : " " + fields)
        case .json:
            var object: [String: String] = ["time": time, "level": level.rawValue, "message": message.description]
            for (key, value) in merged { object[key] = value.description }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            text = String(decoding: data, as: UTF8.self)
        }
        FileHandle.standardError.write(Data(((Self.erasesProgress ? Progress.eraseLine : "") + text + "\n").utf8))
    }

    /// On a terminal, a log line first erases the progress line it would otherwise run on
    /// from; the progress is drawn again at its next step.
    private static let erasesProgress = isatty(STDERR_FILENO) == 1
}

/// Defence in depth for the logs: whatever a message carries (a file's first line, a
/// server's error), e-mail addresses and card-number-like digit runs never reach stderr.
enum Redaction {
    static func apply(_ text: String) -> String {
        guard text.contains("@") || text.contains(where: \.isNumber) else { return text }
        // A URL's user and host stay (only a password goes); anything else shaped like an
        // address, in any script and with the characters an import accepts, is one.
        var out = text.replacing(Self.addressOrURL) { match in
            guard let user = match.output.user else { return "<e-mail>" }
            return match.output.scheme! + "://" + (user.split(separator: ":", maxSplits: 1).first ?? "") + "@"
        }
        // Simple word boundaries: Unicode's take "4111111111111111,5980" (a CSV row's card and
        // amount) for one number, and would leave the card in it.
        out = out.replacing(/\b(?:\d[ \-]?){13,19}\b/.wordBoundaryKind(.simple), with: "<card>")
        return out
    }

    /// A URL's `scheme://userinfo@` (matched first where one starts), or an e-mail address:
    /// a local part that does not start with a quote, and a domain of labels with a dot, or
    /// an address literal in brackets. (`Regex` is not `Sendable`; this one is never mutated.)
    nonisolated(unsafe) private static let addressOrURL =
        /(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*):\/\/(?<user>[^\s\/@<>()\[\],;"']*)@|[^\s@<>()\[\],;:"'][^\s@<>()\[\],;:]*@(?:\[[0-9A-Fa-f:.]+\]|(?:[^\s@<>()\[\],;:"'.]+\.)+[^\s@<>()\[\],;:"'.]+)/
}
