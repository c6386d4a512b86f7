import Dispatch
import Foundation
import Synchronization

/// SIGTERM and SIGINT stop `run` and `rerun` between transactions (or while they wait for the
/// lock): the work done so far is committed whole, and the next run finishes the rest. Other
/// commands keep the signals' default and end at once; the store rolls back a transaction
/// they leave open, and their output files are renamed into place whole.
enum Interruption {
    /// The job stopped at a signal (exit 75: run it again).
    struct Stopped: Error, CustomStringConvertible {
        var description: String { "stopped by a signal between transactions; the store is consistent; run again to finish" }
    }

    private static let requested = Atomic<Bool>(false)
    private static let sources = Mutex<[any DispatchSourceSignal]>([])

    /// Catches SIGTERM and SIGINT from now on (`run` and `rerun` call this first).
    static func install() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for number in [SIGTERM, SIGINT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { requested.store(true, ordering: .relaxed) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Throws `Stopped` once a signal has arrived; call between transactions.
    static func check() throws {
        if requested.load(ordering: .relaxed) { throw Stopped() }
    }
}

/// Test-only fault injection for the crash tests: with `RECON_CRASH_AT=NAME:N` in the
/// environment, the process kills itself with SIGKILL the N-th time it reaches point NAME.
/// Without the variable (always, in production) `reach` does nothing.
enum CrashPoint {
    private static let target: (name: String, count: Int)? = {
        guard let spec = ProcessInfo.processInfo.environment["RECON_CRASH_AT"] else { return nil }
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let count = Int(parts[1]) else { return nil }
        return (String(parts[0]), count)
    }()
    private static let hits = Mutex<Int>(0)

    static func reach(_ name: String) {
        guard let target, target.name == name else { return }
        let reached = hits.withLock { hits in
            hits += 1
            return hits
        }
        if reached == target.count { kill(getpid(), SIGKILL) }
    }
}
