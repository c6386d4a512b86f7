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

    /// Entries without a status, or booked, are settlements (SPEC §3.1).
    var isBooked: Bool { status == nil || status == "BOOK" }
}
