import Foundation
@testable import ReconCore
@testable import ReconIngest

/// Builds camt.053/054 documents for tests: one shape, every version and quirk.
struct CamtXML {
    var kind = "054"
    var version = 8
    var prefix: String?
    var wrapped = false
    var bom = false
    var lineEnd = "\n"
    var encoding = "UTF-8"
    var attributeQuote = "\""
    var comments = false
    var summary: String?
    var entries: [String] = []

    func el(_ name: String) -> String { prefix.map { "\($0):\(name)" } ?? name }

    func tag(_ name: String, _ body: String, attributes: String = "") -> String {
        "<\(el(name))\(attributes)>\(body)</\(el(name))>"
    }

    var statusIsCode: Bool { version >= 8 }

    func entry(amount: String = "5980", currency: String = "JPY", indicator: String = "CRDT", status: String? = "BOOK",
               proprietaryStatus: String? = nil, booked: String? = "<Dt>2026-11-12</Dt>", value: String? = nil, reversal: Bool = false,
               ntryRef: String? = nil, servicerRef: String? = nil, info: String? = nil, batch: String? = nil,
               transactions: [String]) -> String {
        var body = ""
        if let ntryRef { body += tag("NtryRef", ntryRef) }
        body += tag("Amt", amount, attributes: " Ccy=\(attributeQuote)\(currency)\(attributeQuote)")
        body += tag("CdtDbtInd", indicator)
        if reversal { body += tag("RvslInd", "true") }
        if let proprietaryStatus {
            body += tag("Sts", tag("Prtry", proprietaryStatus))
        } else if let status {
            body += tag("Sts", statusIsCode ? tag("Cd", status) : status)
        }
        if let booked { body += tag("BookgDt", prefixed(booked)) }
        if let value { body += tag("ValDt", prefixed(value)) }
        if let servicerRef { body += tag("AcctSvcrRef", servicerRef) }
        if comments { body += "<!-- an entry comment -->" }
        if !transactions.isEmpty || batch != nil { body += tag("NtryDtls", (batch ?? "") + transactions.joined()) }
        if let info { body += tag("AddtlNtryInf", info) }
        return tag("Ntry", body)
    }

    func batch(count: Int, total: String, currency: String = "JPY") -> String {
        tag("Btch", tag("NbOfTxs", String(count)) + tag("TtlAmt", total, attributes: " Ccy=\"\(currency)\"") + tag("CdtDbtInd", "CRDT"))
    }

    func tx(id: String? = "TX-1", txID: String? = nil, endToEnd: String? = "RN20261110-0001", creditorRef: String? = nil,
            amount: String? = "5980", currency: String = "JPY", txAmount: String? = nil, indicator: String? = "CRDT",
            ustrd: [String] = ["RCH*TrendMicro RN20261110-0001"], info: String? = nil) -> String {
        var refs = ""
        if let id { refs += tag("AcctSvcrRef", id) }
        if let endToEnd { refs += tag("EndToEndId", endToEnd) }
        if let txID { refs += tag("TxId", txID) }
        var body = refs.isEmpty ? "" : tag("Refs", refs)
        if let amount { body += tag("Amt", amount, attributes: " Ccy=\"\(currency)\"") }
        if let txAmount { body += tag("AmtDtls", tag("TxAmt", tag("Amt", txAmount, attributes: " Ccy=\"\(currency)\""))) }
        if let indicator { body += tag("CdtDbtInd", indicator) }
        // Charges carry an Amt of their own that must never be read as the transaction's.
        body += tag("Chrgs", tag("Rcrd", tag("Amt", "99", attributes: " Ccy=\"\(currency)\"")))
        var remittance = ustrd.map { tag("Ustrd", $0) }.joined()
        if let creditorRef { remittance += tag("Strd", tag("CdtrRefInf", tag("Ref", creditorRef))) }
        if !remittance.isEmpty { body += tag("RmtInf", remittance) }
        if let info { body += tag("AddtlTxInf", info) }
        return tag("TxDtls", body)
    }

    /// Child elements written without a prefix get one (for `<Dt>` passed as text).
    private func prefixed(_ xml: String) -> String {
        guard let prefix else { return xml }
        return xml.replacingOccurrences(of: "<", with: "<\(prefix):").replacingOccurrences(of: "<\(prefix):/", with: "</\(prefix):")
    }

    var namespace: String { "urn:iso:std:iso:20022:tech:xsd:camt.\(kind).001.\(String(format: "%02d", version))" }

    var text: String {
        let message = kind == "053" ? "BkToCstmrStmt" : "BkToCstmrDbtCdtNtfctn"
        let report = kind == "053" ? "Stmt" : "Ntfctn"
        let xmlns = prefix.map { "xmlns:\($0)=\(attributeQuote)\(namespace)\(attributeQuote)" }
            ?? "xmlns=\(attributeQuote)\(namespace)\(attributeQuote)"
        let header = tag("GrpHdr", tag("MsgId", "MSG-1") + tag("CreDtTm", "2026-11-12T23:00:00+09:00"))
        let reportBody = tag("Id", "R-1") + (summary ?? "") + entries.joined(separator: lineEnd)
        var document = "<\(el("Document")) \(xmlns)>\(lineEnd)" + tag(message, header + lineEnd + tag(report, reportBody))
            + "\(lineEnd)</\(el("Document"))>"
        if comments { document = "<!-- settlement file -->\(lineEnd)" + document }
        if wrapped {
            document = "<Envelope xmlns=\"urn:example:envelope\"><AppHdr xmlns=\"urn:iso:std:iso:20022:tech:xsd:head.001.001.02\"><BizMsgIdr>B-1</BizMsgIdr></AppHdr>"
                + document + "</Envelope>"
        }
        return "<?xml version=\(attributeQuote)1.0\(attributeQuote) encoding=\(attributeQuote)\(encoding)\(attributeQuote)?>\(lineEnd)" + document + lineEnd
    }

    var bytes: [UInt8] {
        var body: [UInt8]
        if encoding.uppercased() == "ISO-8859-1" {
            body = text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
        } else if encoding.uppercased().hasPrefix("UTF-16") {
            // With its byte order mark: little-endian for UTF-16LE, else big-endian.
            let little = encoding.uppercased() == "UTF-16LE"
            body = little ? [0xFF, 0xFE] : [0xFE, 0xFF]
            for unit in text.utf16 {
                let (high, low) = (UInt8(unit >> 8), UInt8(unit & 0xFF))
                body += little ? [low, high] : [high, low]
            }
            return body
        } else {
            body = Array(text.utf8)
        }
        if bom { body = [0xEF, 0xBB, 0xBF] + body }
        return body
    }
}

/// Reads bytes as a settlement file through the real reader.
enum Read {
    static let tokyo = TimeZone(identifier: "Asia/Tokyo")!

    static func file(_ bytes: [UInt8], name: String = "file.xml", profiles: [CSVProfile] = [],
                     maxBytes: Int = 2048 * 1024 * 1024) throws(FileRejection) -> ParsedSettlementFile {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recon-ingest-\(UUID().uuidString)-\(name)")
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(at: url) }
        let reader = SettlementFileReader(options: ReadOptions(settlementTimeZone: tokyo, maxFileBytes: maxBytes),
                                          csvProfiles: profiles)
        return try reader.readAll(url)
    }

    static func xml(_ camt: CamtXML) throws(FileRejection) -> ParsedSettlementFile { try file(camt.bytes) }

    static func text(_ text: String, name: String = "file.csv", profiles: [CSVProfile] = []) throws(FileRejection) -> ParsedSettlementFile {
        try file(Array(text.utf8), name: name, profiles: profiles)
    }
}
