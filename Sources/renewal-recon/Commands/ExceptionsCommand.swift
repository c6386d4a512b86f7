import ArgumentParser
import Foundation
import ReconCore
import ReconReports

struct ExceptionsCommand: CommandGroup {
    static let configuration = CommandConfiguration(
        commandName: "exceptions", abstract: "List exceptions, show one with its history, or record a support decision on one.",
        subcommands: [List.self, Show.self, Resolve.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List exceptions.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this code (e.g. unknown_order).") var code: String?
        @Option(help: "Only this status: open, resolved or dismissed.") var status: String?
        @Option(help: "As the report of this date shows them (YYYY-MM-DD).") var date: String?

        func validate() throws {
            if let code, ExceptionCode(rawValue: code) == nil { throw ValidationError("unknown code '\(code)'") }
            if let status, !["open", "resolved", "dismissed"].contains(status) {
                throw ValidationError("--status must be open, resolved or dismissed")
            }
            if let date, BusinessDate(iso: date) == nil { throw ValidationError("--date '\(date)' is not a date YYYY-MM-DD") }
        }

        func run() async throws {
            try await CommandFailure.run {
                let config = try options.loadConfig()
                _ = options.logger()
                let filterCode = code.flatMap(ExceptionCode.init(rawValue:))
                var rows: [ExceptionRow] = try await StoreOpener.with(config, for: .existing) { store in
                    if let day = date.flatMap(BusinessDate.init(iso:)) {
                        try await store.exceptionReport(on: day)
                    } else {
                        try await store.exceptions(code: filterCode, status: status)
                    }
                }
                // In the reports' order (code, order, transaction, id), with or without a date.
                rows = rows.filter { row in
                    (filterCode.map { row.facts.code == $0 } ?? true) && (status.map { row.status == $0 } ?? true)
                }.sorted(by: ExceptionRow.reportOrder)
                print(["exception_id", "status", "severity", "code", "order_id", "transaction_id", "first_seen", "last_seen"]
                    .joined(separator: "\t"))
                for row in rows {
                    print([row.exceptionID, row.status, row.facts.severity.rawValue, row.facts.code.rawValue,
                           row.facts.orderID ?? "-", row.facts.transactionID ?? "-", row.firstSeen.description,
                           row.lastSeen.description].joined(separator: "\t"))
                }
                return .success
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show one exception: its facts, and its history with each decision's note and who made it.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The exception id (EX-…).") var id: String

        func run() async throws {
            try await CommandFailure.run {
                let config = try options.loadConfig()
                _ = options.logger()
                let (row, history) = try await StoreOpener.with(config, for: .existing) { store in
                    (try await store.exception(id: id), try await store.history(ofException: id))
                }
                guard let row else { throw UsageError(message: "no exception \(id) (see `exceptions list`)") }
                print(ExceptionSheet(row: row, history: history, texts: config.exceptionTexts).text)
                return .success
            }
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve", abstract: "Apply a held settlement with its check waived, or dismiss an exception.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The exception id (EX-…).") var id: String
        @Flag(help: "Run rules 4–9 with the check that raised the exception waived, and apply.") var apply = false
        @Option(help: "With --apply: attach the settlement to this order first (missing_reference, unknown_order).")
        var order: String?
        @Flag(help: "Dismiss the exception.") var dismiss = false
        @Option(help: "Why (kept in the history).") var note: String
        @Option(help: "Who decides (default: the login name).") var by: String?

        func validate() throws {
            guard apply != dismiss else { throw ValidationError("give exactly one of --apply and --dismiss") }
            if order != nil, !apply { throw ValidationError("--order goes with --apply") }
            guard !note.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--note must say why") }
            if let by, by.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--by must name someone") }
        }

        /// The login name (SPEC §6), so that `sudo -u recon renewal-recon …` records the person
        /// who logged in, not the service account; where the process has no terminal, the
        /// environment's login name, then the user's.
        static func loginName(terminal: String? = getlogin().map { String(cString: $0) },
                              environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
            if let terminal, !terminal.isEmpty { return terminal }
            return environment["SUDO_USER"] ?? environment["LOGNAME"] ?? environment["USER"] ?? ProcessInfo.processInfo.userName
        }

        func run() async throws {
            try await CommandFailure.run {
                let config = try options.loadConfig()
                let logger = options.logger()
                let actor = by ?? Self.loginName()
                try config.checkWritableFolders(dates: [config.today()])
                print(try await StoreOpener.with(config, for: .existing, lock: .some(nil)) { store in
                    try await SupportDesk(job: ReconJob(config: config, store: store, logger: logger))
                        .resolve(id, apply ? .apply(order: order) : .dismiss, note: note, by: actor)
                })
                return .success
            }
        }
    }
}

/// What `exceptions show` prints: the exception's facts as exceptions.csv names them (but
/// the customer's e-mail address), with the column and reason report.html gives, then its
/// history, one tab-separated line an entry: date, instant recorded, who, what, status after,
/// and the note. Each value stays on its line: a tab or line break in it (a note typed over
/// lines) is written `\t`, `\n` or `\r`, and a backslash `\\`.
struct ExceptionSheet {
    let row: ExceptionRow
    let history: [ExceptionHistoryLine]
    let texts: [ExceptionCode: ExceptionText]

    var text: String {
        var lines: [String] = []
        let cells = ExceptionsCSV(texts: texts).cells(row)
        for (name, value) in zip(ExceptionsCSV.header, cells) where !value.isEmpty && name != "email" {
            // exceptions.csv's amounts are bare decimals (its one currency is the settlement's);
            // here an expected amount in another currency (`currency_mismatch`) names its own.
            var value = value
            if name == "expected_amount", let other = row.facts.expectedCurrency, other != row.facts.currency { value += " " + other }
            lines.append("\(name): \(Console.oneLine(value))")
            if name == "line", let column = row.facts.column { lines.append("column: \(column)") }
        }
        if let detail = row.facts.detail { lines.append("detail: \(Console.oneLine(detail))") }
        lines.append("history:")
        for entry in history {
            lines.append("  " + [entry.date.description, entry.recordedAt, entry.actor, entry.action, entry.status,
                                 entry.note ?? ""].map { Console.oneLine($0) }.joined(separator: "\t"))
        }
        return lines.joined(separator: "\n")
    }
}
