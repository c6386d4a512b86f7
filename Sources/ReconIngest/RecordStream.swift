import Foundation
import ReconCore

/// A settlement file parsed on its own thread and handed over in batches, at most a few
/// batches ahead of the consumer: memory stays bounded by the batch size, not the file, and
/// parsing overlaps with storing.
public final class RecordStream: @unchecked Sendable {
    public enum Item {
        case records([SettlementRecord])
        case finished(FileSummary)
        case failed(FileRejection)
    }

    private let condition = NSCondition()
    private var queue: [Item] = []
    private var cancelled = false
    private let capacity = 4

    /// Starts reading `url` with `reader`; `batchSize` records per batch.
    public init(reading url: URL, with reader: SettlementFileReader, batchSize: Int = 2_000) {
        let thread = Thread { [self] in
            var batch: [SettlementRecord] = []
            batch.reserveCapacity(batchSize)
            do throws(FileRejection) {
                let summary = try reader.read(url) { record in
                    batch.append(record)
                    if batch.count >= batchSize {
                        self.push(.records(batch))
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { push(.records(batch)) }
                push(.finished(summary))
            } catch {
                push(.failed(error))
            }
        }
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// The next item; blocks until the parser has one.
    public func next() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty { condition.wait() }
        let item = queue.removeFirst()
        condition.broadcast()
        return item
    }

    /// Lets the parser thread finish without waiting for a consumer.
    public func cancel() {
        condition.lock()
        cancelled = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    private func push(_ item: Item) {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return }
        queue.append(item)
        condition.broadcast()
    }
}
