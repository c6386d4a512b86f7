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
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Defence in depth for the logs: whatever a message carries (a file's first line, a
/// server's error), e-mail addresses and card-number-like digit runs never reach stderr.
enum Redaction {
    static func apply(_ text: String) -> String {
        guard text.contains("@") || text.contains(where: \.isNumber) else { return text }
        var out = text.replacing(/[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}/, with: "<e-mail>")
        // Simple word boundaries: Unicode's take "4111111111111111,5980" (a CSV row's card and
        // amount) for one number, and would leave the card in it.
        out = out.replacing(/\b(?:\d[ \-]?){13,19}\b/.wordBoundaryKind(.simple), with: "<card>")
        return out
    }
}
