import ArgumentParser
import Foundation
import ReconCore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Ingest the inbox, reconcile, and write the outputs of the run date (the cron entry point).")

    @OptionGroup var options: GlobalOptions

    @Option(help: "The run date D (YYYY-MM-DD); default today in the configured time zone.")
    var date: String?

    @Flag(help: "Print what would happen; change neither the store nor any file.")
    var dryRun = false

    @OptionGroup var lock: LockOptions

    func validate() throws {
        if let date, BusinessDate(iso: date) == nil { throw ValidationError("--date '\(date)' is not a date YYYY-MM-DD") }
    }

    func run() async throws {
        try await CommandFailure.run {
            let config = try options.loadConfig()
            let logger = options.logger()
            let day = date.flatMap(BusinessDate.init(iso:)) ?? config.today()
            try CommandFailure.refuseAfterToday(day, "--date", config)
            try InboxScanner.check(config.inboxDirectory)
            if !dryRun { try config.checkWritableFolders(dates: [day], movingInboxFiles: true) }
            let outcome = try await StoreOpener.with(config, for: dryRun ? .existing : .createIfMissing, lock: lock.wait) { store in
                try await ReconJob(config: config, store: store, logger: logger, plan: RunReport.printPlan).run(date: day, dryRun: dryRun)
            }
            RunReport(outcome: outcome, dryRun: dryRun, command: "run for \(day)").print()
            let troubled = outcome.rejections + outcome.unreadable
            guard troubled.isEmpty else {
                // Without archive_dir a refused file stays where it is (SPEC §3.1): the line says so,
                // lest it be looked for in quarantine_dir.
                let quarantined = dryRun ? "would be quarantined"
                    : config.archiveDirectory == nil ? "quarantined (left in the inbox, tried again by each run: no archive_dir)"
                    : "quarantined"
                let what = switch (outcome.rejections.isEmpty, outcome.unreadable.isEmpty) {
                case (false, true): quarantined
                case (true, false): "could not be read"
                default: "\(quarantined) or could not be read"
                }
                return CommandFailure.filesRefused(troubled, dryRun ? what : "\(what), the rest is done")
            }
            return .success
        }
    }
}

struct RerunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Re-evaluate a date range: apply what now passes (under today's date) and rewrite its reports.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "First date of the range (YYYY-MM-DD).") var from: String
    @Option(help: "Last date of the range (YYYY-MM-DD).") var to: String
    @Flag(help: "Print what would happen; change neither the store nor any file.") var dryRun = false
    @OptionGroup var lock: LockOptions

    func validate() throws {
        guard let start = BusinessDate(iso: from) else { throw ValidationError("--from '\(from)' is not a date YYYY-MM-DD") }
        guard let end = BusinessDate(iso: to) else { throw ValidationError("--to '\(to)' is not a date YYYY-MM-DD") }
        guard start <= end else { throw ValidationError("the range \(from)..\(to) is reversed") }
        guard end.days(since: start) < 366 else { throw ValidationError("the range \(from)..\(to) is longer than 366 days") }
    }

    func run() async throws {
        try await CommandFailure.run {
            let config = try options.loadConfig()
            let logger = options.logger()
            guard let start = BusinessDate(iso: from), let end = BusinessDate(iso: to) else { return ExitCode(64) }
            try CommandFailure.refuseAfterToday(end, "--to", config)
            if !dryRun {
                try config.checkWritableFolders(dates: start.through(end) + [config.today()])
            }
            let outcome = try await StoreOpener.with(config, for: .existing, lock: lock.wait) { store in
                try await ReconJob(config: config, store: store, logger: logger, plan: RunReport.printPlan)
                    .rerun(from: start, to: end, dryRun: dryRun)
            }
            RunReport(outcome: outcome, dryRun: dryRun, command: "rerun \(from)..\(to)").print()
            return .success
        }
    }
}

/// What `run` and `rerun` print on stdout.
struct RunReport {
    let outcome: RunOutcome
    let dryRun: Bool
    let command: String

    /// A dry run's plan, a line as each step is planned (before the summary).
    /// One line a step, whatever a file name holds.
    @Sendable static func printPlan(_ line: String) { Swift.print("  would \(Console.oneLine(line, backslash: false))") }

    func print() {
        let verb = dryRun ? "would" : "did"
        Swift.print("\(command) (\(outcome.runID)) \(verb): \(outcome.filesIngested) file(s) ingested, \(outcome.filesRejected) quarantined, \(outcome.filesSkipped) counted as duplicates\(outcome.unreadable.isEmpty ? "" : ", \(outcome.unreadable.count) not readable (left in the inbox)"); \(outcome.applied) license(s) extended, \(outcome.held) settlement(s) held")
        for (code, count) in outcome.heldByCode.sorted(by: { $0.key < $1.key }) { Swift.print("  held \(code.rawValue): \(count)") }
        for (code, count) in outcome.sweepRaised.sorted(by: { $0.key < $1.key }) { Swift.print("  sweep \(code.rawValue): \(count)") }
        for url in outcome.writtenFiles { Swift.print("  wrote \(url.path)") }
    }
}
