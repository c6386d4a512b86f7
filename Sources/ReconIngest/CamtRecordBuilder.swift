import ReconCore

/// What the SAX side of `CamtReader` hands to the side that builds records, in document order.
enum CamtEvent {
    /// A `Stmt` / `Ntfctn` opened.
    case reportStart
    /// An `Ntry` closed, and where it is.
    case entry(CamtEntry, CamtPosition)
    /// A `Stmt` / `Ntfctn` closed, with what its `TxsSummry` declared.
    case reportEnd(ReportSummary.Declared, CamtPosition)
}

/// Where an entry or a report's summary is, as batch mismatches name it (`Ntfctn 1 Ntry 3`,
/// `Stmt 1 TxsSummry`): spelled only for a mismatch, not for every entry.
struct CamtPosition: CustomStringConvertible {
    /// `Stmt` (camt.053) or `Ntfctn` (camt.054).
    var report: String
    var reportNumber: Int
    /// The entry's number in its report; nil for the report's `TxsSummry`.
    var entryNumber: Int?

    var description: String {
        "\(report) \(reportNumber) " + (entryNumber.map { "Ntry \($0)" } ?? "TxsSummry")
    }
}

/// Turns a camt file's entries into records in document order (SPEC §3.1): field sources,
/// ordinals, the batch and summary checks, and entries that are not booked.
struct CamtRecordBuilder {
    private let options: ReadOptions
    private let references: OrderReferenceFinder
    private var counter = OrdinalCounter()
    private var report = ReportSummary()
    private(set) var mismatches: [BatchMismatch] = []
    private(set) var recordCount = 0
    private(set) var skippedStatus = 0

    init(options: ReadOptions) {
        self.options = options
        self.references = OrderReferenceFinder(pattern: options.orderIDPattern)
    }

    mutating func take(_ event: CamtEvent, emit: (SettlementRecord) -> Void) {
        switch event {
        case .reportStart:
            report = ReportSummary()
        case .entry(let entry, let position):
            report.count(entry)
            mismatches += CamtIntegrity.mismatches(in: entry, position: position)
            guard entry.isBooked else {
                skippedStatus += max(1, entry.transactions.count)
                return
            }
            entry.records(options: options, references: references) { record in
                counter.assign(&record)
                recordCount += 1
                emit(record)
            }
        case .reportEnd(let declared, let position):
            mismatches += report.mismatches(declared, position: position)
        }
    }
}
