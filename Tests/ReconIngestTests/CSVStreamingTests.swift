import Foundation
import Testing
@testable import ReconCore
@testable import ReconIngest

/// A processor CSV is read a chunk at a time: what is read, and where a bad byte is reported,
/// do not depend on where the chunks end.
@Suite struct CSVStreamingTests {
    @Test(arguments: [CSVProfile.Encoding.utf8, .cp932])
    func textDecodesTheSameWhereverTheChunksEnd(_ encoding: CSVProfile.Encoding) throws {
        let text = "取引ID;金額\r\n\"ＲＮ－１\";12,50\r\nｶﾀｶﾅ;売上\r\n"
        let raw: [UInt8] = switch encoding {
        case .utf8: [0xEF, 0xBB, 0xBF] + Array(text.utf8)
        case .cp932: Array(try #require(text.data(using: .shiftJIS)))
        }
        for size in 1...raw.count {
            var decoder = CSVTextDecoder(encoding: encoding)
            var decoded: [UInt8] = []
            for start in stride(from: 0, to: raw.count, by: size) {
                let part = decoder.decode(Array(raw[start..<min(start + size, raw.count)]))
                #expect(part.valid, "chunks of \(size) bytes")
                decoded += part.text
            }
            #expect(decoder.finish(), "chunks of \(size) bytes")
            #expect(String(decoding: decoded, as: UTF8.self) == text, "chunks of \(size) bytes")
        }
    }

    @Test func aCharacterLeftUnfinishedAtTheEndIsInvalid() {
        var decoder = CSVTextDecoder(encoding: .utf8)
        #expect(decoder.decode(Array("a,b\n".utf8) + [0xE5, 0x8F]).text == Array("a,b\n".utf8))
        #expect(!decoder.finish())
    }

    /// Rows of the shop's cp932 profile, each with a multi-byte type and cell, over several of
    /// the reader's 256 KiB chunks, so that characters and rows are split between chunks.
    @Test func aLargeShiftJISReportReadsEveryRow() throws {
        var text = "取引ID;注文番号;金額;通貨;種別;計上日\r\n"
        let rows = 12_000
        for number in 1...rows {
            text += "T-\(number);RN20261110-\(number);12,50;USD;\(number.isMultiple(of: 3) ? "返金" : "売上");2026/11/12\r\n"
        }
        let bytes = Array(try #require(text.data(using: .shiftJIS)))
        #expect(bytes.count > 2 * SettlementFileReader.chunkSize)
        let parsed = try Read.file(bytes, name: "shop.csv", profiles: [CSVProfileTests.shopProfile])
        #expect(parsed.records.count == rows)
        #expect(parsed.records.map(\.line) == Array(2...rows + 1))
        #expect(parsed.records.filter { $0.direction == .debit }.count == rows / 3)
        #expect(parsed.records.last?.transactionID == "T-\(rows)")
        #expect(parsed.records.allSatisfy { $0.problem == nil })
    }

    /// Records leave the reader as their rows are read, not once the file is: every record of
    /// the first chunk has gone before the reader asks for the second.
    @Test func recordsLeaveAsTheirChunkIsRead() throws {
        final class Pulls { var count = 0 }
        struct Chunks: IteratorProtocol {
            var chunks: [[UInt8]]
            let pulls: Pulls
            mutating func next() -> [UInt8]? {
                guard pulls.count < chunks.count else { return nil }
                defer { pulls.count += 1 }
                return chunks[pulls.count]
            }
        }
        let row = "Shop,RCH*TrendMicro,PSP1,RN20261110-0001,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-1,JPY,,5980,7\n"
        let rows = Array(String(repeating: row, count: 100).utf8)
        let pulls = Pulls()
        var chunks = Chunks(chunks: [Array((CSVProfileTests.adyenHeader + "\n").utf8) + rows, rows, rows], pulls: pulls)
        var pullsAtRecord: [Int] = []
        let reader = SettlementFileReader(options: ReadOptions(settlementTimeZone: Read.tokyo))
        let summary = try reader.read(&chunks) { _ in pullsAtRecord.append(pulls.count) }
        #expect(summary.records == 300)
        #expect(pullsAtRecord.prefix(100).allSatisfy { $0 == 1 })
        #expect(pullsAtRecord.dropFirst(200).allSatisfy { $0 == 3 })
    }

    /// A report whose header is UTF-8 but whose row 9,001 is not: refused at that line, past
    /// the first chunk, and nothing of it is kept (the caller's transaction rolls back).
    @Test func aByteThatIsNotTextIsRefusedAtItsLine() throws {
        var bytes = Array((CSVProfileTests.adyenHeader + "\n").utf8)
        let row = "Shop,RCH*TrendMicro,PSP1,RN20261110-0001,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-1,JPY,,5980,7\n"
        for _ in 1...9_000 { bytes += Array(row.utf8) }
        bytes += Array("Shop,Caf".utf8) + [0xE9] + Array(row.utf8.dropFirst(8))
        #expect(bytes.count > SettlementFileReader.chunkSize)
        let error = #expect(throws: FileRejection.self) { try Read.file(bytes) }
        #expect(error?.reason == "not well-formed CSV: not UTF-8 text, as the CSV profile adyen-settlement-details reads it")
        #expect(error?.line == 9_002)
        #expect(error?.column == 9, "the character after 'Shop,Caf'")
    }

    /// A quoted cell never closed, or a row that never ends, is refused at a megabyte with its
    /// place, however large the file: it is never held whole (SPEC §3.1, bounded memory).
    @Test func anEndlessCellOrRowIsRefusedAtItsBound() {
        let head = CSVProfileTests.adyenHeader + "\n" + "Shop,\"RCH"
        let endless = Array(head.utf8) + [UInt8](repeating: UInt8(ascii: "A"), count: 3 * CSVRowReader.maxRowBytes)
        let quoted = #expect(throws: FileRejection.self) { try Read.file(endless) }
        #expect(quoted?.reason == "not well-formed CSV: a row longer than 1 MiB (a quote never closed?)")
        #expect(quoted?.line == 2)
        #expect((quoted?.column ?? 0) > 1_000_000)
        let unquoted = Array((CSVProfileTests.adyenHeader + "\nShop,RCH").utf8) + endless.suffix(2 * CSVRowReader.maxRowBytes)
        #expect((#expect(throws: FileRejection.self) { try Read.file(unquoted) })?.reason.contains("longer than 1 MiB") == true)
        // Closed at last, a quoted cell is refused where it opened.
        let unclosed = #expect(throws: FileRejection.self) { try Read.text(CSVProfileTests.adyenHeader + "\nShop,\"RCH,1\n") }
        #expect(unclosed?.reason == "not well-formed CSV: a quoted cell is not closed")
        #expect(unclosed?.line == 2)
        #expect(unclosed?.column == 6)
    }

    @Test func aNULByteInARowIsRefusedWithItsLineAndColumn() {
        let csv = CSVProfileTests.adyenHeader + "\n"
            + "Shop,RCH*TrendMicro,PSP1,RN20261110-0001,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-1,JPY,,5980,7\n"
            + "Shöp,R\u{0}CH\n"
        let error = #expect(throws: FileRejection.self) { try Read.text(csv) }
        #expect(error?.reason == "not well-formed CSV: a NUL byte: binary content, or text in UTF-16 (save it as UTF-8)")
        #expect(error?.line == 3)
        #expect(error?.column == 7)
    }

    @Test func aMalformedRowIsReportedWithItsColumn() {
        let csv = CSVProfileTests.adyenHeader + "\n" + "Shop,RCH\"TrendMicro\n"
        let error = #expect(throws: FileRejection.self) { try Read.text(csv) }
        #expect(error?.reason == "not well-formed CSV: a quote inside an unquoted cell")
        #expect(error?.line == 2)
        #expect(error?.column == 9)
    }

    @Test func blankLinesAndAByteOrderMarkBeforeTheHeaderAreSkipped() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(("\r\n  \n" + CSVProfileTests.adyenHeader + "\n"
            + "Shop,RCH*TrendMicro,PSP1,RN20261110-0001,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-1,JPY,,5980,7\n").utf8)
        let parsed = try Read.file(bytes, name: "file.csv")
        #expect(parsed.summary.version == "adyen-settlement-details")
        #expect(parsed.records.map(\.line) == [4])
    }

    /// Excel saves an empty row above the header as delimiters alone: a blank line too.
    @Test(arguments: [",,,,,,,,,,,,,,", ";;;;", " , ;"])
    func aRowOfDelimitersAloneBeforeTheHeaderIsBlank(_ blank: String) throws {
        let csv = blank + "\r\n" + CSVProfileTests.adyenHeader + "\r\n"
            + "Shop,RCH*TrendMicro,PSP1,RN20261110-0001,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-1,JPY,,5980,7\r\n"
        let parsed = try Read.file(Array(csv.utf8), name: "file.csv")
        #expect(parsed.summary.version == "adyen-settlement-details")
        #expect(parsed.records.map(\.line) == [3])
        #expect(parsed.records.allSatisfy { $0.problem == nil }, "\(parsed.records.map(\.problem))")
    }
}
