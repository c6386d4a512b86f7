import Foundation

/// A first-in, first-out hand-over from one producing thread to one consuming thread that holds
/// at most `capacity` items: the producer waits while it is full, so memory stays bounded by the
/// capacity, not by how far the producer could run ahead.
final class BoundedQueue<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds `item`, waiting for room; drops it once the consumer has cancelled.
    func push(_ item: Item) {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return }
        items.append(item)
        condition.broadcast()
    }

    /// The oldest item; waits until there is one.
    func pop() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    /// Empties the queue and lets the producer run to its end without waiting for room.
    func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}

/// Hands a value that is not `Sendable` to exactly one other thread, which alone uses it until
/// it hands back (through a `BoundedQueue`) that it is done.
struct HandedOver<Value>: @unchecked Sendable {
    let value: Value
}
