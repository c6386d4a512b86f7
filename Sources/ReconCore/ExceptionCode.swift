/// Every exception the job raises (SPEC §4, exception codes).
public enum ExceptionCode: String, Sendable, Codable, CaseIterable, Comparable {
    case fileRejected = "file_rejected"
    case invalidRecord = "invalid_record"
    case batchTotalMismatch = "batch_total_mismatch"
    case duplicateSettlement = "duplicate_settlement"
    case refundOrChargeback = "refund_or_chargeback"
    case missingReference = "missing_reference"
    case unknownOrder = "unknown_order"
    case duplicatePayment = "duplicate_payment"
    case orderNotPending = "order_not_pending"
    case currencyMismatch = "currency_mismatch"
    case amountMismatch = "amount_mismatch"
    case settledBeforeOrder = "settled_before_order"
    case lateSettlement = "late_settlement"
    case licenseNotFound = "license_not_found"
    case licenseNotRenewable = "license_not_renewable"
    case renewalTooEarly = "renewal_too_early"
    case invalidUpgradePath = "invalid_upgrade_path"
    case autoRenewActive = "auto_renew_active"
    case unsettledOverdue = "unsettled_overdue"
    case noSettlementFile = "no_settlement_file"
    case repeatRenewal = "repeat_renewal"

    /// Codes are ordered by their text, as the reports sort them (UTF-8 bytes).
    public static func < (lhs: ExceptionCode, rhs: ExceptionCode) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }

    /// Whether `exceptions resolve --apply` may waive this check.
    public var allowsManualApply: Bool {
        switch self {
        case .missingReference, .unknownOrder, .amountMismatch, .settledBeforeOrder, .lateSettlement,
             .renewalTooEarly, .autoRenewActive: true
        default: false
        }
    }

    /// Verdicts given at ingestion; the rules never re-evaluate them.
    public var isIngestionVerdict: Bool {
        self == .invalidRecord || self == .duplicateSettlement
    }
}

/// `error` holds the record; `warning` marks an applied one for a look.
public enum Severity: String, Sendable, Codable {
    case error, warning

    /// The severity it changes from, or to: there are two.
    public var other: Severity { self == .error ? .warning : .error }
}

/// The Japanese texts support staff read for one code.
public struct ExceptionText: Hashable, Sendable, Codable {
    public var summaryJa: String
    public var actionJa: String

    public init(summaryJa: String, actionJa: String) {
        self.summaryJa = summaryJa
        self.actionJa = actionJa
    }

    enum CodingKeys: String, CodingKey {
        case summaryJa = "summary_ja"
        case actionJa = "action_ja"
    }

    /// The texts of SPEC §4; `exception_texts` in the config replaces them per code.
    public static let defaults: [ExceptionCode: ExceptionText] = [
        .fileRejected: .init(summaryJa: "決済ファイルを読み込めませんでした（理由・行・列を参照）", actionJa: "決済代行会社に正しいファイルの再送を依頼する"),
        .invalidRecord: .init(summaryJa: "決済明細の項目が不正です（金額・日付・通貨など）", actionJa: "元ファイルの該当行を確認し、決済代行会社に照会する"),
        .batchTotalMismatch: .init(summaryJa: "バッチ合計と明細の合計が一致しません", actionJa: "決済代行会社に明細の欠落・重複を照会する"),
        .duplicateSettlement: .init(summaryJa: "同じ取引IDで内容の異なる決済明細があります", actionJa: "訂正か重複かを決済代行会社に確認する"),
        .refundOrChargeback: .init(summaryJa: "返金またはチャージバックです", actionJa: "対象注文とライセンスの扱い（有効期限の戻し等）を判断する"),
        .missingReference: .init(summaryJa: "注文番号のない入金です", actionJa: "候補の注文を確認し、該当すれば注文番号を指定して適用する"),
        .unknownOrder: .init(summaryJa: "注文番号に該当する注文がありません", actionJa: "注文データの取込漏れを確認し、取込後に再実行する"),
        .duplicatePayment: .init(summaryJa: "完了済みの注文に二重の入金があります", actionJa: "お客さまへの返金手続きを行う"),
        .orderNotPending: .init(summaryJa: "取消済みの注文に入金があります", actionJa: "返金するか注文を復活させるかを判断する"),
        .currencyMismatch: .init(summaryJa: "入金の通貨が注文と異なります", actionJa: "決済代行会社に照会する"),
        .amountMismatch: .init(summaryJa: "入金額が注文金額と一致しません", actionJa: "差額の理由を確認し、問題なければ適用する"),
        .settledBeforeOrder: .init(summaryJa: "注文日より前の日付で決済されています", actionJa: "日付と注文の対応を確認する"),
        .lateSettlement: .init(summaryJa: "決済までの日数が所定の期間を超えています", actionJa: "内容を確認し、問題なければ適用する"),
        .licenseNotFound: .init(summaryJa: "注文のシリアル番号に該当するライセンスがありません", actionJa: "ライセンスデータの取込を確認し、取込後に再実行する"),
        .licenseNotRenewable: .init(summaryJa: "有効期限切れから2年を超えており更新できません", actionJa: "新規購入のご案内と返金を行う"),
        .renewalTooEarly: .init(summaryJa: "有効期限の180日より前の更新申込です", actionJa: "内容を確認し、問題なければ適用する"),
        .invalidUpgradePath: .init(summaryJa: "現在の製品からは選べない更新先製品です", actionJa: "お客さまに製品を確認し、返金または差替えを行う"),
        .autoRenewActive: .init(summaryJa: "あんしん自動更新が有効なままのアップグレードです", actionJa: "自動更新の解除を確認してから適用する"),
        .unsettledOverdue: .init(summaryJa: "期間内に決済が確認できない注文です", actionJa: "決済状況をお客さま・決済代行会社に確認する"),
        .noSettlementFile: .init(summaryJa: "本日の決済ファイルが届いていません", actionJa: "決済代行会社からのファイル配信を確認する"),
        .repeatRenewal: .init(summaryJa: "同じシリアル番号に短期間で複数の更新が適用されました", actionJa: "二重申込でないかお客さまに確認する"),
    ]
}

/// Product names and the renewals each product allows (SPEC §4); the config may replace both.
public struct ProductCatalog: Hashable, Sendable {
    public var names: [String: String]
    public var renewals: [String: Set<String>]

    public init(names: [String: String], renewals: [String: Set<String>]) {
        self.names = names
        self.renewals = renewals
    }

    public func allows(from current: String, to target: String) -> Bool {
        renewals[current]?.contains(target) ?? false
    }

    /// Every product named anywhere: among the names, or on either side of a renewal.
    public var knownProducts: Set<String> {
        Set(names.keys).union(renewals.keys).union(renewals.values.joined())
    }

    public static let standard = ProductCatalog(
        names: [
            "VBC": "ウイルスバスター クラウド",
            "VBC-DLS": "ウイルスバスター クラウド + デジタルライフサポート プレミアム",
            "TS-STD": "ウイルスバスター トータルセキュリティ スタンダード",
            "TS-PRM": "ウイルスバスター トータルセキュリティ プレミアム",
            "TS-STD-FB": "ウイルスバスター トータルセキュリティ スタンダード 詐欺バスター1台版付き",
            "TS-PRM-FB": "ウイルスバスター トータルセキュリティ プレミアム 詐欺バスター1台版付き",
        ],
        renewals: [
            "VBC": ["VBC", "VBC-DLS", "TS-STD", "TS-PRM", "TS-STD-FB", "TS-PRM-FB"],
            "VBC-DLS": ["VBC-DLS", "TS-PRM", "TS-PRM-FB"],
            "TS-STD": ["TS-STD", "TS-PRM"],
            "TS-PRM": ["TS-PRM"],
            "TS-STD-FB": ["TS-STD-FB", "TS-STD", "TS-PRM-FB", "TS-PRM"],
            "TS-PRM-FB": ["TS-PRM-FB", "TS-PRM"],
        ]
    )
}
