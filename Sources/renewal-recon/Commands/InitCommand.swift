import ArgumentParser
import Foundation

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create or migrate the store.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await CommandFailure.run {
            let config = try options.loadConfig()
            _ = options.logger()
            let status = try await StoreOpener.with(config, for: .migrate, lock: .some(nil)) { store in
                try await store.schemaStatus()
            }
            print("store ready at schema \(status.applied)")
            return .success
        }
    }
}
