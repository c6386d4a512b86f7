import ArgumentParser
import Foundation
import Logging
import ReconCore
import ReconIngest
import ReconStore

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The configuration file.")
    var config: String = "recon.yaml"

    @Option(name: .long, help: "Log format on stderr: text or json.")
    var logFormat: LogFormat = .text

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func loadConfig() throws -> ReconConfig {
        try ConfigLoader.load(path: config)
    }

    /// Bootstraps logging once for the process and returns the job's logger.
    func logger() -> Logger {
        let format: StderrLogHandler.Format = logFormat == .json ? .json : .text
        LoggingBootstrap.once(format: format)
        return Logger(label: "renewal-recon")
    }
}

enum LoggingBootstrap {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var done = false

    static func once(format: StderrLogHandler.Format) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in StderrLogHandler(label: label, format: format) }
    }
}

/// Runs a command body and turns its failure into SPEC §6's exit status with one clear line.
enum CommandFailure {
    static func run(_ body: () async throws -> ExitCode) async throws {
        let code: ExitCode
        do {
            code = try await body()
        } catch let error as ConfigError {
            code = fail("configuration error: \(error)", 64)
        } catch let error as ImportRefused {
            code = fail("\(error)", 65)
        } catch let error as StoreError {
            switch error.code {
            case .unavailable: code = fail("store unavailable: \(error)", 69)
            case .notInitialised: code = fail("\(error)", 64)
            case .corrupt: code = fail("store error: \(error)", 70)
            }
        } catch let error as UsageError {
            code = fail("\(error.message)", 64)
        } catch let error as SupportDesk.Refusal {
            code = fail("refused: \(error)", 64)
        } catch let error as JobLock.Held {
            code = fail("\(error)", 75)
        } catch let error as Interruption.Stopped {
            code = fail("\(error)", 75)
        } catch let error as CocoaError where error.isFileError {
            // A folder that filled up or was taken away mid-run: what the store committed stands.
            let path = error.filePath ?? error.url?.path ?? "a file"
            code = fail("cannot use \(path) (\(error.systemReason)); what the store committed stands: "
                        + "run the command again once the file or folder can be used", 70)
        } catch {
            code = fail("internal error: \(String(describing: error))", 70)
        }
        if code != .success { throw code }
    }

    /// Exit 2 (SPEC §6: done, but files were quarantined), with the line that names each
    /// file, why, and where: `what` is what became of them.
    static func filesRefused(_ rejections: [String], _ what: String) -> ExitCode {
        Console.error("renewal-recon: \(rejections.count) settlement file(s) \(what): \(Redaction.apply(Console.oneLine(rejections.joined(separator: "; "), backslash: false)))\n")
        return ExitCode(2)
    }

    /// A usage error (64) for a date after today in the configured time zone: a run of a day
    /// that has not begun (a mistyped year) would sweep every pending order overdue and write
    /// mails under that date.
    static func refuseAfterToday(_ date: BusinessDate, _ option: String, _ config: ReconConfig) throws(UsageError) {
        let today = config.today()
        guard date > today else { return }
        throw UsageError(message: "\(option) \(date) is after today (\(today) in \(config.timeZone.identifier))")
    }

    /// One line, whatever the error said (a database error may span several), and never an
    /// e-mail address or card number.
    static func fail(_ message: String, _ status: Int32) -> ExitCode {
        let line = status == 65 ? message : String(message.split(separator: "\n").first ?? "")
        Console.error("renewal-recon: \(Redaction.apply(line))\n")
        return ExitCode(status)
    }
}

/// `--wait [SECONDS]` of the commands that take the lock.
struct LockOptions: ParsableArguments {
    @Option(name: .customLong("wait"), help: ArgumentHelp(
        "If another run holds the lock, wait for it: up to SECONDS, or as long as it takes without a number.",
        valueName: "seconds"))
    var waitSeconds: Int?

    /// For `StoreOpener.with(lock:)`: nil (fail at once), -1 (forever) or seconds.
    var wait: Int?? { .some(waitSeconds) }

    /// `--wait` may stand without a number: it is rewritten to `--wait=-1` (forever) before parsing.
    static func normalise(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--wait" {
                if index + 1 < arguments.count, let seconds = Int(arguments[index + 1]), seconds >= 0 {
                    out.append("--wait=\(seconds)")
                    index += 2
                    continue
                }
                out.append("--wait=-1")
            } else {
                out.append(argument)
            }
            index += 1
        }
        return out
    }
}

/// A command line that names something that does not exist or cannot be (exit 64).
struct UsageError: Error {
    let message: String
}
