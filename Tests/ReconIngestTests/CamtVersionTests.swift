import Foundation
import Testing
@testable import ReconCore
@testable import ReconIngest

@Suite struct CamtVersionTests {
    static let versions = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]

    @Test(arguments: ["053", "054"], versions)
    func everyVersionFromTwoOnReadsTheSameRecords(kind: String, version: Int) throws {
        var camt = CamtXML(kind: kind, version: version)
        camt.entries = [camt.entry(transactions: [camt.tx()]),
                        camt.entry(amount: "6980", transactions: [camt.tx(id: "TX-2", endToEnd: "RN20261110-0002", amount: "6980")])]
        let parsed = try Read.xml(camt)
        #expect(parsed.summary.format == "camt.\(kind)")
        #expect(parsed.summary.version == String(format: "001.%02d", version))
        #expect(parsed.records.map(\.transactionID) == ["TX-1", "TX-2"])
        #expect(parsed.records.map(\.orderReference) == ["RN20261110-0001", "RN20261110-0002"])
        #expect(parsed.records.map { $0.amount?.minorUnits } == [5980, 6980])
        #expect(parsed.records.allSatisfy { $0.bookedOn?.description == "2026-11-12" && $0.problem == nil })
    }

    @Test func versionOneIsRefusedWithAReason() {
        var camt = CamtXML(version: 1)
        camt.entries = [camt.entry(transactions: [camt.tx()])]
        let error = #expect(throws: FileRejection.self) { try Read.xml(camt) }
        #expect(error?.reason.contains("older than the supported versions") == true)
        // At the Document element (line 2), not where the parse of the file would have ended.
        #expect(error?.line == 2, "\(String(describing: error))")
    }

    @Test func camt052IsNotASettlementFile() {
        var camt = CamtXML(kind: "052")
        camt.entries = [camt.entry(transactions: [camt.tx()])]
        let error = #expect(throws: FileRejection.self) { try Read.xml(camt) }
        #expect(error?.reason.contains("not a camt.053 or camt.054") == true)
    }

    static func quirks() -> [(String, CamtXML)] {
        let plain = CamtXML()
        var prefixed = CamtXML(); prefixed.prefix = "c"
        var wrapped = CamtXML(); wrapped.wrapped = true
        var commented = CamtXML(); commented.comments = true
        var singleQuoted = CamtXML(); singleQuoted.attributeQuote = "'"
        var carriageReturns = CamtXML(); carriageReturns.lineEnd = "\r"
        var bom = CamtXML(); bom.bom = true
        var latin1 = CamtXML(); latin1.encoding = "ISO-8859-1"
        var utf16 = CamtXML(); utf16.encoding = "UTF-16"
        var utf16LE = CamtXML(); utf16LE.encoding = "UTF-16LE"
        var all: [(String, CamtXML)] = [("plain", plain), ("prefixed", prefixed), ("wrapped", wrapped),
                                        ("comments", commented), ("single quotes", singleQuoted),
                                        ("CR line ends", carriageReturns), ("BOM", bom), ("ISO-8859-1", latin1),
                                        ("UTF-16", utf16), ("UTF-16LE", utf16LE)]
        for index in all.indices {
            let camt = all[index].1
            all[index].1.entries = [camt.entry(transactions: [camt.tx(ustrd: ["RCH*TrendMicro RN20261110-0001 café"])])]
        }
        return all
    }

    @Test(arguments: quirks())
    func quirksOfRealFilesReadTheSame(name: String, camt: CamtXML) throws {
        let parsed = try Read.xml(camt)
        let record = try #require(parsed.records.first, "\(name)")
        #expect(parsed.records.count == 1)
        #expect(record.transactionID == "TX-1")
        #expect(record.orderReference == "RN20261110-0001")
        #expect(record.amount?.minorUnits == 5980)
        #expect(record.descriptor == "RCH*TrendMicro RN20261110-0001 café")
        #expect(record.bookedOn?.description == "2026-11-12")
    }

    /// Japanese senders write cp932 and declare it Shift_JIS: its NEC and IBM characters
    /// (①, 髙) read, where the Shift_JIS of JIS X 0208 would refuse the file at the first.
    @Test func shiftJISDeclaredTextReadsAsCP932() throws {
        var camt = CamtXML()
        camt.encoding = "Shift_JIS"
        camt.entries = [camt.entry(transactions: [camt.tx(ustrd: ["RCH*TrendMicro RN20261110-0001 @@"])])]
        var bytes = Array(camt.text.utf8)
        let mark = try #require(bytes.firstRange(of: Array("@@".utf8)))
        bytes.replaceSubrange(mark, with: [0x87, 0x40, 0xEE, 0xE0, 0x8B, 0xB4])  // ① 髙 (as Windows writes it) 橋
        let parsed = try Read.file(bytes)
        #expect(parsed.records.map(\.descriptor) == ["RCH*TrendMicro RN20261110-0001 ①髙橋"])
    }

    @Test func lineNumbersPointAtTheTransaction() throws {
        var camt = CamtXML()
        camt.lineEnd = "\n"
        camt.entries = [camt.entry(transactions: [camt.tx()]), camt.entry(transactions: [])]
        let text = camt.text
        let parsed = try Read.xml(camt)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let txLine = try #require(lines.firstIndex { $0.contains("<TxDtls>") }) + 1
        let secondEntryLine = try #require(lines.lastIndex { $0.contains("<Ntry>") }) + 1
        #expect(parsed.records.map(\.line) == [txLine, secondEntryLine])
    }
}
