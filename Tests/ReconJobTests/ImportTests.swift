import Foundation
import Testing
import ReconCore
@testable import renewal_recon

@Suite struct ImportTests {
    static let header = "order_id,serial,current_product,target_product,years,amount,currency,email,placed_at,payment_method,status\n"
    static let good = "RN20261110-0001,TM-1,VBC,VBC,1,5980,JPY,a@example.com,2026-11-10T10:00:00+09:00,credit_card,pending\n"

    func importer(_ workspace: TestWorkspace) async throws -> Importer {
        Importer(store: try await workspace.store(), config: try workspace.config())
    }

    @Test(arguments: [
        ("RN-2,TM-2,VBC,VBC,4,5980,JPY,b@example.com,2026-11-10T10:00:00+09:00,credit_card,pending", "years"),
        ("RN-2,TM-2,VBC,VBC,1,5980.5,JPY,b@example.com,2026-11-10T10:00:00+09:00,credit_card,pending", "more decimals"),
        ("RN-2,TM-2,VBC,VBC,1,5980,YEN,b@example.com,2026-11-10T10:00:00+09:00,credit_card,pending", "currency"),
        ("RN-2,TM-2,VBC,VBC,1,5980,JPY,b@example.com,2026-11-10T10:00:00,credit_card,pending", "placed_at"),
        ("RN-2,TM-2,VBC,VBC,1,5980,JPY,b@example.com,9999-12-31T20:00:00Z,credit_card,pending", "outside the years 1–9999 in Asia/Tokyo"),
        ("RN-2,TM-2,VBC,VBC,1,5980,JPY,not-an-address,2026-11-10T10:00:00+09:00,credit_card,pending", "email"),
        ("RN-2,TM-2,VBC,,1,5980,JPY,b@example.com,2026-11-10T10:00:00+09:00,credit_card,pending", "target_product"),
        ("RN-2,TM-2,VBC,VBC,1,5980,JPY,b@example.com,2026-11-10T10:00:00+09:00,credit_card,completed", "status"),
        ("RN-2,TM-2,VBC,VBC,1,5980,JPY", "cells"),
        ("RN\"2,TM-2,VBC,VBC,1,5980,JPY,b@example.com,2026-11-10T10:00:00+09:00,credit_card,pending",
         "a quote inside an unquoted cell (column 3)"),
        (",TM-2,VBC,VBC,1,5980,JPY,b@example.com,2026-11-10T10:00:00+09:00,credit_card,pending", "order_id"),
        ("RN20261110-0001,TM-2,VBC,VBC,1,5980,JPY,b@example.com,2026-11-10T10:00:00+09:00,credit_card,pending", "twice"),
    ])
    func aBadOrderRowRefusesTheWholeFileNamingItsLine(row: String, reason: String) async throws {
        let workspace = try TestWorkspace()
        try workspace.write(Self.header + Self.good + row + "\n", to: "orders.csv")
        let importer = try await importer(workspace)
        let refused = await #expect(throws: ImportRefused.self) { try await importer.importOrders(from: workspace.url("orders.csv")) }
        #expect(refused?.problems.map(\.line) == [3])
        #expect(refused?.problems.first?.reason.contains(reason) == true, "\(refused?.problems ?? [])")
        #expect(refused?.description.contains("@example.com") == false)
        #expect(try await workspace.store().orders(ids: ["RN20261110-0001"]).isEmpty)
    }

    /// An export the command line names and that cannot be opened is a usage error (exit 64),
    /// not a file of bad rows (65).
    @Test func anExportThatCannotBeOpenedIsAUsageError() async throws {
        let workspace = try TestWorkspace()
        let importer = try await importer(workspace)
        let missing = await #expect(throws: UsageError.self) { try await importer.importOrders(from: workspace.url("missing.csv")) }
        #expect(missing?.message == "\(workspace.url("missing.csv").path): the file cannot be opened (No such file or directory)",
                "\(missing?.message ?? "")")
        try FileManager.default.createDirectory(at: workspace.url("folder.csv"), withIntermediateDirectories: true)
        let folder = await #expect(throws: UsageError.self) { try await importer.importOrders(from: workspace.url("folder.csv")) }
        #expect(folder?.message.hasPrefix("\(workspace.url("folder.csv").path): the file cannot be read (") == true,
                "\(folder?.message ?? "")")
    }

    /// Where the CSV stops parsing, the bad rows before it in the same chunk are listed with
    /// it: the operator mends every one before importing again.
    @Test func aCSVThatStopsParsingListsTheBadRowsBeforeIt() async throws {
        let workspace = try TestWorkspace()
        let badYears = "RN-2,TM-2,VBC,VBC,9,5980,JPY,b@example.com,2026-11-10T10:00:00+09:00,credit_card,pending\n"
        let brokenQuote = "RN-3,TM-00\"9,VBC,VBC,1,5980,JPY,c@example.com,2026-11-10T10:00:00+09:00,credit_card,pending\n"
        try workspace.write(Self.header + Self.good + badYears + brokenQuote, to: "orders.csv")
        let importer = try await importer(workspace)
        let refused = await #expect(throws: ImportRefused.self) { try await importer.importOrders(from: workspace.url("orders.csv")) }
        #expect(refused?.problems.map(\.line) == [3, 4], "\(refused?.problems ?? [])")
        #expect(refused?.problems.first?.reason.contains("years") == true)
        #expect(refused?.problems.last?.reason.contains("a quote inside an unquoted cell") == true)
    }

    /// An export saved in another encoding (é as Latin-1's 0xE9) is refused at its row, not
    /// imported with a mangled e-mail address.
    @Test func aRowThatIsNotUTF8IsABadRow() async throws {
        let workspace = try TestWorkspace()
        let row = Array("RN-2,TM-2,VBC,VBC,1,5980,JPY,jos".utf8) + [0xE9]
            + Array("@example.com,2026-11-10T10:00:00+09:00,credit_card,pending\n".utf8)
        try Data(Array((Self.header + Self.good).utf8) + row).write(to: workspace.url("orders.csv"))
        let importer = try await importer(workspace)
        let refused = await #expect(throws: ImportRefused.self) { try await importer.importOrders(from: workspace.url("orders.csv")) }
        #expect(refused?.problems.map(\.line) == [3])
        #expect(refused?.problems.first?.reason == "the row is not UTF-8 text")
        #expect(try await workspace.store().orders(ids: ["RN-2"]).isEmpty)
    }

    /// Rows are read a batch of 5,000 at a time, the next while the store writes the last:
    /// what every batch skipped and saved is counted, and a bad row late in the file is named.
    @Test func anExportOfManyBatchesIsCountedAndCheckedWhole() async throws {
        func row(_ index: Int, payment: String = "credit_card", years: String = "1") -> String {
            "RN-\(index),TM-\(index),VBC,VBC,\(years),5980,JPY,u\(index)@example.com,2026-11-10T10:00:00+09:00,\(payment),pending\n"
        }
        let rows = (1...12_000).map { index in row(index, payment: index % 1_000 == 0 ? "konbini" : "credit_card") }
        let workspace = try TestWorkspace()
        try workspace.write(Self.header + rows.joined(), to: "orders.csv")
        let summary = try await importer(workspace).importOrders(from: workspace.url("orders.csv"))
        #expect(summary == ImportSummary(saved: 11_988, skippedCompleted: 0, skippedPaymentMethods: ["konbini": 12]))
        #expect(try await workspace.store().orders(ids: ["RN-11999", "RN-12000"]).keys.sorted() == ["RN-11999"])

        var broken = rows
        broken[11_500] = row(11_501, years: "4")
        try workspace.write(Self.header + broken.joined(), to: "orders.csv")
        let importer = try await importer(workspace)
        let refused = await #expect(throws: ImportRefused.self) { try await importer.importOrders(from: workspace.url("orders.csv")) }
        #expect(refused?.problems.map(\.line) == [11_502])
    }

    /// SPEC §3.2: every bad row is listed. A quote never closed ends the reading; the bad rows
    /// before it are listed with it.
    @Test func aRowThatStopsTheReadingIsListedAfterTheBadRowsBeforeIt() async throws {
        let bad = "RN-2,TM-2,VBC,VBC,4,5980,JPY,b@example.com,2026-11-10T10:00:00+09:00,credit_card,pending\n"
        let unclosed = "RN-3,\"TM-3,VBC,VBC,1,5980,JPY,c@example.com,2026-11-10T10:00:00+09:00,credit_card,pending\n"
        let workspace = try TestWorkspace()
        try workspace.write(Self.header + Self.good + bad + unclosed, to: "orders.csv")
        let importer = try await importer(workspace)
        let refused = await #expect(throws: ImportRefused.self) { try await importer.importOrders(from: workspace.url("orders.csv")) }
        #expect(refused?.problems.map(\.line) == [3, 4])
        #expect(refused?.problems.last?.reason.contains("not closed") == true, "\(refused?.problems ?? [])")
    }

    @Test func aWrongHeaderIsRefused() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("order,serial\n" + Self.good, to: "orders.csv")
        let importer = try await importer(workspace)
        let refused = await #expect(throws: ImportRefused.self) { try await importer.importOrders(from: workspace.url("orders.csv")) }
        #expect(refused?.problems.first?.1 == "the header must be order_id,serial,current_product,target_product,years,"
                    + "amount,currency,email,placed_at,payment_method,[status]; found: order,serial")
        // A data row where the header should be is not quoted: it holds an address.
        try workspace.write(Self.good, to: "headless.csv")
        let headless = await #expect(throws: ImportRefused.self) { try await importer.importOrders(from: workspace.url("headless.csv")) }
        #expect(headless?.problems.first?.1.hasSuffix("found: a data row of 11 cell(s), not quoted: it holds figures or an @") == true)
    }

    /// The bad rows of an orders export and of a licenses export, each refused whole.
    func refusals(orders: String, licenses: String, in workspace: TestWorkspace) async throws
        -> (orders: [(line: Int, reason: String)]?, licenses: [(line: Int, reason: String)]?) {
        try workspace.write(Self.header + orders, to: "orders.csv")
        try workspace.write(Self.licenseHeader + licenses, to: "licenses.csv")
        let importer = try await importer(workspace)
        let order = await #expect(throws: ImportRefused.self) { try await importer.importOrders(from: workspace.url("orders.csv")) }
        let license = await #expect(throws: ImportRefused.self) {
            try await importer.importLicenses(from: workspace.url("licenses.csv"), allowEarlier: false)
        }
        return (order?.problems, license?.problems)
    }

    /// Keys and codes print one to a line: a control character in them refuses the row.
    @Test func aKeyOrCodeWithAControlCharacterIsABadRow() async throws {
        let refused = try await refusals(
            orders: Self.good + Self.good.replacingOccurrences(of: "RN20261110-0001,TM-1,VBC,VBC", with: "RN-2,TM-2,VBC,\"VB\nC\""),
            licenses: "\"TM\t1\",VBC,2026-12-01,false,a@example.com\n", in: try TestWorkspace())
        #expect(refused.orders?.map(\.line) == [3])
        #expect(refused.orders?.first?.reason == "target_product holds a control character (a line break, a tab)")
        #expect(refused.licenses?.first?.reason == "serial holds a control character (a line break, a tab)")
    }

    /// A decomposed id (`e` + U+0301) looks like the composed one and is another key to the
    /// store: refused, so that no two orders or licenses differ only in it.
    @Test func anIdNotInComposedFormIsABadRow() async throws {
        let workspace = try TestWorkspace()
        let composed = Self.good.replacingOccurrences(of: "RN20261110-0001", with: "RN-\u{00E9}")
        let decomposed = Self.good.replacingOccurrences(of: "RN20261110-0001", with: "RN-e\u{0301}")
            .replacingOccurrences(of: "TM-1", with: "TM-2")
        let refused = try await refusals(orders: composed + decomposed,
                                         licenses: "TM-\u{0041}\u{030A},VBC,2026-12-01,false,a@example.com\n", in: workspace)
        #expect(refused.orders?.map(\.line) == [3])
        #expect(refused.orders?.first?.reason == "order_id is not in Unicode's composed form (NFC): save the export with composed characters")
        #expect(refused.licenses?.first?.reason.hasPrefix("serial is not in Unicode's composed form") == true)
        try workspace.write(Self.header + composed, to: "orders.csv")
        #expect(try await importer(workspace).importOrders(from: workspace.url("orders.csv")).saved == 1)
    }

    /// A row of white space, or a spreadsheet's empty row of delimiters, is no row: it used to
    /// refuse the file (too few cells) or count as an order not paid by card.
    @Test func blankRowsAreNoRows() async throws {
        let workspace = try TestWorkspace()
        try workspace.write(Self.header + Self.good + ",,,,,,,,,,\n  \t\n", to: "orders.csv")
        let summary = try await importer(workspace).importOrders(from: workspace.url("orders.csv"))
        #expect(summary == ImportSummary(saved: 1, skippedCompleted: 0))
    }

    @Test func otherPaymentMethodsAreSkippedAndCounted() async throws {
        let workspace = try TestWorkspace()
        try workspace.write(Self.header + Self.good
            + "RN-K,TM-2,VBC,VBC,1,5980,JPY,b@example.com,2026-11-10T10:00:00+09:00,konbini,pending\n", to: "orders.csv")
        let summary = try await importer(workspace).importOrders(from: workspace.url("orders.csv"))
        #expect(summary == ImportSummary(saved: 1, skippedCompleted: 0, skippedPaymentMethods: ["konbini": 1]))
        #expect(summary.skippedPaymentMethod == 1)
        let methods = ["Credit_Card": 3, "": 1] + (1...10).map { ("m\($0)", 1) }
        #expect(ImportSummary(skippedPaymentMethods: Dictionary(uniqueKeysWithValues: methods)).skippedPaymentMethodsLine
                    == "payment methods skipped: Credit_Card (3), (empty) (1), m1 (1), m10 (1), m2 (1), m3 (1), m4 (1), m5 (1), "
                    + "m6 (1), m7 (1), and 2 other(s)")
    }

    @Test func aPendingOrderMayBeCancelledAndRestoredByReimport() async throws {
        let workspace = try TestWorkspace()
        let importer = try await importer(workspace)
        try workspace.write(Self.header + Self.good, to: "orders.csv")
        _ = try await importer.importOrders(from: workspace.url("orders.csv"))
        try workspace.write(Self.header + Self.good.replacingOccurrences(of: "pending", with: "cancelled"), to: "orders.csv")
        _ = try await importer.importOrders(from: workspace.url("orders.csv"))
        #expect(try await workspace.store().orders(ids: ["RN20261110-0001"]).first?.value.status == .cancelled)
        try workspace.write(Self.header + Self.good, to: "orders.csv")
        _ = try await importer.importOrders(from: workspace.url("orders.csv"))
        #expect(try await workspace.store().orders(ids: ["RN20261110-0001"]).first?.value.status == .pending)
    }

    static let licenseHeader = "serial,product,expires_on,auto_renew,email\n"

    @Test(arguments: [("TM-1,VBC,2026-02-30,false,a@example.com", "expires_on"),
                      ("TM-1,VBC,2026-12-01,yes,a@example.com", "auto_renew"),
                      ("TM-1,,2026-12-01,false,a@example.com", "product"),
                      ("TM-1,VBC,2026-12-01,false,", "email")])
    func aBadLicenseRowIsRefusedWithItsLine(row: String, reason: String) async throws {
        let workspace = try TestWorkspace()
        try workspace.write(Self.licenseHeader + "TM-0,VBC,2026-12-01,false,z@example.com\n" + row + "\n", to: "licenses.csv")
        let importer = try await importer(workspace)
        let refused = await #expect(throws: ImportRefused.self) {
            try await importer.importLicenses(from: workspace.url("licenses.csv"), allowEarlier: false)
        }
        #expect(refused?.problems.map(\.line) == [3])
        #expect(refused?.problems.first?.reason.contains(reason) == true)
    }

    @Test func movingAnExpiryEarlierIsRefusedUnlessAllowed() async throws {
        let workspace = try TestWorkspace()
        let importer = try await importer(workspace)
        try workspace.write(Self.licenseHeader + "TM-1,VBC,2027-12-10,false,a@example.com\n", to: "licenses.csv")
        _ = try await importer.importLicenses(from: workspace.url("licenses.csv"), allowEarlier: false)
        try workspace.write(Self.licenseHeader + "TM-1,VBC,2026-12-10,false,a@example.com\n", to: "older.csv")
        let refused = await #expect(throws: ImportRefused.self) {
            try await importer.importLicenses(from: workspace.url("older.csv"), allowEarlier: false)
        }
        #expect(refused?.problems.map(\.line) == [2])
        #expect(try await workspace.store().licenses(serials: ["TM-1"])["TM-1"]?.expiresOn.description == "2027-12-10")
        _ = try await importer.importLicenses(from: workspace.url("older.csv"), allowEarlier: true)
        #expect(try await workspace.store().licenses(serials: ["TM-1"])["TM-1"]?.expiresOn.description == "2026-12-10")
    }

    @Test func quotedCellsWithCommasAndLineBreaksAreRead() async throws {
        let workspace = try TestWorkspace()
        try workspace.write(Self.licenseHeader + "\"TM-1\",\"VBC\",2027-01-01,false,\"a@example.com\"\r\n", to: "licenses.csv")
        let summary = try await importer(workspace).importLicenses(from: workspace.url("licenses.csv"), allowEarlier: false)
        #expect(summary.saved == 1)
    }

    /// White space of any kind, ASCII or not, is no part of an address.
    @Test func anAddressHoldsNoWhiteSpaceOfAnyKind() {
        for text in (0..<128).map({ "a\(Character(Unicode.Scalar(UInt8($0))))b@example.com" })
            + ["a\u{00A0}b@example.com", "a\u{3000}b@example.com", "a\u{2028}@example.com", "\u{85}a@example.com",
               "日本\u{3000}@example.com", "a\r\nb@example.com", "a@exa mple.com"] where text.contains(where: \.isWhitespace) {
            #expect(!Importer.isEmailAddress(text), "\(text.unicodeScalars.map(\.value))")
        }
        #expect(Importer.isEmailAddress("日本@example.com"))
        #expect(Importer.isEmailAddress("a@example.com"))
    }

    /// The byte-level answer for ASCII text is the answer by `Character`.
    @Test func anASCIIAddressIsJudgedAsByCharacter() {
        let samples = ["a@example.com", "@example.com", "a@", "a@b", "a@.", "a@@example.com", "a@b@example.com",
                       "a.b@example", "a@example.com.", "a@ example.com", "a\r\n@example.com", "a@example.com\r\n",
                       "", "@", ".", "a", "ab.c", "a@b.c", "a\t@b.c", "\"a\"@b.c", "a@b.c@", "@a@b.c"]
        for text in samples {
            #expect(Importer.isEmailAddress(text) == Importer.isEmailAddressByCharacter(text), "\(text)")
        }
        #expect(Importer.isEmailAddress("a@b.c"))
        #expect(!Importer.isEmailAddress("a@b@c.d"))
        #expect(!Importer.isEmailAddress("@b.c"))
        #expect(!Importer.isEmailAddress("a@bc"))
        // Not ASCII: a combining mark makes `@\u{301}` one character, which is no `@`.
        #expect(!Importer.isEmailAddress("a@\u{301}b.c"))
        #expect(Importer.isEmailAddress("日本@例え.jp"))
        // Nothing a mail header would read as more or other than one address.
        for text in ["a,b@example.com", "taro(x)@example.com", "<a@example.com>", "\"a b\"@example.com", "a;b@example.com",
                     "日本,x@例え.jp"] {
            #expect(!Importer.isEmailAddress(text), "\(text)")
        }
    }
}
