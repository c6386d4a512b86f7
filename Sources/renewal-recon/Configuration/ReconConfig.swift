import Foundation
import ReconCore
import ReconIngest
import ReconReports
import ReconStore

/// Where the store lives (`database_url`).
enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)
}

/// The resolved configuration: one `Sendable` value, every default applied, every path absolute.
struct ReconConfig: Sendable {
    /// `database_url`, default `sqlite:var/recon.sqlite`.
    var store: StoreLocation
    /// `timezone`, default `Asia/Tokyo`: business dates.
    var timeZone: TimeZone
    /// `settlement_timezone`, default = `timezone`: the zone of booking and placed dates.
    var settlementTimeZone: TimeZone
    /// `inbox_dir`, default `inbox`.
    var inboxDirectory: URL
    /// `archive_dir`, default none: ingested files stay in the inbox.
    var archiveDirectory: URL?
    /// `quarantine_dir`, default `quarantine`.
    var quarantineDirectory: URL
    /// `out_dir`, default `out`.
    var outDirectory: URL
    /// `min_file_age_s`, default 60 (0 to 604,800): younger files are still being uploaded.
    var minFileAgeSeconds: Int
    /// `max_file_mb`, default 2048 (1 to 1,048,576).
    var maxFileMB: Int
    /// `window_days`, default 5 (0 to 366); `amount_tolerance_minor`, default 0; `late_settlement`, default
    /// `review`; `descriptors`, default `RCH*TrendMicro`, `With Reach`; `products` and `renewals`.
    var rules: RuleSettings
    /// `order_id_pattern`, default `RN[0-9A-Z-]{6,30}`.
    var orderIDPattern: String
    /// `csv_profiles`, default none (the built-in `adyen-settlement-details` is always there).
    var csvProfiles: [CSVProfile]
    /// `expect_daily_files`, default false.
    var expectDailyFiles: Bool
    /// `file_days` as ISO weekdays (1 = Monday), default Monday–Friday.
    var fileDays: Set<Int>
    /// `holidays`, default none.
    var holidays: Set<BusinessDate>
    /// `exception_texts`, default SPEC §4.
    var exceptionTexts: [ExceptionCode: ExceptionText]
    /// `mail.from`, default `no-reply@example.invalid`: a bare address, no display name.
    var mailFrom: String
    /// `mail.template_dir`, default the shipped templates.
    var mailTemplateDirectory: URL?
    /// `mail.eml`, default false.
    var mailEML: Bool
    /// `mail.statement_descriptors`, default `RCH*TrendMicro`, `With Reach`.
    var statementDescriptors: [String]

    static let defaultDescriptors = ["RCH*TrendMicro", "With Reach"]
    private static let weekdays = ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7]

    init(file: FileConfig, baseDirectory: URL) throws {
        func path(_ value: String?, _ fallback: String?) -> URL? {
            guard let value = value ?? fallback else { return nil }
            return value.hasPrefix("/") ? URL(fileURLWithPath: value)
                : baseDirectory.appendingPathComponent(value).standardizedFileURL
        }
        func zone(_ key: String, _ identifier: String?) throws -> TimeZone? {
            guard let identifier else { return nil }
            guard let zone = TimeZone(identifier: identifier) else {
                throw ConfigError("\(key): '\(identifier)' is not a time zone (use an IANA name such as Asia/Tokyo)")
            }
            return zone
        }
        func within(_ key: String, _ value: Int?, _ range: ClosedRange<Int>, _ fallback: Int) throws -> Int {
            let value = value ?? fallback
            guard range.contains(value) else {
                throw ConfigError("\(key) must be from \(range.lowerBound) to \(range.upperBound), not \(value)")
            }
            return value
        }

        let databaseURL = file.databaseURL ?? "sqlite:var/recon.sqlite"
        if databaseURL.hasPrefix("sqlite:") {
            let target = String(databaseURL.dropFirst("sqlite:".count))
            guard !target.isEmpty, let resolved = path(target, nil) else { throw ConfigError("database_url: 'sqlite:' needs a path") }
            store = .sqlite(path: resolved.path)
        } else if databaseURL.hasPrefix("postgres://") || databaseURL.hasPrefix("postgresql://") {
            // The password comes from RECON_DATABASE_PASSWORD only (SPEC §8), never from a file
            // that is copied, committed and mailed around.
            guard URLComponents(string: databaseURL)?.password == nil else {
                throw ConfigError("database_url must not hold a password: set RECON_DATABASE_PASSWORD instead")
            }
            store = .postgres(url: databaseURL)
        } else {
            throw ConfigError("database_url must start with sqlite: or postgres://")
        }
        timeZone = try zone("timezone", file.timezone ?? "Asia/Tokyo") ?? .gmt
        settlementTimeZone = try zone("settlement_timezone", file.settlementTimezone) ?? timeZone
        let inbox = path(file.inboxDir, "inbox")!, archive = path(file.archiveDir, nil)
        let quarantine = path(file.quarantineDir, "quarantine")!
        // Files leave the inbox only with an archive. One "moved" into the folder it is in would
        // be taken for its own copy there, and removed.
        let destinations = archive.map { [("archive_dir", $0), ("quarantine_dir", quarantine)] } ?? []
        for (key, folder) in destinations where folder.standardizedFileURL.path == inbox.standardizedFileURL.path {
            throw ConfigError("\(key) must not be inbox_dir (\(folder.path)): files move out of the inbox")
        }
        (inboxDirectory, archiveDirectory, quarantineDirectory) = (inbox, archive, quarantine)
        outDirectory = path(file.outDir, "out")!
        // Upper bounds far past any real setting, so that a typo is told at once rather than
        // overflowing the byte count, or allocating a histogram bucket a day, mid-run.
        minFileAgeSeconds = try within("min_file_age_s", file.minFileAgeS, 0...604_800, 60)
        maxFileMB = try within("max_file_mb", file.maxFileMB, 1...1_048_576, 2048)
        let windowDays = try within("window_days", file.windowDays, 0...366, 5)
        let tolerance = file.amountToleranceMinor ?? 0
        guard tolerance >= 0 else { throw ConfigError("amount_tolerance_minor must not be negative") }
        let late = file.lateSettlement ?? "review"
        guard late == "review" || late == "apply" else {
            throw ConfigError("late_settlement must be review or apply, not '\(late)'")
        }
        var catalog = ProductCatalog.standard
        if let products = file.products { catalog.names = products }
        if let renewals = file.renewals { catalog.renewals = renewals.mapValues(Set.init) }
        let descriptors = DescriptorMatcher(descriptors: file.descriptors ?? Self.defaultDescriptors)
        // With none, every settlement would be foreign and a night would extend nothing, quietly.
        guard !descriptors.isEmpty else {
            throw ConfigError("descriptors must name at least one statement descriptor (default: RCH*TrendMicro, With Reach)")
        }
        rules = RuleSettings(windowDays: windowDays, amountToleranceMinor: tolerance,
                             appliesLateSettlements: late == "apply",
                             descriptors: descriptors, catalog: catalog,
                             settlementTimeZone: settlementTimeZone)
        orderIDPattern = file.orderIDPattern ?? "RN[0-9A-Z-]{6,30}"
        guard (try? Regex(orderIDPattern)) != nil else {
            throw ConfigError("order_id_pattern '\(orderIDPattern)' is not a regular expression")
        }
        csvProfiles = try (file.csvProfiles ?? []).enumerated().map { index, profile in
            try Self.profile(profile, key: "csv_profiles[\(index)]")
        }
        expectDailyFiles = file.expectDailyFiles ?? false
        fileDays = Set(try (file.fileDays ?? ["mon", "tue", "wed", "thu", "fri"]).map { day in
            guard let number = Self.weekdays[day.lowercased()] else {
                throw ConfigError("file_days: '\(day)' is not one of mon, tue, wed, thu, fri, sat, sun")
            }
            return number
        })
        holidays = Set(try (file.holidays ?? []).map { text in
            guard let date = BusinessDate(iso: text) else { throw ConfigError("holidays: '\(text)' is not a date YYYY-MM-DD") }
            return date
        })
        var texts = ExceptionText.defaults
        for (code, text) in file.exceptionTexts ?? [:] {
            guard let known = ExceptionCode(rawValue: code) else { throw ConfigError("exception_texts: unknown code '\(code)'") }
            texts[known] = ExceptionText(summaryJa: text.summaryJa, actionJa: text.actionJa)
        }
        exceptionTexts = texts
        mailFrom = file.mail?.from ?? "no-reply@example.invalid"
        // The mail's `from` and the .eml's From and Message-ID are built from a bare address.
        guard Importer.isEmailAddress(mailFrom), mailFrom.allSatisfy(\.isASCII) else {
            throw ConfigError("mail.from must be a bare ASCII e-mail address, local part @ domain (no display name or angle brackets)")
        }
        mailTemplateDirectory = path(file.mail?.templateDir, nil)
        if let folder = mailTemplateDirectory {
            do {
                try CompletionMailRenderer.validateTemplates(in: folder)
            } catch {
                throw ConfigError("mail.template_dir: \(error)")
            }
        }
        mailEML = file.mail?.eml ?? false
        statementDescriptors = file.mail?.statementDescriptors ?? Self.defaultDescriptors
    }

    /// Checks and resolves one `csv_profiles` entry.
    private static func profile(_ raw: FileConfig.CSVProfileConfig, key: String) throws -> CSVProfile {
        let delimiter = raw.delimiter ?? ","
        guard delimiter.count == 1, let separator = delimiter.first else {
            throw ConfigError("\(key).delimiter must be one character, not '\(delimiter)'")
        }
        guard let encoding = CSVProfile.Encoding(rawValue: (raw.encoding ?? "utf-8").lowercased()) else {
            throw ConfigError("\(key).encoding must be utf-8 or cp932, not '\(raw.encoding ?? "")'")
        }
        let decimal = raw.decimalSeparator ?? "."
        guard decimal == "." || decimal == "," else { throw ConfigError("\(key).decimal_separator must be . or ,") }
        var columns: [CSVProfile.Field: String] = [:]
        for (name, column) in raw.columns {
            guard let field = CSVProfile.Field(rawValue: name) else {
                let known = CSVProfile.Field.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigError("\(key).columns: unknown field '\(name)' (known: \(known))")
            }
            columns[field] = column
        }
        guard columns[.amount] != nil || columns[.creditAmount] != nil || columns[.debitAmount] != nil else {
            throw ConfigError("\(key).columns needs amount (or credit_amount / debit_amount)")
        }
        guard let bookingColumn = columns[.bookingDate] else { throw ConfigError("\(key).columns needs booking_date") }
        guard columns[.currency] != nil else { throw ConfigError("\(key).columns needs currency") }
        var types: [String: CSVProfile.TypeMeaning] = [:]
        for (value, meaning) in raw.types ?? [:] {
            guard let known = CSVProfile.TypeMeaning(rawValue: meaning) else {
                throw ConfigError("\(key).types.\(value) must be credit, debit, skip or by_sign, not '\(meaning)'")
            }
            types[value] = known
        }
        var zone: TimeZone?
        if let name = raw.timezone {
            guard let named = TimeZone(identifier: name) else { throw ConfigError("\(key).timezone: '\(name)' is not a time zone") }
            zone = named
        }
        let dateFormat = raw.dateFormat ?? "yyyy-MM-dd"
        if let problem = CSVDateFormat.problem(with: dateFormat) { throw ConfigError("\(key).date_format: \(problem)") }
        if columns[.bookingTime] != nil, !dateFormat.contains("H") {
            throw ConfigError("\(key).date_format must read the booking_time too, after the date and a space (e.g. dd/MM/yyyy HH:mm:ss)")
        }
        return CSVProfile(
            name: raw.name, matchColumns: raw.matchColumns, delimiter: separator, encoding: encoding,
            decimalSeparator: Character(decimal), columns: columns, types: types,
            bookingDates: [CSVProfile.DateSource(column: bookingColumn, timeColumn: columns[.bookingTime],
                                                 zoneColumn: raw.timezoneColumn)],
            dateFormat: dateFormat, timeZone: zone, descriptor: raw.descriptor)
    }

    /// The store for messages: a path, or the URL without a password.
    var storeDescription: String {
        switch store {
        case .sqlite(let path): path
        case .postgres(let url): PostgresDatabase.redacted(url)
        }
    }

    var readOptions: ReadOptions {
        ReadOptions(settlementTimeZone: settlementTimeZone, orderIDPattern: orderIDPattern,
                    maxFileBytes: maxFileMB * 1024 * 1024)
    }

    /// Today as a business date in `timezone`.
    func today(now: Date = Date()) -> BusinessDate { BusinessDate(instant: now, in: timeZone) }
}
