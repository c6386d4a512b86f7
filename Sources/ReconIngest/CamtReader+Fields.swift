/// The field table of SPEC §3.1 as element paths relative to `Ntry` or `TxDtls`.
enum CamtField {
    case entryRef, entryAmount, entryIndicator, entryReversal, entryStatus, bookingDate, bookingDateTime
    case valueDate, valueDateTime, entryServicerRef, entryInfo
    case servicerRef, transactionID, endToEndID, creditorRef, unstructured, amount, transactionAmount
    case indicator, transactionInfo

    private static let paths: [(path: [CamtElement], field: CamtField)] = [
        ([.ntry, .ntryRef], .entryRef), ([.ntry, .amt], .entryAmount), ([.ntry, .cdtDbtInd], .entryIndicator),
        ([.ntry, .rvslInd], .entryReversal), ([.ntry, .sts], .entryStatus), ([.ntry, .sts, .cd], .entryStatus),
        ([.ntry, .bookgDt, .dt], .bookingDate), ([.ntry, .bookgDt, .dtTm], .bookingDateTime),
        ([.ntry, .valDt, .dt], .valueDate), ([.ntry, .valDt, .dtTm], .valueDateTime),
        ([.ntry, .acctSvcrRef], .entryServicerRef), ([.ntry, .addtlNtryInf], .entryInfo),
        ([.txDtls, .refs, .acctSvcrRef], .servicerRef), ([.txDtls, .refs, .txID], .transactionID),
        ([.txDtls, .refs, .endToEndID], .endToEndID), ([.txDtls, .rmtInf, .strd, .cdtrRefInf, .ref], .creditorRef),
        ([.txDtls, .rmtInf, .ustrd], .unstructured), ([.txDtls, .amt], .amount),
        ([.txDtls, .amtDtls, .txAmt, .amt], .transactionAmount), ([.txDtls, .cdtDbtInd], .indicator),
        ([.txDtls, .addtlTxInf], .transactionInfo),
    ]

    static func matching(_ path: ArraySlice<CamtElement>) -> CamtField? {
        paths.first { $0.path.count == path.count && $0.path.elementsEqual(path) }?.field
    }
}

extension CamtReader {
    /// The field the innermost open element holds, if any.
    func fieldPath() -> CamtField? {
        guard let start = transactionDepth ?? entryDepth, stack.last != .other else { return nil }
        return CamtField.matching(stack[start...])
    }

    func store(_ value: String, in field: CamtField) {
        switch field {
        case .entryRef: entry.ntryRef = value
        case .entryAmount: entry.amount = (value, currency)
        case .entryIndicator: entry.cdtDbtInd = value
        case .entryReversal: entry.reversal = value == "true" || value == "1"
        case .entryStatus: entry.status = value
        case .bookingDate: entry.bookingDate = value
        case .bookingDateTime: entry.bookingDateTime = value
        case .valueDate: entry.valueDate = value
        case .valueDateTime: entry.valueDateTime = value
        case .entryServicerRef: entry.acctSvcrRef = value
        case .entryInfo: entry.addtlNtryInf = value
        case .servicerRef: transaction.acctSvcrRef = value
        case .transactionID: transaction.txID = value
        case .endToEndID: transaction.endToEndID = value
        case .creditorRef: transaction.creditorRef = value
        case .unstructured: transaction.ustrd.append(value)
        case .amount: transaction.amount = (value, currency)
        case .transactionAmount: transaction.txAmount = (value, currency)
        case .indicator: transaction.cdtDbtInd = value
        case .transactionInfo: transaction.addtlTxInf = value
        }
    }
}
