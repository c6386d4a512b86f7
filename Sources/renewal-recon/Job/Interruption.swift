import Dispatch
import Foundation
import Synchronization

/// SIGTERM and SIGINT stop `run` and `rerun` between transactions, between output files and
/// pages, or while they wait for the lock: the work done so far is committed whole, and the
/// next run finishes the rest. Other
/// commands end at the signal, as by default; the store rolls back a transaction they leave
/// open, and their output files are renamed into place whole. The signals are caught from the
/// start, before the command is known, so that none is lost while the command line is read.
enum Interruption {
    /// The job stopped at a signal (exit 75: run it again).
    struct Stopped: Error, CustomStringConvertible {
        var description: String { "stopped by a signal between transactions or output files; the store is consistent; run again to finish" }
    }

    /// The signal that arrived (0: none yet).
    private static let requested = Atomic<Int32>(0)
    /// Whether the command ends at a signal rather than between transactions.
    private static let endsAtOnce = Atomic<Bool>(false)
    private static let sources = Mutex<[any DispatchSourceSignal]>([])

    /// Catches SIGTERM and SIGINT from now on (the executable calls this first).
    static func install() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for number in [SIGTERM, SIGINT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    requested.store(number, ordering: .sequentiallyConsistent)
                    if endsAtOnce.load(ordering: .sequentiallyConsistent) { end(by: number) }
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// For a command that does not stop between transactions: a signal ends it, as by default
    /// (one that came while the command line was read, at once).
    static func endAtSignals() {
        endsAtOnce.store(true, ordering: .sequentiallyConsistent)
        let number = requested.load(ordering: .sequentiallyConsistent)
        if number != 0 { end(by: number) }
    }

    private static func end(by number: Int32) -> Never {
        signal(number, SIG_DFL)
        kill(getpid(), number)
        _exit(128 + number)
    }

    /// Throws `Stopped` once a signal has arrived; call between transactions.
    static func check() throws {
        if requested.load(ordering: .relaxed) != 0 { throw Stopped() }
    }

    /// Whether a signal has arrived (for `CrashPoint`'s signal, which waits until it has).
    static var isRequested: Bool { requested.load(ordering: .sequentiallyConsistent) != 0 }
}

/// Test-only fault injection for the crash tests: with `RECON_CRASH_AT=NAME:N` in the
/// environment, the process kills itself with SIGKILL the N-th time it reaches point NAME;
/// with `NAME:N:TERM`, it sends itself SIGTERM there instead, and goes on once the signal is
/// caught (so the next `Interruption.check` sees it); with `NAME:N:STOP`, SIGSTOP, and goes on
/// when the test sends SIGCONT (having changed the inbox meanwhile). Without the variable
/// (always, in production) `reach` does nothing.
enum CrashPoint {
    private static let target: (name: String, count: Int, signal: Int32)? = {
        guard let spec = ProcessInfo.processInfo.environment["RECON_CRASH_AT"] else { return nil }
        let parts = spec.split(separator: ":")
        let signals = ["TERM": SIGTERM, "STOP": SIGSTOP]
        guard parts.count == 2 || (parts.count == 3 && signals[String(parts[2])] != nil), let count = Int(parts[1]) else { return nil }
        return (String(parts[0]), count, parts.count == 3 ? signals[String(parts[2])]! : SIGKILL)
    }()
    private static let hits = Mutex<Int>(0)

    static func reach(_ name: String) {
        guard let target, target.name == name else { return }
        let reached = hits.withLock { hits in
            hits += 1
            return hits
        }
        guard reached == target.count else { return }
        // SIGSTOP to this thread: a stop sent to the process may take effect only after this
        // thread has gone on a little way.
        if target.signal == SIGSTOP { raise(SIGSTOP) } else { kill(getpid(), target.signal) }
        guard target.signal == SIGTERM else { return }
        for _ in 0..<200 where !Interruption.isRequested { usleep(10_000) }
    }
}
