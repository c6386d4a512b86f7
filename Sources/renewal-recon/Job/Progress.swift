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
        let seconds = max(0.001, Double((ContinuousClock.now - started).components.attoseconds) / 1e18
                          + Double((ContinuousClock.now - started).components.seconds))
        let rate = Int(Double(records) / seconds)
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(phase): files \(files)/\(total), records \(records), \(rate) records/s".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
