import ArgumentParser

@main
struct RenewalRecon: AsyncParsableCommand {
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
        await main(LockOptions.normalise(Array(CommandLine.arguments.dropFirst())))
    }
}
