import ArgumentParser
import Foundation
import ReconCore

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Rewrite the reports of a date from the store alone.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "The date (YYYY-MM-DD).") var date: String

    func validate() throws {
        if BusinessDate(iso: date) == nil { throw ValidationError("--date '\(date)' is not a date YYYY-MM-DD") }
    }

    func run() async throws {
        try await CommandFailure.run {
            let config = try options.loadConfig()
            let logger = options.logger()
            guard let day = BusinessDate(iso: date) else { return ExitCode(64) }
            try CommandFailure.refuseAfterToday(day, "--date", config)
            try config.checkWritableFolders(dates: [day])
            let written = try await StoreOpener.with(config, for: .existing, lock: .some(nil)) { store in
                let job = ReconJob(config: config, store: store, logger: logger)
                let started = job.now()
                let run = job.runInfo("report --date \(day)", RunOutcome(runID: ReconJob.runID(started), date: day),
                                      started, PhaseClock())
                return try await job.writeOutputs(for: [day], run: run)
            }
            for url in written { print(url.path) }
            return .success
        }
    }
}
