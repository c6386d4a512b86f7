import ReconCore

/// The fields of one `Ntry` and its `TxDtls` as read, before they become records.
struct CamtEntry {
    struct Transaction {
        var line = 0
        var acctSvcrRef: String?
        var txID: String?
        var endToEndID: String?
        var creditorRef: String?
        var ustrd: [String] = []
        var amount: (text: String, currency: String)?
        var txAmount: (text: String, currency: String)?
        var cdtDbtInd: String?
        var addtlTxInf: String?
    }

    var line = 0
    var ntryRef: String?
    var amount: (text: String, currency: String)?
    var cdtDbtInd: String?
    var reversal = false
    var status: String?
    var bookingDate: String?
    var bookingDateTime: String?
    var valueDate: String?
    var valueDateTime: String?
    var acctSvcrRef: String?
    var addtlNtryInf: String?
    var transactions: [Transaction] = []
    /// The `Btch` of each `NtryDtls` that has one.
    var batches: [Batch] = []

    struct Batch {
        var line: Int
        /// The `TxDtls` of its `NtryDtls`: indexes into `transactions`.
        var first: Int
        var end: Int?
        var count: Int?
        var total: (text: String, currency: String)?
        var indicator: String?
    }

    /// Entries without a status, or booked, are settlements (SPEC §3.1).
    var isBooked: Bool { status == nil || status == "BOOK" }
}
