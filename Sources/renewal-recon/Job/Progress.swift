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
        guard enabled else { return }
        let rate = records * 1000 / max(1, PhaseClock.milliseconds(ContinuousClock.now - started))
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(phase): files \(files)/\(total), records \(records), \(rate) records/s".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
