import ArgumentParser
import Foundation
import ReconCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Pending and overdue orders, open exceptions by code and age, the last run and the newest file.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await CommandFailure.run {
            let config = try options.loadConfig()
            _ = options.logger()
            let today = config.today()
            let report = try await StoreOpener.with(config, for: .existing) { store in
                try await StatusReport(store: store, today: today, config: config)
            }
            print(report.text)
            return .success
        }
    }
}

/// The text `status` prints.
struct StatusReport {
    let overview: StoreOverview
    /// The pending orders the sweep of today would raise `unsettled_overdue` for: past their
    /// window and named by no settlement matched or held.
    let overdue: Int
    /// Dates whose mail or feed files lack rows the store holds: a run stopped after its applies.
    let unwritten: [BusinessDate]
    let today: BusinessDate

    init(store: any ReconStore, today: BusinessDate, config: ReconConfig) async throws {
        overview = try await store.overview()
        overdue = Sweep.overdueOrders(try await store.unnamedPendingOrders(), on: today, settings: config.rules).count
        unwritten = try await store.datesWithUnwrittenOutputs()
        self.today = today
    }

    static let ageBuckets: [(label: String, range: ClosedRange<Int>)] = [("0-1", 0...1), ("2-7", 2...7), ("8-30", 8...30), ("31+", 31...Int.max)]

    var text: String {
        var lines: [String] = []
        lines.append("pending orders: \(overview.pendingOrders) (overdue: \(overdue))")
        lines.append("open exceptions: \(overview.openExceptions.count)")
        let byCode = Dictionary(grouping: overview.openExceptions, by: \.code)
        for code in byCode.keys.sorted() {
            lines.append("  \(code.rawValue): \(byCode[code]?.count ?? 0)")
        }
        let ages = Self.ageBuckets.map { bucket in
            "\(bucket.label) days: \(overview.openExceptions.filter { bucket.range.contains(today.days(since: $0.firstSeen)) }.count)"
        }
        lines.append("  by age: " + ages.joined(separator: ", "))
        if let run = overview.lastRun {
            lines.append("last completed run: \(run.id) for \(run.date), finished \(run.finishedAt)")
        } else {
            lines.append("last completed run: none")
        }
        if let run = overview.unfinishedRun {
            lines.append("unfinished run: \(run.id) for \(run.date), started \(run.startedAt): running now, "
                         + "or stopped (run it again for \(run.date))")
        }
        for rerun in overview.unfinishedReruns {
            lines.append("unfinished rerun: \(rerun.id) of \(rerun.from) to \(rerun.to), started \(rerun.startedAt): running now, "
                         + "or stopped (run `rerun --from \(rerun.from) --to \(rerun.to)` again)")
        }
        if !unwritten.isEmpty {
            lines.append("mail and feed files still to write for: " + unwritten.map(\.description).joined(separator: ", ")
                         + " (the next run writes them, or `report --date D`)")
        }
        if let file = overview.newestFile {
            lines.append("newest file: \(Console.oneLine(file.name, backslash: false)), received \(file.receivedOn)")
        } else {
            lines.append("newest file: none")
        }
        return lines.joined(separator: "\n")
    }
}
