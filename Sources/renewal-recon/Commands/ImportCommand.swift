import ArgumentParser
import Foundation

struct ImportCommand: CommandGroup {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Load or update orders or licenses from a CSV export.",
        subcommands: [Orders.self, Licenses.self])

    struct Orders: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "orders", abstract: "Import an orders CSV (SPEC §3.2).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The orders CSV file.") var file: String

        func run() async throws {
            try await CommandFailure.run {
                let config = try options.loadConfig()
                _ = options.logger()
                let summary = try await StoreOpener.with(config, for: .existing, lock: .some(nil)) { store in
                    try await Importer(store: store, config: config).importOrders(from: URL(fileURLWithPath: file))
                }
                print("orders: \(summary.saved) saved, \(summary.skippedPaymentMethod) skipped (not credit_card), \(summary.skippedCompleted) skipped (already completed)")
                if let skipped = summary.skippedPaymentMethodsLine { print(skipped) }
                if let unknown = summary.unknownProductsLine { print(unknown) }
                return .success
            }
        }
    }

    struct Licenses: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "licenses", abstract: "Import a licenses CSV (SPEC §3.2).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The licenses CSV file.") var file: String
        @Flag(help: "Accept rows that move expires_on earlier than the stored value.") var allowEarlier = false

        func run() async throws {
            try await CommandFailure.run {
                let config = try options.loadConfig()
                _ = options.logger()
                let summary = try await StoreOpener.with(config, for: .existing, lock: .some(nil)) { store in
                    try await Importer(store: store, config: config)
                        .importLicenses(from: URL(fileURLWithPath: file), allowEarlier: allowEarlier)
                }
                print("licenses: \(summary.saved) saved")
                summary.movedEarlierLines.forEach { print($0) }
                if let unknown = summary.unknownProductsLine { print(unknown) }
                return .success
            }
        }
    }
}
