import Foundation

/// Wall-clock time per phase of a run, for the `run` object of summary.json.
struct PhaseClock {
    private var last = ContinuousClock.now
    private(set) var milliseconds: [String: Int] = [:]

    /// Ends `phase`, and hands the memory it freed back to the system, so the next phase's
    /// peak does not stand on what the last one left in the allocator.
    mutating func lap(_ phase: String) {
        let now = ContinuousClock.now
        let elapsed = now - last
        milliseconds[phase, default: 0] += Self.milliseconds(elapsed)
        Allocator.returnFreedMemory()
        last = ContinuousClock.now
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// The C allocator, for handing freed memory back between phases.
enum Allocator {
    static func returnFreedMemory() { _ = mallocTrim?(0) }

    /// glibc's `malloc_trim`, looked up at run time: Swift's Glibc module does not declare it.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()
}
