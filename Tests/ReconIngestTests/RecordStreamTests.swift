import Foundation
import Synchronization
import Testing
import ReconCore
@testable import ReconIngest

@Suite struct RecordStreamTests {
    /// A streamed file arrives in batches of the asked size, each made on the parser's thread:
    /// the job's batches carry their record ids, hashed there and not on the store's thread.
    @Test func batchesAreMadeOnTheParsersThreadWithTheirRecordIDs() throws {
        let row = "Shop,RCH*TrendMicro,PSP1,RN20261110-0001,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-1,JPY,,5980,7\n"
        let text = CSVProfileTests.adyenHeader + "\n" + String(repeating: row, count: 5)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recon-stream-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let reader = SettlementFileReader(options: ReadOptions(settlementTimeZone: Read.tokyo))
        let expected = try reader.readAll(url).records

        let consumer = pthread_self()
        let makers = Mutex<[pthread_t]>([])
        let stream = RecordStream(reading: url, with: reader, batchSize: 2) { records in
            makers.withLock { $0.append(pthread_self()) }
            return RecordBatch(records)
        }
        var batches: [RecordBatch] = []
        reading: while true {
            switch stream.next() {
            case .records(let batch): batches.append(batch)
            case .finished: break reading
            case .failed(let rejection): Issue.record("refused: \(rejection)"); break reading
            }
        }
        #expect(batches.map(\.records.count) == [2, 2, 1])
        #expect(batches.flatMap(\.records) == expected)
        #expect(batches.flatMap(\.ids) == expected.map(\.recordID))
        #expect(Set(expected.map(\.recordID)).count == 5)
        let threads = makers.withLock { $0 }
        #expect(threads.count == 3)
        #expect(threads.allSatisfy { pthread_equal($0, consumer) == 0 })
    }
}
