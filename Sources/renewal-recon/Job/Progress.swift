import Foundation

/// A progress line on a terminal (files, records, records/s); nothing off a terminal, so cron
/// mail and log files stay clean.
struct Progress {
    let enabled: Bool
    private let started = ContinuousClock.now

    init(enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.enabled = enabled
    }

    func show(files: Int, of total: Int, records: Int, phase: String) {
        show("\(phase): files \(files)/\(total)", count: records, of: "records")
    }

    /// `what`, then `count` things and how many a second since this progress began.
    func show(_ what: String, count: Int, of things: String) {
        guard enabled else { return }
        let rate = count * 1000 / max(1, PhaseClock.milliseconds(ContinuousClock.now - started))
        Console.error("\(Self.eraseLine)\(what), \(things) \(count), \(rate) \(things)/s")
    }

    func finish() {
        guard enabled else { return }
        Console.error(Self.eraseLine)
    }

    /// Back to the start of the line, and the line erased.
    static let eraseLine = "\r\u{1B}[2K"
}
