import ArgumentParser
import Foundation
import ReconCore
import ReconIngest
import ReconReports

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Parse settlement files without touching the store; print JSON Lines of records, then of files.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "Settlement files to read.")
    var files: [String]

    func run() async throws {
        try await CommandFailure.run {
            let config = try options.loadConfig()
            _ = options.logger()
            let rejections = Inspector(options: config.readOptions, csvProfiles: config.csvProfiles)
                .inspect(files.map { URL(fileURLWithPath: $0) }, to: FileHandle.standardOutput)
            return rejections.isEmpty ? .success : CommandFailure.filesRefused(rejections, "rejected")
        }
    }
}

/// Streams `inspect`'s JSON Lines: each record as its entry closes, then one line per file.
/// A file is parsed on its own thread while this one formats and writes what it has read.
struct Inspector {
    let options: ReadOptions
    let csvProfiles: [CSVProfile]

    /// - Returns: each rejected file with its reason, line and column.
    func inspect(_ urls: [URL], to output: FileHandle) -> [String] {
        let reader = SettlementFileReader(options: options, csvProfiles: csvProfiles)
        var buffer = OutputBuffer(handle: output)
        var fileLines: [[UInt8]] = []
        var rejections: [String] = []
        for url in urls {
            let name = url.lastPathComponent
            var line = JSONLineBuilder()
            line.string("kind", "file")
            line.string("file", name)
            let stream = RecordStream(reading: url, with: reader)
            // Records stream out as they are read, so a file rejected late has printed some.
            var printed = 0
            reading: while true {
                switch stream.next() {
                case .records(let records):
                    for record in records { buffer.append { Self.write(record, file: name, to: &$0) } }
                    printed += records.count
                case .finished(let summary):
                    line.string("format", summary.format)
                    line.string("version", summary.version)
                    line.int("records", summary.records)
                    line.int("skipped", summary.skipped)
                    line.string("status", "parsed")
                    line.string("error", nil)
                    line.strings("warnings", summary.mismatches.map(\.detail))
                    break reading
                case .failed(let error):
                    rejections.append("\(name): \(error)")
                    line.string("format", nil)
                    line.string("version", nil)
                    line.int("records", printed)
                    line.int("skipped", 0)
                    line.string("status", "rejected")
                    line.string("error", error.description)
                    line.int("line", error.line)
                    line.int("column", error.column)
                    break reading
                }
            }
            fileLines.append(line.line())
        }
        for line in fileLines { buffer.append(line) }
        buffer.flush()
        return rejections
    }

    static func write(_ record: SettlementRecord, file: String, to line: inout JSONLineBuilder) {
        line.string("kind", "record")
        line.string("transaction_id", record.transactionID)
        line.string("order_reference", record.orderReference)
        line.string("amount", record.amount?.decimalString ?? record.amountText)
        line.string("currency", record.currencyCode)
        line.string("direction", record.direction.rawValue)
        line.bool("reversal", record.reversal)
        line.string("booked_on", record.bookedOn?.description)
        line.string("value_on", record.valueOn?.description)
        line.string("descriptor", record.descriptor)
        line.string("file", file)
        line.int("line", record.line)
        if let problem = record.problem { line.string("problem", problem) }
    }
}

/// Collects output bytes and writes them in large blocks.
struct OutputBuffer {
    let handle: FileHandle
    var bytes: [UInt8] = []

    init(handle: FileHandle) {
        self.handle = handle
        bytes.reserveCapacity(1 << 20)
    }

    mutating func append(_ line: [UInt8]) {
        bytes.append(contentsOf: line)
        if bytes.count >= 1 << 20 { flush() }
    }

    /// Appends the JSON line `body` builds.
    mutating func append(_ body: (inout JSONLineBuilder) -> Void) {
        JSONLineBuilder.appendLine(to: &bytes, body)
        if bytes.count >= 1 << 20 { flush() }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        handle.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
}
