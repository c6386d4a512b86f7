/// The field table of SPEC §3.1 as element paths relative to `Ntry`, `TxDtls`, or the report
/// (`Stmt` / `Ntfctn`) for its transactions summary.
enum CamtField {
    case entryRef, entryAmount, entryIndicator, entryReversal, entryStatus, bookingDate, bookingDateTime
    case valueDate, valueDateTime, entryServicerRef, entryInfo
    case batchCount, batchTotal, batchIndicator
    case servicerRef, transactionID, endToEndID, creditorRef, unstructured, amount, transactionAmount
    case indicator, transactionInfo
    case summaryCount, summarySum, summaryNet, summaryNetIndicator
    case summaryCreditCount, summaryCreditSum, summaryDebitCount, summaryDebitSum

    private static let paths: [(path: [CamtElement], field: CamtField)] = [
        ([.ntry, .ntryRef], .entryRef), ([.ntry, .amt], .entryAmount), ([.ntry, .cdtDbtInd], .entryIndicator),
        ([.ntry, .rvslInd], .entryReversal), ([.ntry, .sts], .entryStatus), ([.ntry, .sts, .cd], .entryStatus),
        // From version 08 a status is a code or a proprietary one (`Prtry`): either is the status,
        // booked only where it reads `BOOK`.
        ([.ntry, .sts, .prtry], .entryStatus),
        ([.ntry, .bookgDt, .dt], .bookingDate), ([.ntry, .bookgDt, .dtTm], .bookingDateTime),
        ([.ntry, .valDt, .dt], .valueDate), ([.ntry, .valDt, .dtTm], .valueDateTime),
        ([.ntry, .acctSvcrRef], .entryServicerRef), ([.ntry, .addtlNtryInf], .entryInfo),
        ([.ntry, .ntryDtls, .btch, .nbOfTxs], .batchCount), ([.ntry, .ntryDtls, .btch, .ttlAmt], .batchTotal),
        ([.ntry, .ntryDtls, .btch, .cdtDbtInd], .batchIndicator),
        ([.txDtls, .refs, .acctSvcrRef], .servicerRef), ([.txDtls, .refs, .txID], .transactionID),
        ([.txDtls, .refs, .endToEndID], .endToEndID), ([.txDtls, .rmtInf, .strd, .cdtrRefInf, .ref], .creditorRef),
        ([.txDtls, .rmtInf, .ustrd], .unstructured), ([.txDtls, .amt], .amount),
        ([.txDtls, .amtDtls, .txAmt, .amt], .transactionAmount), ([.txDtls, .cdtDbtInd], .indicator),
        ([.txDtls, .addtlTxInf], .transactionInfo),
        ([.txsSummry, .ttlNtries, .nbOfNtries], .summaryCount), ([.txsSummry, .ttlNtries, .sum], .summarySum),
        ([.txsSummry, .ttlNtries, .ttlNetNtry, .amt], .summaryNet),
        ([.txsSummry, .ttlNtries, .ttlNetNtry, .cdtDbtInd], .summaryNetIndicator),
        ([.txsSummry, .ttlNtries, .ttlNetNtryAmt], .summaryNet),
        ([.txsSummry, .ttlNtries, .cdtDbtInd], .summaryNetIndicator),
        ([.txsSummry, .ttlCdtNtries, .nbOfNtries], .summaryCreditCount),
        ([.txsSummry, .ttlCdtNtries, .sum], .summaryCreditSum),
        ([.txsSummry, .ttlDbtNtries, .nbOfNtries], .summaryDebitCount),
        ([.txsSummry, .ttlDbtNtries, .sum], .summaryDebitSum),
    ]

    /// The paths as a trie over element codes: a start tag moves from its parent's node to a
    /// child node in one array read, so no path is ever compared while parsing.
    struct Trie {
        /// `children[node * width + element]`: the child node, or -1.
        private(set) var children: [Int32]
        private(set) var fields: [CamtField?]
        static let width = 64

        init(_ paths: [(path: [CamtElement], field: CamtField)]) {
            children = [Int32](repeating: -1, count: Self.width)
            fields = [nil]
            for (path, field) in paths {
                var node = 0
                for element in path {
                    let slot = node * Self.width + Int(element.rawValue)
                    if children[slot] < 0 {
                        children[slot] = Int32(fields.count)
                        fields.append(nil)
                        children += [Int32](repeating: -1, count: Self.width)
                    }
                    node = Int(children[slot])
                }
                fields[node] = field
            }
        }

        /// The node of `element` under `node` (0 = a path's start), or -1.
        @inline(__always)
        func child(of node: Int32, _ element: CamtElement) -> Int32 {
            node < 0 ? -1 : children[Int(node) * Self.width + Int(element.rawValue)]
        }
    }

    static let trie = Trie(paths)
}

extension CamtReader {
    /// The field the innermost open element holds, if any.
    func fieldPath() -> CamtField? {
        guard let node = nodes.last, node >= 0 else { return nil }
        return trie.fields[Int(node)]
    }

    /// Keeps a field of the open entry or transaction.
    func store(_ value: CamtEntry.Span, in field: CamtField) {
        switch field {
        case .entryRef: entry.ntryRef = value
        case .entryAmount: entry.amount = CamtEntry.Amount(text: value, currency: currency)
        case .entryIndicator: entry.cdtDbtInd = value
        case .entryReversal: entry.reversal = entry[value, is: "true"] || entry[value, is: "1"]
        case .entryStatus: entry.status = value
        case .bookingDate: entry.bookingDate = value
        case .bookingDateTime: entry.bookingDateTime = value
        case .valueDate: entry.valueDate = value
        case .valueDateTime: entry.valueDateTime = value
        case .entryServicerRef: entry.acctSvcrRef = value
        case .entryInfo: entry.addtlNtryInf = value
        case .batchCount:
            let count = entry.string(value).flatMap { Int($0) }
            updateBatch { $0.count = count }
        case .batchTotal: updateBatch { [currency] in $0.total = CamtEntry.Amount(text: value, currency: currency) }
        case .batchIndicator: updateBatch { $0.indicator = value }
        case .servicerRef: transaction.acctSvcrRef = value
        case .transactionID: transaction.txID = value
        case .endToEndID: transaction.endToEndID = value
        case .creditorRef: transaction.creditorRef = value
        case .unstructured:
            entry.ustrd.append(value)
            transaction.ustrd = transaction.ustrd.lowerBound..<entry.ustrd.count
        case .amount: transaction.amount = CamtEntry.Amount(text: value, currency: currency)
        case .transactionAmount: transaction.txAmount = CamtEntry.Amount(text: value, currency: currency)
        case .indicator: transaction.cdtDbtInd = value
        case .transactionInfo: transaction.addtlTxInf = value
        case .summaryCount, .summarySum, .summaryNet, .summaryNetIndicator, .summaryCreditCount, .summaryCreditSum,
             .summaryDebitCount, .summaryDebitSum:
            break  // report fields are read outside entries
        }
    }

    /// Keeps a field of the open report's `TxsSummry`.
    func store(_ value: String, in field: CamtField) {
        switch field {
        case .summaryCount: declared.count = Int(value)
        case .summarySum: declared.sum = value
        case .summaryNet: declared.net = value
        case .summaryNetIndicator: declared.netIndicator = value
        case .summaryCreditCount: declared.creditCount = Int(value)
        case .summaryCreditSum: declared.creditSum = value
        case .summaryDebitCount: declared.debitCount = Int(value)
        case .summaryDebitSum: declared.debitSum = value
        default: break  // entry fields are read inside entries
        }
    }

    private func updateBatch(_ change: (inout CamtEntry.Batch) -> Void) {
        guard let last = entry.batches.indices.last else { return }
        change(&entry.batches[last])
    }
}
