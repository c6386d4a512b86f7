import Foundation
import Logging
import ReconCore

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
