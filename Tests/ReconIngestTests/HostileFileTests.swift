import Foundation
import Testing
@testable import ReconCore
@testable import ReconIngest

/// SPEC §3.1 hostile files: refused whole, quickly, never loading anything from outside.
@Suite struct HostileFileTests {
    static let camtOpen = "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\"><BkToCstmrDbtCdtNtfctn><Ntfctn><Ntry><Amt Ccy=\"JPY\">1</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-11-12</Dt></BookgDt><NtryDtls><TxDtls><RmtInf><Ustrd>"
    static let camtClose = "</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"

    @Test func anExternalEntityNeverLeaksTheFileItNames() throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("recon-secret-\(UUID().uuidString)")
        try Data("TOP-SECRET-CONTENT".utf8).write(to: secret)
        defer { try? FileManager.default.removeItem(at: secret) }
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE Document [<!ENTITY xxe SYSTEM \"file://\(secret.path)\">]>"
            + Self.camtOpen + "&xxe;" + Self.camtClose
        let error = #expect(throws: FileRejection.self) { try Read.text(xxe, name: "xxe.xml") }
        #expect(error?.reason.contains("DTD") == true)
        #expect(error?.description.contains("TOP-SECRET") == false)
    }

    @Test func billionLaughsIsRefusedAtOnce() throws {
        var dtd = "<!ENTITY lol \"lol\">"
        for level in 1...9 {
            dtd += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level == 1 ? "" : String(level - 1));", count: 10) + "\">"
        }
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE Document [\(dtd)]>" + Self.camtOpen + "&lol9;" + Self.camtClose
        let start = ContinuousClock.now
        #expect(throws: FileRejection.self) { try Read.text(bomb, name: "lol.xml") }
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func anExternalDTDIsNeverLoaded() {
        let external = "<?xml version=\"1.0\"?><!DOCTYPE Document SYSTEM \"http://127.0.0.1:9/camt.dtd\">"
            + Self.camtOpen + "x" + Self.camtClose
        let error = #expect(throws: FileRejection.self) { try Read.text(external, name: "dtd.xml") }
        #expect(error?.reason.contains("DTD") == true)
    }

    @Test func anUndeclaredEntityIsNotWellFormed() {
        let error = #expect(throws: FileRejection.self) { try Read.text(Self.camtOpen + "&nope;" + Self.camtClose) }
        #expect(error?.reason.contains("not well-formed") == true)
        #expect(error?.line == 1)
    }

    @Test func aTruncatedFileIsRefusedWithItsPosition() {
        var camt = CamtXML()
        camt.entries = [camt.entry(transactions: [camt.tx()])]
        let text = camt.text
        let cut = String(text.prefix(text.count - 40))
        let error = #expect(throws: FileRejection.self) { try Read.text(cut, name: "cut.xml") }
        #expect(error?.reason.contains("not well-formed") == true)
        #expect((error?.line ?? 0) > 1)
        #expect(error?.column != nil)
    }

    /// libxml2 calls an input that ends before its document "extra content at the end of the
    /// document"; the reason says what happened instead. A second root keeps libxml2's words.
    @Test func aFileCutOffInsideAnElementSaysSo() throws {
        var camt = CamtXML()
        camt.entries = [camt.entry(transactions: [camt.tx()])]
        let text = camt.text
        let amount = try #require(text.range(of: "<Amt Ccy=\"JPY\">"))
        let cut = String(text[..<text.index(amount.upperBound, offsetBy: 2)])
        let error = #expect(throws: FileRejection.self) { try Read.text(cut, name: "cut.xml") }
        #expect(error?.reason.hasPrefix("not well-formed XML: the file ends inside <Amt> with ") == true, "\(String(describing: error))")
        #expect(error?.reason.hasSuffix("element(s) still open: it is cut off") == true)
        // Cut before the document's first element is complete (40 bytes of a file: its XML
        // declaration and a "<").
        let declarationEnd = try #require(text.range(of: "?>")).upperBound
        let declaration = String(text[..<declarationEnd]) + "\n<"
        let early = #expect(throws: FileRejection.self) { try Read.text(declaration, name: "early.xml") }
        #expect(early?.reason == "not well-formed XML: the file ends before its document's first element: it is cut off",
                "\(String(describing: early))")
        let twoRoots = #expect(throws: FileRejection.self) { try Read.text(text + "<Document/>\n", name: "two.xml") }
        #expect(twoRoots?.reason == "not well-formed XML: Extra content at the end of the document", "\(String(describing: twoRoots))")
    }

    @Test func wrongRootEmptyFileAndGarbageAreRefused() {
        let wrongRoot = #expect(throws: FileRejection.self) { try Read.text("<?xml version=\"1.0\"?><Invoice><Amt>1</Amt></Invoice>") }
        #expect(wrongRoot?.reason.contains("not a camt.053 or camt.054") == true)
        #expect(wrongRoot?.line == 1 && wrongRoot?.column != nil)
        let otherCamt = #expect(throws: FileRejection.self) {
            try Read.text("<?xml version=\"1.0\"?>\n\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.052.001.04\"><BkToCstmrAcctRpt/></Document>")
        }
        #expect(otherCamt?.line == 3 && otherCamt?.column != nil, "where the document starts")
        let empty = #expect(throws: FileRejection.self) { try Read.file([], name: "empty.xml") }
        #expect(empty?.reason == "the file is empty")
        var random = SystemRandomNumberGenerator()
        let garbage = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }
        let binary = #expect(throws: FileRejection.self) { try Read.file([0x00] + garbage, name: "garbage.bin") }
        #expect(binary?.reason.contains("unknown format") == true)
    }

    @Test func deepNestingIsRefusedQuicklyInBoundedMemory() {
        let depth = 100_000
        let deep = Self.camtOpen + String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth) + Self.camtClose
        let start = ContinuousClock.now
        let error = #expect(throws: FileRejection.self) { try Read.text(deep, name: "deep.xml") }
        #expect(error?.reason.contains("depth") == true)
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    /// libxml2 2.9 checks each attribute against every one before it: one element of 200,000
    /// attributes (2.4 MB, over several chunks) held the parser about a minute. More than a
    /// thousand are refused before libxml2 reads them, at the element's line, in UTF-8 and in
    /// UTF-16, where `ļ` (`3C 01`) holds the byte of `<`; a few hundred, or a text with a few
    /// `=`, still read.
    @Test func anElementOfManyAttributesIsRefusedQuicklyWhereItIs() throws {
        func entry(attributes: Int, value: String = "1") -> String {
            Self.camtOpen.replacingOccurrences(of: "<Ntry>", with: "\n\n<Ntry " + (0..<attributes).map { "a\($0)=\"\(value)\"" }.joined(separator: " ") + ">")
                + "x==y" + Self.camtClose
        }
        let reason = "an element with more than 1000 attributes, or a text holding as many '=' (not a settlement file)"
        func utf16LE(_ text: String) -> [UInt8] { [0xFF, 0xFE] + text.utf16.flatMap { unit -> [UInt8] in [UInt8(unit & 0xFF), UInt8(unit >> 8)] } }
        func utf16BE(_ text: String) -> [UInt8] { [0xFE, 0xFF] + text.utf16.flatMap { unit -> [UInt8] in [UInt8(unit >> 8), UInt8(unit & 0xFF)] } }
        let declared = "<?xml version=\"1.0\"?>" + entry(attributes: 200_000, value: "ļ")
        let files: [(String, [UInt8])] = [("utf8.xml", Array(entry(attributes: 200_000).utf8)),
                                          ("utf16.xml", utf16LE(entry(attributes: 200_000, value: "ļ"))),
                                          ("utf16be.xml", utf16BE(entry(attributes: 200_000, value: "ļ"))),
                                          ("utf16-no-bom.xml", Array(utf16LE(declared).dropFirst(2)))]
        for (name, bytes) in files {
            let start = ContinuousClock.now
            let error = #expect(throws: FileRejection.self, "\(name)") { try Read.file(bytes, name: name) }
            #expect(ContinuousClock.now - start < .seconds(2), "\(name)")
            #expect(error?.reason == reason, "\(name)")
            #expect(error?.line == 3, "\(name): the element's line")
        }
        #expect(try Read.text(entry(attributes: 500), name: "some.xml").records.count == 1)
        #expect(try Read.file(utf16LE(entry(attributes: 500, value: "ļ")), name: "some16.xml").records.count == 1)
    }

    /// An encoding in which `<` or `=` is no byte of its own (UTF-7 writes `=` as `+AD0-`,
    /// ISO-2022-JP's kanji hold the byte of `<`) would hide an element's attributes from the
    /// count: such files, and UCS-4 ones, are refused at once; those the job reads still read.
    @Test func anEncodingTheJobDoesNotReadIsRefusedAtOnce() throws {
        for encoding in ["UTF-7", "ISO-2022-JP", "x-unknown"] {
            let file = "<?xml version=\"1.0\" encoding=\"\(encoding)\"?>" + Self.camtOpen + "x" + Self.camtClose
            let error = #expect(throws: FileRejection.self) { try Read.text(file, name: "\(encoding).xml") }
            #expect(error?.reason.hasPrefix("the XML declares the encoding \(encoding), which the job does not read") == true, "\(error?.reason ?? "")")
            #expect(error?.line == 1 && error?.column == 1)
        }
        let ucs4 = (Self.camtOpen + "x" + Self.camtClose).unicodeScalars.flatMap { scalar -> [UInt8] in
            [UInt8(scalar.value & 0xFF), UInt8((scalar.value >> 8) & 0xFF), UInt8((scalar.value >> 16) & 0xFF), 0]
        }
        let error = #expect(throws: FileRejection.self) { try Read.file(ucs4, name: "ucs4.xml") }
        #expect(error?.reason == "the file is in UCS-4, which the job does not read")
        for encoding in ["UTF-8", "iso-8859-15", "windows-1252", "Shift_JIS", "EUC-JP", "US-ASCII"] {
            let file = "<?xml version=\"1.0\" encoding=\"\(encoding)\"?>" + Self.camtOpen + "x" + Self.camtClose
            #expect(try Read.text(file, name: "\(encoding).xml").records.count == 1, "\(encoding)")
        }
    }

    @Test func aFieldBeyondItsLimitIsRefusedWhereItIs() throws {
        var camt = CamtXML()
        camt.entries = [camt.entry(transactions: [camt.tx(id: "A")]),
                        camt.entry(transactions: [camt.tx(id: "B", ustrd: [String(repeating: "x", count: CamtReader.maximumFieldBytes + 1)])])]
        let error = #expect(throws: FileRejection.self) { try Read.xml(camt) }
        #expect(error?.reason == "a field is longer than \(CamtReader.maximumFieldBytes) bytes")
        #expect((error?.line ?? 0) > 1)
        #expect(error?.column != nil)
        var fits = CamtXML()
        fits.entries = [fits.entry(transactions: [fits.tx(id: "A", ustrd: [String(repeating: "x", count: CamtReader.maximumFieldBytes)])])]
        #expect(try Read.xml(fits).records.first?.descriptor.count == CamtReader.maximumFieldBytes)
    }

    /// A directory opens like a file but fails at the first read: the failed read is the
    /// reason, never an empty or truncated file, for settlement files, hashes and exports.
    @Test func aReadThatFailsIsReportedAsSuch() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recon-unreadable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let reader = SettlementFileReader(options: ReadOptions(settlementTimeZone: Read.tokyo))
        let refused = #expect(throws: FileRejection.self) { try reader.read(folder) { _ in } }
        #expect(refused?.reason.hasPrefix("cannot read the file (") == true)
        #expect(throws: (any Error).self) { try SettlementFileReader.sha256(of: folder) }
        let rows = try CSVFileRows(url: folder)
        let broken = #expect(throws: CSVError.self) { try rows.nextRow() }
        #expect(broken?.reason.hasPrefix("the file cannot be read (") == true)
    }

    @Test func aFileOverTheSizeLimitIsRefusedUnread() {
        var camt = CamtXML()
        camt.entries = [camt.entry(transactions: [camt.tx()])]
        let error = #expect(throws: FileRejection.self) { try Read.file(camt.bytes, maxBytes: 100) }
        #expect(error?.reason.contains("max_file_mb") == true)
        #expect(error?.line == 1 && error?.column == 1)
    }
}
