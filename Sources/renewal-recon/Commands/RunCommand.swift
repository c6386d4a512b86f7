import ArgumentParser
import Foundation
import ReconCore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Ingest the inbox, reconcile, and write the outputs of the run date.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "The run date D (YYYY-MM-DD); default today in the configured time zone.")
    var date: String?

    func run() async throws {
        try await CommandFailure.run {
            let config = try options.loadConfig()
            let logger = options.logger()
            let day: BusinessDate
            if let date {
                guard let parsed = BusinessDate(iso: date) else { throw UsageError(message: "--date '\(date)' is not a date YYYY-MM-DD") }
                day = parsed
            } else {
                day = config.today()
            }
            let store = try await StoreOpener.open(config, for: .createIfMissing)
            let outcome = try await ReconJob(config: config, store: store, logger: logger).run(date: day)
            print("run \(outcome.runID) for \(day): \(outcome.filesIngested) file(s) ingested, \(outcome.filesRejected) quarantined, \(outcome.filesSkipped) skipped; \(outcome.applied) license(s) extended, \(outcome.held) settlement(s) held")
            for url in outcome.writtenFiles { print("  \(url.path)") }
            return outcome.filesRejected > 0 ? ExitCode(2) : .success
        }
    }
}
