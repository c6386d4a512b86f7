import Foundation
import ReconCore
import ReconIngest

/// A settlement file read whole: its summary and records.
struct ParsedSettlementFile: Sendable {
    var summary: FileSummary
    var records: [SettlementRecord]
}

extension SettlementFileReader {
    /// Reads the whole file into memory: the tests' files are small (the job streams).
    func readAll(_ url: URL) throws(FileRejection) -> ParsedSettlementFile {
        var records: [SettlementRecord] = []
        let summary = try read(url) { records.append($0) }
        return ParsedSettlementFile(summary: summary, records: records)
    }
}
