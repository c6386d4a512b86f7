/// `recon.yaml` as decoded: every key optional; defaults are applied in `ReconConfig`.
struct FileConfig: Decodable {
    var databaseURL: String?
    var timezone: String?
    var settlementTimezone: String?
    var inboxDir: String?
    var archiveDir: String?
    var quarantineDir: String?
    var outDir: String?
    var minFileAgeS: Int?
    var maxFileMB: Int?
    var windowDays: Int?
    var lateSettlement: String?
    var amountToleranceMinor: Int64?
    var descriptors: [String]?
    var orderIDPattern: String?
    var expectDailyFiles: Bool?
    var fileDays: [String]?
    var holidays: [String]?
    var csvProfiles: [CSVProfileConfig]?
    var products: [String: String]?
    var renewals: [String: [String]]?
    var exceptionTexts: [String: TextConfig]?
    var mail: MailConfig?

    enum CodingKeys: String, CodingKey {
        case databaseURL = "database_url", timezone, settlementTimezone = "settlement_timezone"
        case inboxDir = "inbox_dir", archiveDir = "archive_dir", quarantineDir = "quarantine_dir", outDir = "out_dir"
        case minFileAgeS = "min_file_age_s", maxFileMB = "max_file_mb", windowDays = "window_days"
        case lateSettlement = "late_settlement", amountToleranceMinor = "amount_tolerance_minor", descriptors
        case orderIDPattern = "order_id_pattern", expectDailyFiles = "expect_daily_files", fileDays = "file_days"
        case holidays, csvProfiles = "csv_profiles", products, renewals, exceptionTexts = "exception_texts", mail
    }

    struct MailConfig: Decodable {
        var from: String?
        var templateDir: String?
        var eml: Bool?
        var statementDescriptors: [String]?

        enum CodingKeys: String, CodingKey {
            case from, templateDir = "template_dir", eml, statementDescriptors = "statement_descriptors"
        }
    }

    struct TextConfig: Decodable {
        var summaryJa: String
        var actionJa: String

        enum CodingKeys: String, CodingKey {
            case summaryJa = "summary_ja", actionJa = "action_ja"
        }
    }

    /// A processor CSV profile (SPEC §3.1, §8).
    struct CSVProfileConfig: Decodable {
        var name: String
        var matchColumns: [String]
        var delimiter: String?
        var encoding: String?
        var decimalSeparator: String?
        var columns: [String: String]
        var types: [String: String]?
        var dateFormat: String?
        var timezone: String?
        var timezoneColumn: String?
        var descriptor: String?

        enum CodingKeys: String, CodingKey {
            case name, matchColumns = "match_columns", delimiter, encoding, decimalSeparator = "decimal_separator"
            case columns, types, dateFormat = "date_format", timezone, timezoneColumn = "timezone_column", descriptor
        }
    }
}

/// The shape of every key `recon.yaml` may hold: what unknown keys are checked against and
/// which keys the `RECON_*` environment variables may override.
indirect enum KeyShape: Sendable {
    case scalar
    case list
    case mapping([String: KeyShape])
    /// Any key, each value of one shape (`products`, `renewals`, `exception_texts`).
    case dictionary(of: KeyShape)
    case sequence(of: KeyShape)

    static let config = KeyShape.mapping([
        "database_url": .scalar, "timezone": .scalar, "settlement_timezone": .scalar, "inbox_dir": .scalar,
        "archive_dir": .scalar, "quarantine_dir": .scalar, "out_dir": .scalar, "min_file_age_s": .scalar,
        "max_file_mb": .scalar, "window_days": .scalar, "late_settlement": .scalar,
        "amount_tolerance_minor": .scalar, "descriptors": .list, "order_id_pattern": .scalar,
        "expect_daily_files": .scalar, "file_days": .list, "holidays": .list,
        "csv_profiles": .sequence(of: .mapping([
            "name": .scalar, "match_columns": .list, "delimiter": .scalar, "encoding": .scalar,
            "decimal_separator": .scalar, "columns": .dictionary(of: .scalar), "types": .dictionary(of: .scalar),
            "date_format": .scalar, "timezone": .scalar, "timezone_column": .scalar, "descriptor": .scalar,
        ])),
        "products": .dictionary(of: .scalar), "renewals": .dictionary(of: .list),
        "exception_texts": .dictionary(of: .mapping(["summary_ja": .scalar, "action_ja": .scalar])),
        "mail": .mapping([
            "from": .scalar, "template_dir": .scalar, "eml": .scalar, "statement_descriptors": .list,
        ]),
    ])
}
