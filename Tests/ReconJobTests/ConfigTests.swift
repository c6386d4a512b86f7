import Foundation
import Testing
import ReconCore
@testable import renewal_recon

@Suite struct ConfigTests {
    @Test func defaultsFollowTheSpec() throws {
        let workspace = try TestWorkspace(yaml: "")
        let config = try workspace.config()
        #expect(config.store == .sqlite(path: workspace.url("var/recon.sqlite").path))
        #expect(config.timeZone.identifier == "Asia/Tokyo")
        #expect(config.settlementTimeZone.identifier == "Asia/Tokyo")
        #expect(config.minFileAgeSeconds == 60)
        #expect(config.maxFileMB == 2048)
        #expect(config.rules.windowDays == 5)
        #expect(config.rules.amountToleranceMinor == 0)
        #expect(!config.rules.appliesLateSettlements)
        #expect(config.orderIDPattern == "RN[0-9A-Z-]{6,30}")
        #expect(config.fileDays == [1, 2, 3, 4, 5])
        #expect(config.archiveDirectory == nil)
        #expect(config.mailFrom == "no-reply@example.invalid")
        #expect(config.statementDescriptors == ["RCH*TrendMicro", "With Reach"])
    }

    @Test func relativePathsAreRelativeToTheConfigFolder() throws {
        let workspace = try TestWorkspace(yaml: "inbox_dir: drop/in\nout_dir: /tmp/recon-out\n")
        let config = try workspace.config()
        #expect(config.inboxDirectory.path == workspace.url("drop/in").path)
        #expect(config.outDirectory.path == "/tmp/recon-out")
    }

    @Test(arguments: [("windows_days: 5\n", "windows_days"), ("mail:\n  form: a@b.c\n", "mail.form"),
                      ("csv_profiles:\n  - name: x\n    match_columns: [a]\n    columns: {}\n    colour: red\n", "csv_profiles[0].colour")])
    func anUnknownKeyIsRefusedByName(yaml: String, key: String) throws {
        let workspace = try TestWorkspace(yaml: yaml)
        let error = #expect(throws: ConfigError.self) { try workspace.config() }
        #expect(error?.description.contains("'\(key)'") == true)
    }

    @Test func environmentOverridesScalarsListsAndNestedKeys() throws {
        let workspace = try TestWorkspace(yaml: "window_days: 5\nmail:\n  from: a@example.com\n")
        let config = try workspace.config(environment: [
            "RECON_WINDOW_DAYS": "7", "RECON_DESCRIPTORS": "RCH*TrendMicro, Other Shop",
            "RECON_MAIL_EML": "true", "RECON_MAIL_FROM": "b@example.com", "RECON_TIMEZONE": "Europe/Amsterdam",
        ])
        #expect(config.rules.windowDays == 7)
        #expect(config.rules.descriptors.matches("other shop RN1"))
        #expect(config.mailEML)
        #expect(config.mailFrom == "b@example.com")
        #expect(config.settlementTimeZone.identifier == "Europe/Amsterdam")
    }

    /// A variable no key reads but one nearly does (a typo) is refused by name, as an unknown
    /// key in the file is; others, a container platform's for a service named `recon`, and the
    /// job's own that are no key, pass.
    @Test(arguments: [("RECON_WINDOWDAYS", "RECON_WINDOW_DAYS"), ("RECON_MAIL_FORM", "RECON_MAIL_FROM"),
                      ("RECON_WINDOW_DAY", "RECON_WINDOW_DAYS")])
    func aMistypedVariableIsRefusedByName(variable: String, meant: String) throws {
        let workspace = try TestWorkspace(yaml: "window_days: 5\n")
        let error = #expect(throws: ConfigError.self) { try workspace.config(environment: [variable: "7"]) }
        #expect(error?.description == "unknown environment variable '\(variable)': did you mean '\(meant)'?",
                "\(error?.description ?? "")")
        let config = try workspace.config(environment: [
            "RECON_DATABASE_PASSWORD": "x", "RECON_TEST_POSTGRES_URL": "postgres://h/d", "RECON_WINDOW_DAYS": "7",
            "RECON_PORT": "tcp://10.0.0.1:80", "RECON_DB_SERVICE_HOST": "10.0.0.2", "RECON_PRODUCTS_VBC": "x",
        ])
        #expect(config.rules.windowDays == 7)
    }

    /// The error names where the bad value came from: the variable, not recon.yaml.
    @Test(arguments: [("RECON_WINDOW_DAYS", "abc"), ("RECON_MAIL_EML", "1")])
    func aBadValueFromTheEnvironmentNamesItsVariable(variable: String, value: String) throws {
        let workspace = try TestWorkspace(yaml: "window_days: 5\n")
        let error = #expect(throws: ConfigError.self) { try workspace.config(environment: [variable: value]) }
        #expect(error?.description.hasPrefix("\(variable): ") == true, "\(error?.description ?? "")")
        let fromFile = #expect(throws: ConfigError.self) { try TestWorkspace(yaml: "window_days: abc\n").config() }
        #expect(fromFile?.description.contains("recon.yaml: key 'window_days'") == true, "\(fromFile?.description ?? "")")
    }

    /// A value of the wrong kind is named in the operator's words, not the decoder's
    /// ("Expected to decode Int but found Scalar instead").
    @Test(arguments: [("window_days: five\n", "key 'window_days' must be a whole number"),
                      ("amount_tolerance_minor: 1.5\n", "key 'amount_tolerance_minor' must be a whole number"),
                      ("expect_daily_files: 1\n", "key 'expect_daily_files' must be true or false"),
                      ("mail:\n  eml: maybe\n", "key 'mail.eml' must be true or false"),
                      ("window_days: [5]\n", "key 'window_days' must be a single value, not a list or a mapping"),
                      ("descriptors: RCH\n", "key 'descriptors' must be a list")])
    func aValueOfTheWrongKindSaysWhatItMustBe(yaml: String, message: String) throws {
        let error = #expect(throws: ConfigError.self) { try TestWorkspace(yaml: yaml).config() }
        #expect(error?.description.hasSuffix("recon.yaml: " + message) == true, "\(error?.description ?? "")")
    }

    @Test func aMissingFileIsAnErrorUnlessTheEnvironmentNamesTheStore() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString).yaml").path
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: path, environment: [:]) }
        let config = try ConfigLoader.load(path: path, environment: ["RECON_DATABASE_URL": "sqlite:/tmp/x.sqlite"])
        #expect(config.store == .sqlite(path: "/tmp/x.sqlite"))
    }

    @Test(arguments: ["timezone: Mars/Olympus\n", "late_settlement: maybe\n", "window_days: -1\n", "window_days: 367\n",
                      "window_days: 9223372036854775807\n", "max_file_mb: 9007199254740993\n", "min_file_age_s: 604801\n",
                      "file_days: [mon, funday]\n", "holidays: [2026-13-01]\n", "database_url: mysql://x\n",
                      "exception_texts:\n  no_such_code: {summary_ja: a, action_ja: b}\n", "window_days: many\n",
                      "mail:\n  from: \"サポート <no-reply@example.jp>\"\n", "mail:\n  from: \"<no-reply@example.jp>\"\n",
                      "mail:\n  from: no-reply\n", "descriptors: []\n", "descriptors: [\" \"]\n",
                      "archive_dir: inbox\n", "archive_dir: archive\nquarantine_dir: ./inbox\n",
                      Self.profile(dateFormat: "dd/MM/yy"), Self.profile(dateFormat: "yyyy-MM"),
                      Self.profile(dateFormat: "yyyy-MM-dd mm"),
                      Self.profile(dateFormat: "dd/MM/yyyy").replacingOccurrences(of: "booking_date: date", with: "booking_date: date, booking_time: time")])
    func invalidValuesAreConfigErrors(_ yaml: String) throws {
        let workspace = try TestWorkspace(yaml: yaml)
        #expect(throws: ConfigError.self) { try workspace.config() }
    }

    static func profile(dateFormat: String) -> String {
        """
        csv_profiles:
          - name: shop
            match_columns: [id]
            columns: {transaction_id: id, amount: amount, currency: currency, booking_date: date, type: kind}
            types: {sale: credit}
            date_format: "\(dateFormat)"

        """
    }

    /// A profile is recognised by its `match_columns` and reads only files whose header also
    /// holds every column it reads: a column named wrong would read as empty in every row.
    @Test func aProfileReadsOnlyHeadersHoldingEveryColumnItReads() async throws {
        let workspace = try TestWorkspace(yaml: "min_file_age_s: 0\n" + Self.profile(dateFormat: "M/d/yyyy"))
        let profile = try #require(try workspace.config().csvProfiles.first)
        #expect(profile.matchColumns == ["id"])
        #expect(profile.requiredColumns == ["id", "amount", "currency", "date", "kind"])
        // The type column named otherwise ("type"): refused whole, not read as rows of no type.
        try workspace.write("id,amount,currency,date,type\nT1,5980,JPY,11/12/2026,sale\n", to: "inbox/shop.csv")
        let outcome = try await workspace.job().run(date: BusinessDate(iso: "2026-11-12")!)
        #expect(outcome.filesRejected == 1)
        #expect(outcome.rejections.first?.contains("unknown format") == true, "\(outcome.rejections)")
    }
}
