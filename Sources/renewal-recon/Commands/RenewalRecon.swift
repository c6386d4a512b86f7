import ArgumentParser
import Foundation

@main
struct RenewalRecon: CommandGroup {
    static let configuration = CommandConfiguration(
        commandName: "renewal-recon",
        abstract: "Reconciles card settlements with license renewal orders and extends the licenses.",
        subcommands: [InitCommand.self, InspectCommand.self, ImportCommand.self, RunCommand.self, RerunCommand.self,
                      ReportCommand.self, StatusCommand.self, ExceptionsCommand.self]
    )

    /// Declared here too so that `renewal-recon --config FILE COMMAND` works (SPEC §6).
    @OptionGroup var options: GlobalOptions

    static func main() async {
        Interruption.install()
        let arguments = LockOptions.normalise(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot(arguments)
            // run and rerun stop between transactions; every other command ends at a signal.
            if !(command is RunCommand || command is RerunCommand) { Interruption.endAtSignals() }
            // A command that changes the store outlives its console: a log reader that went
            // away must not end a night half done (SIGPIPE's default: exit 141, not a word).
            // Its lines are lost (`Console`); its work, outputs and exit status are not. The
            // commands that only print end with their reader, as any filter does.
            let onlyPrints: [any ParsableCommand.Type] = [InspectCommand.self, StatusCommand.self,
                                                          ExceptionsCommand.List.self, ExceptionsCommand.Show.self]
            if !onlyPrints.contains(where: { $0 == type(of: command) }) { signal(SIGPIPE, SIG_IGN) }
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            // A usage error is one clear line, as every non-zero status (SPEC §6), not the
            // parser's message followed by the whole usage; `--help` still prints it all.
            // (A command's own failure has written its line already and throws its status.)
            guard !(error is ExitCode), exitCode(for: error) == .validationFailure else { exit(withError: error) }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "usage error"
            exit(withError: CommandFailure.fail(message + " (see --help)", ExitCode.validationFailure.rawValue))
        }
    }
}

/// A command that only groups others (`renewal-recon`, `import`, `exceptions`). Given none of
/// them, it is a usage error (exit 64) that names them: a crontab line that lost its `run` must
/// not pass for a night that went well, as the parser's default (help, exit 0) would have it.
protocol CommandGroup: AsyncParsableCommand {}

extension CommandGroup {
    func run() async throws {
        let group = Self.configuration.commandName ?? "renewal-recon"
        let commands = Self.configuration.subcommands.compactMap { $0.configuration.commandName }
        throw ValidationError("no command given after '\(group)': one of \(commands.joined(separator: ", "))")
    }
}
