import Foundation
import ReconCore

/// `reports/D/summary.json`: the state of D; only `run` may differ between two runs of one state.
public enum SummaryJSON {
    /// What the run that wrote the file did, and how long each phase took.
    public struct RunInfo: Encodable, Sendable {
        public var id: String
        public var command: String
        public var started: String
        public var finished: String
        /// Milliseconds per phase: `ingest`, `evaluate`, `sweep`, `outputs`.
        public var phasesMs: [String: Int]
        public var did: [String: Int]

        public init(id: String, command: String, started: String, finished: String, phasesMs: [String: Int], did: [String: Int]) {
            self.id = id
            self.command = command
            self.started = started
            self.finished = finished
            self.phasesMs = phasesMs
            self.did = did
        }

        enum CodingKeys: String, CodingKey {
            case id, command, started, finished, phasesMs = "phases_ms", did
        }
    }

    struct Document: Encodable {
        struct Files: Encodable {
            var ingested, quarantined, skippedDuplicates: Int
            enum CodingKeys: String, CodingKey { case ingested, quarantined, skippedDuplicates = "skipped_duplicates" }
        }
        struct Records: Encodable {
            var total, matched, foreign, skippedStatus: Int
            var exceptions: [String: Int]
            enum CodingKeys: String, CodingKey { case total, matched, foreign, skippedStatus = "skipped_status", exceptions }
        }
        struct Totals: Encodable {
            var received, matched, held, refunded, foreign: String
        }
        struct OpenExceptions: Encodable {
            var byCode: [String: Int]
            var byAge: [String: Int]
            enum CodingKeys: String, CodingKey { case byCode = "by_code", byAge = "by_age" }
        }

        var date: String
        var files: Files
        var records: Records
        var licensesExtended: Int
        var mailsWritten: Int
        var totals: [String: Totals]
        var lagHistogram: [String: Int]
        var openExceptions: OpenExceptions
        var run: RunInfo

        enum CodingKeys: String, CodingKey {
            case date, files, records, licensesExtended = "licenses_extended", mailsWritten = "mails_written", totals
            case lagHistogram = "lag_histogram", openExceptions = "open_exceptions", run
        }
    }

    public static func render(_ summary: DaySummary, run: RunInfo) throws -> Data {
        func decimal(_ minor: Int128, _ currency: String) -> String {
            Money.format(minor, exponent: Currency(code: currency)?.exponent ?? 0)
        }
        let document = Document(
            date: summary.date.description,
            files: .init(ingested: summary.filesIngested, quarantined: summary.filesQuarantined,
                         skippedDuplicates: summary.skippedDuplicates),
            records: .init(total: summary.recordsTotal, matched: summary.recordsMatched, foreign: summary.recordsForeign,
                           skippedStatus: summary.skippedStatus,
                           exceptions: Dictionary(uniqueKeysWithValues: summary.recordExceptions.map { ($0.rawValue, $1) })),
            licensesExtended: summary.licensesExtended, mailsWritten: summary.mailsWritten,
            totals: Dictionary(uniqueKeysWithValues: summary.totals.map { code, sums in
                (code, Document.Totals(received: decimal(sums.received, code), matched: decimal(sums.matched, code),
                                       held: decimal(sums.held, code), refunded: decimal(sums.refunded, code),
                                       foreign: decimal(sums.foreign, code)))
            }),
            lagHistogram: Dictionary(uniqueKeysWithValues: summary.lagHistogram.map { ($0.bucket, $0.count) }),
            openExceptions: .init(byCode: Dictionary(uniqueKeysWithValues: summary.openByCode.map { ($0.rawValue, $1) }),
                                  byAge: Dictionary(uniqueKeysWithValues: summary.openByAge.map { ($0.bucket, $0.count) })),
            run: run)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(document)
        data.append(0x0A)
        return data
    }
}
