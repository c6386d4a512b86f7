import ReconCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fields of one `Ntry` and its `TxDtls` as read, before they become records.
///
/// The parser copies each field's text once, into `text`, and keeps where it is: strings are
/// made only for what a record holds, on the thread that builds records, so the parsing
/// thread allocates a few buffers per entry rather than a string per field.
struct CamtEntry {
    /// A field's text within `text`: trimmed of XML white space, UTF-8.
    struct Span: Equatable {
        var start: Int
        var count: Int
    }

    /// An amount as written and the `Ccy` of its element.
    struct Amount {
        var text: Span
        var currency: Span
    }

    struct Transaction {
        var line = 0
        var acctSvcrRef: Span?
        var txID: Span?
        var endToEndID: Span?
        var creditorRef: Span?
        /// Its `Ustrd` lines: indexes into the entry's `ustrd`.
        var ustrd: Range<Int> = 0..<0
        var amount: Amount?
        var txAmount: Amount?
        var cdtDbtInd: Span?
        var addtlTxInf: Span?
    }

    struct Batch {
        var line: Int
        /// The `TxDtls` of its `NtryDtls`: indexes into `transactions`.
        var first: Int
        var end: Int?
        var count: Int?
        var total: Amount?
        var indicator: Span?
    }

    /// Every field's text, back to back.
    var text: [UInt8] = []
    var line = 0
    var ntryRef: Span?
    var amount: Amount?
    var cdtDbtInd: Span?
    var reversal = false
    var status: Span?
    var bookingDate: Span?
    var bookingDateTime: Span?
    var valueDate: Span?
    var valueDateTime: Span?
    var acctSvcrRef: Span?
    var addtlNtryInf: Span?
    var transactions: [Transaction] = []
    /// The `Ustrd` lines of all its transactions, in document order.
    var ustrd: [Span] = []
    /// The `Btch` of each `NtryDtls` that has one.
    var batches: [Batch] = []

    /// Entries without a status, or booked, are settlements (SPEC §3.1).
    var isBooked: Bool { status.map { self[$0, is: "BOOK"] } ?? true }

    // MARK: Reading the text

    func string(_ span: Span?) -> String? {
        guard let span else { return nil }
        return withBytes(span) { String(decoding: $0, as: UTF8.self) }
    }

    /// The span's text, or nil where the element is absent or empty (white space only).
    func present(_ span: Span?) -> String? {
        guard let span, span.count > 0 else { return nil }
        return string(span)
    }

    /// The span's bytes, borrowed for `body` (no copy, no reference counting).
    func withBytes<Result>(_ span: Span, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        text.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[span.start..<span.start + span.count])) }
    }

    /// Whether the span holds exactly `literal`.
    subscript(span: Span, is literal: StaticString) -> Bool {
        span.count == literal.utf8CodeUnitCount
            && (span.count == 0 || withBytes(span) { memcmp($0.baseAddress!, literal.utf8Start, span.count) == 0 })
    }

    func same(_ a: Span, _ b: Span) -> Bool {
        a.count == b.count
            && (a.count == 0 || text.withUnsafeBufferPointer { memcmp($0.baseAddress! + a.start, $0.baseAddress! + b.start, a.count) == 0 })
    }

    func decimal(_ span: Span) -> ExactDecimal? {
        withBytes(span) { ExactDecimal(bytes: $0) }
    }

    func ustrd(of transaction: Transaction) -> [String] {
        ustrd[transaction.ustrd].map { string($0)! }
    }

    // MARK: Writing the text (the parser)

    /// Appends `bytes` as they are and returns where they are.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) -> Span {
        let start = text.count
        text.append(contentsOf: bytes)
        return Span(start: start, count: bytes.count)
    }

    /// The text appended since `start`, trimmed of XML white space (trailing white space is
    /// dropped from `text`, leading white space only skipped).
    mutating func trimmedSpan(from start: Int) -> Span {
        var end = text.count
        while end > start, Self.isBlank(text[end - 1]) { end -= 1 }
        text.removeSubrange(end...)
        var first = start
        while first < end, Self.isBlank(text[first]) { first += 1 }
        return Span(start: first, count: end - first)
    }

    /// XML white space: space, tab, line feed, carriage return.
    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
}
