import Foundation
import ReconCore

/// A settlement file parsed on its own thread and handed over in batches, at most a few
/// batches ahead of the consumer: memory stays bounded by the batch size, not the file, and
/// parsing overlaps with storing.
public final class RecordStream<Batch: Sendable>: @unchecked Sendable {
    public enum Item {
        case records(Batch)
        case finished(FileSummary)
        case failed(FileRejection)
    }

    private let queue = BoundedQueue<Item>(capacity: 4)

    /// Starts reading `url` with `reader`; `batchSize` records per batch, each made into a
    /// `Batch` by `making` on the parser's thread.
    public init(reading url: URL, with reader: SettlementFileReader, batchSize: Int = 2_000,
                making makeBatch: @escaping @Sendable ([SettlementRecord]) -> Batch) {
        let thread = Thread { [queue] in
            var batch: [SettlementRecord] = []
            batch.reserveCapacity(batchSize)
            do throws(FileRejection) {
                let summary = try reader.read(url) { record in
                    batch.append(record)
                    if batch.count >= batchSize {
                        queue.push(.records(makeBatch(batch)))
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { queue.push(.records(makeBatch(batch))) }
                queue.push(.finished(summary))
            } catch {
                queue.push(.failed(error))
            }
        }
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// The next item; blocks until the parser has one.
    public func next() -> Item {
        queue.pop()
    }

    /// Lets the parser thread finish without waiting for a consumer.
    public func cancel() {
        queue.cancel()
    }
}

extension RecordStream where Batch == [SettlementRecord] {
    /// The records as they are read (`inspect`, which needs no record ids).
    public convenience init(reading url: URL, with reader: SettlementFileReader, batchSize: Int = 2_000) {
        self.init(reading: url, with: reader, batchSize: batchSize) { $0 }
    }
}
