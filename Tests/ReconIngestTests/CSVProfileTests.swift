import Foundation
import Testing
@testable import ReconCore
@testable import ReconIngest

@Suite struct CSVProfileTests {
    static let adyenHeader = "Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,Creation Date,TimeZone,Booking Date,Booking Date TimeZone,Type,Modification Reference,Gross Currency,Gross Debit (GC),Gross Credit (GC),Batch Number"

    @Test func adyenSettlementDetailsReadsCreditsRefundsAndSkipsFees() throws {
        let csv = """


            \(Self.adyenHeader)
            Shop,RCH*TrendMicro,PSP1,RN20261110-0001,visa,2026-11-10 20:00:00,CET,2026-11-11 16:30:00,CET,Settled,MOD-1,JPY,,5980,7
            Shop,RCH*TrendMicro,PSP1,RN20261110-0001,visa,2026-11-12 01:00:00,UTC,,,Refunded,MOD-2,JPY,5980,,7

            Shop,RCH*TrendMicro,,,,2026-11-12 01:00:00,UTC,,,Fee,FEE-1,JPY,12,,7
            Shop,RCH*TrendMicro,PSP3,RN20261110-0003,visa,2026-11-12 01:00:00,UTC,,,MerchantPayout,P-1,JPY,1,,7
            """
        let parsed = try Read.text(csv)
        #expect(parsed.summary.format == "csv")
        #expect(parsed.summary.version == "adyen-settlement-details")
        #expect(parsed.summary.skipped == 2)
        #expect(parsed.records.map(\.transactionID) == ["MOD-1", "MOD-2"])
        #expect(parsed.records.map(\.direction) == [.credit, .debit])
        #expect(parsed.records.map(\.originalPayment) == ["PSP1", "PSP1"])
        #expect(parsed.records.map(\.orderReference) == ["RN20261110-0001", "RN20261110-0001"])
        // Booking Date 16:30 CET is 2026-11-12 00:30 in Tokyo; without it, Creation Date 01:00 UTC is 10:00 JST.
        #expect(parsed.records.map { $0.bookedOn?.description } == ["2026-11-12", "2026-11-12"])
        #expect(parsed.records.map(\.descriptor) == ["RCH*TrendMicro", "RCH*TrendMicro"])
        #expect(parsed.records.map(\.line) == [4, 5])
    }

    /// The amount's column must agree with the type, and only one may be filled: a `Settled`
    /// row with a debit amount, or a row with both, is an `invalid_record`, not a credit.
    @Test func anAmountInTheWrongColumnIsAnInvalidRecord() throws {
        let csv = Self.adyenHeader + "\n"
            + "Shop,RCH*TrendMicro,PSP1,RN-1,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-1,JPY,5980,,7\n"
            + "Shop,RCH*TrendMicro,PSP2,RN-2,visa,2026-11-10 20:00:00,CET,,,Refunded,MOD-2,JPY,5980,100,7\n"
            + "Shop,RCH*TrendMicro,PSP3,RN-3,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-3,JPY,0.00,5980,7\n"
        let parsed = try Read.text(csv)
        #expect(parsed.records.map(\.problem) == [
            "a credit type with its amount in the debit column",
            "both the credit amount (100) and the debit amount (5980) are filled", nil,
        ])
        #expect(parsed.records.last?.amount?.minorUnits == 5980, "a zero in the other column is no amount")
    }

    /// A type that says debit must have its amount in the debit column; a zero in the credit
    /// column beside it is no amount.
    @Test func aDebitTypeWithItsAmountInTheCreditColumnIsAnInvalidRecord() throws {
        let profile = CSVProfile(
            name: "ledger", matchColumns: ["id", "kind", "credit", "debit"],
            columns: [.transactionID: "id", .type: "kind", .creditAmount: "credit", .debitAmount: "debit",
                      .currency: "currency", .bookingDate: "date", .orderReference: "ref"],
            types: ["sale": .credit, "refund": .debit], bookingDates: [.init(column: "date")],
            dateFormat: "yyyy-MM-dd", descriptor: "With Reach")
        let csv = "id,kind,credit,debit,currency,date,ref\n"
            + "T1,refund,5980,,JPY,2026-11-12,RN-1\nT2,refund,0,5980,JPY,2026-11-12,RN-1\nT3,sale,5980,0,JPY,2026-11-12,RN-1\n"
        let parsed = try Read.file(Array(csv.utf8), name: "ledger.csv", profiles: [profile])
        #expect(parsed.records.map(\.problem) == ["a debit type with its amount in the credit column", nil, nil])
        #expect(parsed.records.map(\.direction) == [.debit, .debit, .credit], "the type says which way")
        #expect(parsed.records.map { $0.amount?.minorUnits } == [nil, 5980, 5980])
    }

    /// Without a type column, split amount columns say which way the money went.
    @Test func withoutATypeColumnTheAmountsColumnGivesTheDirection() throws {
        let profile = CSVProfile(
            name: "ledger", matchColumns: ["id", "credit", "debit"],
            columns: [.transactionID: "id", .creditAmount: "credit", .debitAmount: "debit", .currency: "currency",
                      .bookingDate: "date", .orderReference: "ref"],
            types: [:], bookingDates: [.init(column: "date")], dateFormat: "yyyy-MM-dd", descriptor: "With Reach")
        let csv = "id,credit,debit,currency,date,ref\nT1,5980,,JPY,2026-11-12,RN-1\nT2,,5980,JPY,2026-11-12,RN-1\n"
        let parsed = try Read.file(Array(csv.utf8), name: "ledger.csv", profiles: [profile])
        #expect(parsed.records.map(\.direction) == [.credit, .debit])
        #expect(parsed.records.map(\.problem) == [nil, nil])
    }

    /// A booking time whose zone cell is empty cannot tell its day (20:00 CET is the next day
    /// in Tokyo): Adyen's Booking Date then gives way to Creation Date and its zone; a time
    /// whose zone is nowhere is an `invalid_record`, not a time read in the settlement zone.
    @Test func aTimeWithoutItsZoneGivesWayOrIsAnInvalidRecord() throws {
        let csv = Self.adyenHeader + "\n"
            + "Shop,RCH*TrendMicro,PSP1,RN-1,visa,2026-11-10 20:00:00,CET,2026-11-12 20:00:00,,Settled,MOD-1,JPY,,5980,7\n"
            + "Shop,RCH*TrendMicro,PSP2,RN-2,visa,2026-11-10 20:00:00,,2026-11-12 20:00:00,,Settled,MOD-2,JPY,,5980,7\n"
            + "Shop,RCH*TrendMicro,PSP3,RN-3,visa,,,2026-11-12 20:00:00,,Settled,MOD-3,JPY,,5980,7\n"
        let records = try Read.text(csv).records
        #expect(records.first?.bookedOn?.description == "2026-11-11", "Creation Date 20:00 CET is the 11th in Tokyo")
        #expect(records[1].problem == "the time '2026-11-12 20:00:00' has no time zone (no Booking Date TimeZone)")
        #expect(records[1].amount == nil)
        #expect(records[2].problem == "the time '2026-11-12 20:00:00' has no time zone (no Booking Date TimeZone)")
    }

    /// A time whose date in Tokyo is past 9999-12-31 is no date: it was read as 0000-01-01.
    @Test func aTimeWhoseDateLeavesTheCalendarIsAnInvalidRecord() throws {
        let csv = Self.adyenHeader + "\n"
            + "Shop,RCH*TrendMicro,PSP1,RN-1,visa,9999-12-31 20:00:00,CET,9999-12-31 20:00:00,CET,Settled,MOD-1,JPY,,5980,7\n"
        let records = try Read.text(csv).records
        #expect(records.first?.bookedOn == nil)
        #expect(records.first?.problem == "date '9999-12-31 20:00:00' falls after 9999-12-31 or before 0001-01-01 in Asia/Tokyo")
    }

    /// A header must hold every column the profile reads and its last date source, not only
    /// the columns it is recognised by; an earlier date source may be absent (Adyen's Booking
    /// Date gives way to Creation Date).
    @Test func aHeaderMustHoldEveryColumnTheProfileReads() throws {
        let profile = CSVProfile(
            name: "zoned", matchColumns: ["id"],
            columns: [.transactionID: "id", .amount: "amount", .currency: "currency", .bookingDate: "at"],
            types: [:], bookingDates: [.init(column: "at", zoneColumn: "tz")], dateFormat: "yyyy-MM-dd HH:mm",
            descriptor: "With Reach")
        #expect(profile.requiredColumns == ["id", "amount", "currency", "at", "tz"])
        let read = try Read.text("id,amount,currency,at,tz\nT1,5980,JPY,2026-11-10 20:00,UTC\n", profiles: [profile])
        #expect(read.records.first?.bookedOn?.description == "2026-11-11")
        #expect(throws: FileRejection.self, "no tz column") {
            try Read.text("id,amount,currency,at\nT1,5980,JPY,2026-11-10 20:00\n", profiles: [profile])
        }
        #expect(!CSVProfile.adyenSettlementDetails.requiredColumns.contains("Booking Date"))
        #expect(CSVProfile.adyenSettlementDetails.requiredColumns.isSuperset(of: ["Creation Date", "TimeZone"]))
    }

    /// A column the profile reads, named twice: which cell holds the value cannot be told, so
    /// the file is refused at its header's line. A column the profile does not read may repeat.
    @Test func aHeaderNamingAReadColumnTwiceIsRefused() throws {
        let twice = "\n" + Self.adyenHeader.replacingOccurrences(of: "Batch Number", with: "Merchant Reference") + "\n"
            + "Shop,RCH*TrendMicro,PSP1,RN-1,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-1,JPY,,5980,RN-2\n"
        let error = #expect(throws: FileRejection.self) { try Read.text(twice) }
        #expect(error?.reason == "the header names the column \"Merchant Reference\" twice (cells 4 and 15): "
                    + "which one holds the value cannot be told")
        #expect(error?.line == 2)
        let unread = Self.adyenHeader.replacingOccurrences(of: "Batch Number", with: "Payment Method") + "\n"
            + "Shop,RCH*TrendMicro,PSP1,RN-1,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-1,JPY,,5980,visa\n"
        #expect(try Read.text(unread).records.map(\.orderReference) == ["RN-1"])
        #expect(CSVProfile.adyenSettlementDetails.readColumns.contains("Booking Date TimeZone"))
    }

    @Test func adyenColumnsMayComeInAnyOrder() throws {
        let csv = "Type,Gross Credit (GC),Gross Currency,Gross Debit (GC),Modification Reference,Merchant Reference,Psp Reference,Merchant Account,TimeZone,Creation Date\n"
            + "Settled,5980,JPY,,MOD-1,RN20261110-0001,PSP1,RCH*TrendMicro,Asia/Tokyo,2026-11-11 09:00:00\n"
        let record = try #require(try Read.text(csv).records.first)
        #expect(record.amount?.minorUnits == 5980)
        #expect(record.bookedOn?.description == "2026-11-11")
    }

    @Test func aRaggedRowIsAnInvalidRecordAndTheRestGoesOn() throws {
        let csv = Self.adyenHeader + "\n"
            + "Shop,RCH*TrendMicro,PSP1,RN-1,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-1,JPY\n"
            + "Shop,RCH*TrendMicro,PSP2,RN-2,visa,2026-11-10 20:00:00,CET,,,Settled,MOD-2,JPY,,6980,7,,,\n"
        let parsed = try Read.text(csv)
        #expect(parsed.records.count == 2)
        #expect(parsed.records[0].problem == "the row has 12 cells, the header 15")
        #expect(parsed.records[1].problem == nil)
    }

    static let shopProfile = CSVProfile(
        name: "jp-shop", matchColumns: ["取引ID", "金額"], delimiter: ";", encoding: .cp932, decimalSeparator: ",",
        columns: [.transactionID: "取引ID", .orderReference: "注文番号", .amount: "金額", .currency: "通貨",
                  .type: "種別", .bookingDate: "計上日"],
        types: ["売上": .credit, "返金": .debit, "手数料": .skip],
        bookingDates: [.init(column: "計上日")], dateFormat: "yyyy/MM/dd", descriptor: "With Reach")

    @Test func aUserProfileReadsShiftJISSemicolonsAndDecimalCommas() throws {
        let text = "取引ID;注文番号;金額;通貨;種別;計上日\r\n"
            + "T-1;RN20261110-0001;12,50;USD;売上;2026/11/12\r\n"
            + "T-2;RN20261110-0002;\"1,00\";USD;返金;2026/11/13\r\n"
            + "T-3;;0,10;USD;手数料;2026/11/13\r\n"
        let bytes = Array(try #require(text.data(using: .shiftJIS)))
        let parsed = try Read.file(bytes, name: "shop.csv", profiles: [Self.shopProfile])
        #expect(parsed.summary.version == "jp-shop")
        #expect(parsed.records.map { $0.amount?.minorUnits } == [1250, 100])
        #expect(parsed.records.map(\.direction) == [.credit, .debit])
        #expect(parsed.records.map(\.descriptor) == ["With Reach", "With Reach"])
        #expect(parsed.records.map { $0.bookedOn?.description } == ["2026-11-12", "2026-11-13"])
        #expect(parsed.summary.skipped == 1)
    }

    /// A file that begins with UTF-8's byte order mark is UTF-8, though its profile reads cp932
    /// (the report saved again by a spreadsheet): it reads, where its header matched no profile.
    @Test func aByteOrderMarkMakesAFileUTF8WhateverItsProfileSays() throws {
        let text = "取引ID;注文番号;金額;通貨;種別;計上日\r\nT-1;RN20261110-0001;12,50;USD;売上;2026/11/12\r\n"
        let parsed = try Read.file(UTF8.byteOrderMark + Array(text.utf8), name: "shop.csv", profiles: [Self.shopProfile])
        #expect(parsed.summary.version == "jp-shop")
        #expect(parsed.records.map { $0.amount?.minorUnits } == [1250])
        #expect(parsed.records.map(\.problem) == [nil])
        // A UTF-8 profile of the same columns, written for such saves, keeps its place.
        var saved = Self.shopProfile
        saved.name = "jp-shop-resaved"
        saved.encoding = .utf8
        let resaved = try Read.file(UTF8.byteOrderMark + Array(text.utf8), name: "shop.csv", profiles: [Self.shopProfile, saved])
        #expect(resaved.summary.version == "jp-shop-resaved")
    }

    /// Saved as UTF-8 without the mark, the same report reads too, through its profile read as
    /// UTF-8, its header in Japanese or not (a header in ASCII read the types, in Japanese, as
    /// cp932: every row skipped as of an unknown type); the cp932 report itself still reads as
    /// cp932.
    @Test func aCP932ReportSavedAsUTF8WithoutAMarkReads() throws {
        let text = "取引ID;注文番号;金額;通貨;種別;計上日\r\nT-1;RN20261110-0001;12,50;USD;売上;2026/11/12\r\n"
        let parsed = try Read.file(Array(text.utf8), name: "shop.csv", profiles: [Self.shopProfile])
        #expect(parsed.summary.version == "jp-shop")
        #expect(parsed.records.map { $0.amount?.minorUnits } == [1250])
        #expect(parsed.records.map(\.direction) == [.credit])
        let cp932 = Array(try #require(text.data(using: .shiftJIS)))
        #expect(try Read.file(cp932, name: "shop.csv", profiles: [Self.shopProfile]).records.map(\.direction) == [.credit])
        var ascii = Self.shopProfile
        ascii.matchColumns = ["id", "amount"]
        ascii.columns = [.transactionID: "id", .orderReference: "order", .amount: "amount", .currency: "currency",
                         .type: "type", .bookingDate: "date"]
        ascii.bookingDates = [.init(column: "date")]
        let plain = "id;order;amount;currency;type;date\r\nT-1;RN20261110-0001;12,50;USD;売上;2026/11/12\r\n"
        let read = try Read.file(Array(plain.utf8), name: "shop.csv", profiles: [ascii])
        #expect(read.records.map(\.direction) == [.credit] && read.summary.skipped == 0)
        let plainCP932 = Array(try #require(plain.data(using: .shiftJIS)))
        #expect(try Read.file(plainCP932, name: "shop.csv", profiles: [ascii]).records.map(\.direction) == [.credit])
    }

    /// A first chunk of Japanese text in UTF-8 is taken for UTF-8, though it cuts a character
    /// at its end; cp932 text is not, nor is ASCII alone: not cp932 kanji, not half-width kana
    /// that pair into valid two-byte UTF-8 (`ﾏｲ`), not one cut at the chunk's end (`ﾄ`).
    @Test func aChunkIsTakenForUTF8OnlyWhenItIsUTF8OfJapaneseText() throws {
        let utf8 = Array("取引ID;金額\n".utf8)
        #expect(SettlementFileReader.isUTF8WithThreeByteCharacters(utf8))
        #expect(SettlementFileReader.isUTF8WithThreeByteCharacters(Array(utf8[..<5])), "a character cut by the chunk")
        #expect(!SettlementFileReader.isUTF8WithThreeByteCharacters(Array("id;amount\n".utf8)))
        func cp932(_ text: String) throws -> [UInt8] { Array(try #require(text.data(using: .shiftJIS))) }
        #expect(!SettlementFileReader.isUTF8WithThreeByteCharacters(try cp932("取引ID;金額;売上\n")))
        let kana = try cp932("id;memo\nT-1;ﾏｲ ﾃｽ\n")
        #expect(String(bytes: kana, encoding: .utf8) != nil, "valid UTF-8 all the same")
        #expect(!SettlementFileReader.isUTF8WithThreeByteCharacters(kana))
        #expect(!SettlementFileReader.isUTF8WithThreeByteCharacters(Array("id;amount\n".utf8) + (try cp932("ﾄ"))))
    }

    /// A doubled letter reads two digits, a single one one or two, as processors write dates
    /// (`9/4/2018`, `9/11/2018`).
    @Test func singleLetterDateFieldsReadOneOrTwoDigits() throws {
        let format = CSVDateFormat("M/d/yyyy H:mm")
        let early = try #require(format.parse("9/4/2018 7:05"))
        #expect(early.date.description == "2018-09-04" && early.secondsOfDay == 7 * 3600 + 5 * 60)
        #expect(format.parse("09/11/2018 17:05")?.date.description == "2018-09-11")
        #expect(format.parse("9/111/2018 17:05") == nil)
        #expect(format.parse("9/1/18 17:05") == nil)
        #expect(CSVDateFormat("MM/dd/yyyy").parse("9/4/2018") == nil, "a doubled letter reads two digits")
        #expect(CSVDateFormat("yyyy-MM-dd").parse("2018-+9-04") == nil)
        #expect(CSVDateFormat("yyyy-MM-dd").parse("2018-09-04 ") == nil, "nothing may follow the format")
        let seconds = CSVDateFormat("yyyy-MM-ddTHH:mm:ssZ").parse("2018-09-04T23:59:60Z")
        #expect(seconds?.secondsOfDay == 86_399, "a leap second is the day's last")
        #expect(CSVDateFormat("yyyy-MM-dd HH:mm").parse("2018-09-04 24:00") == nil)
    }

    /// A literal of the format may be any text: a Japanese report writes 2026年11月9日.
    @Test func aDateFormatsLiteralsMayBeNonASCII() throws {
        let format = CSVDateFormat("yyyy年M月d日 H時mm分")
        #expect(CSVDateFormat.problem(with: "yyyy年M月d日 H時mm分") == nil)
        let read = try #require(format.parse("2026年11月9日 8時05分"))
        #expect(read.date.description == "2026-11-09" && read.secondsOfDay == 8 * 3600 + 5 * 60)
        #expect(format.parse("2026年11月9日 8時05") == nil, "the last literal is missing")
        #expect(format.parse("2026-11-9 8:05") == nil)
    }

    @Test(arguments: [("yyyy-MM-dd HH:mm:ss", true), ("M/d/yyyy", true), ("dd.MM.yyyy H:mm", true),
                      ("dd/MM/yy", false), ("yyyy-MM", false), ("yyyy-MM-dd mm", false), ("yyyy-MMM-dd", false),
                      ("yyyy-MM-dd dd", false), ("yyyy-MM-ddTHH:mm:ssZ", true), ("yyyy-MM-dd HH:mm:ss.SSS", false),
                      ("M/d/yyyy h:mm a", false)])
    func aDateFormatNeedsAFourDigitYearAMonthAndADay(format: String, valid: Bool) {
        #expect((CSVDateFormat.problem(with: format) == nil) == valid, "\(format)")
    }

    /// cp932 is Shift_JIS with the vendor's additions (NEC row 13, IBM extensions): ㈱ (0x878A)
    /// and 髙 (0xFBFC) are common in Japanese company and family names.
    @Test func cp932ReadsTheVendorsAdditions() throws {
        var profile = Self.shopProfile
        profile.columns[.descriptor] = "摘要"
        let text = "取引ID;注文番号;金額;通貨;種別;計上日;摘要\r\nT-1;RN20261110-0001;12,50;USD;売上;2026/11/12;"
        let bytes = Array(try #require(text.data(using: .shiftJIS))) + [0x87, 0x8A, 0xFB, 0xFC, 0x0D, 0x0A]
        let parsed = try Read.file(bytes, name: "shop.csv", profiles: [profile])
        #expect(parsed.records.map(\.descriptor) == ["㈱髙"])
    }

    /// PayPal writes the date, the time and its zone in three columns: 07:45:51 PST on
    /// 29 December is 00:45 on the 30th in Tokyo.
    /// A format that writes `Z` (ISO 8601's UTC) reads its times in UTC, not in the settlement
    /// zone: 20:00Z on the 10th is the 11th in Tokyo.
    @Test func aTimeWrittenWithZIsUTC() throws {
        let profile = CSVProfile(
            name: "iso", matchColumns: ["id", "amount"],
            columns: [.transactionID: "id", .amount: "amount", .currency: "currency", .bookingDate: "at", .orderReference: "ref"],
            types: [:], bookingDates: [.init(column: "at")], dateFormat: "yyyy-MM-ddTHH:mm:ssZ", descriptor: "With Reach")
        let csv = "id,amount,currency,at,ref\nT1,5980,JPY,2026-11-10T20:00:00Z,RN-1\nT2,5980,JPY,2026-11-10T10:00:00Z,RN-2\n"
        let parsed = try Read.file(Array(csv.utf8), name: "iso.csv", profiles: [profile])
        #expect(parsed.records.map { $0.bookedOn?.description } == ["2026-11-11", "2026-11-10"])
        #expect(parsed.records.map(\.problem) == [nil, nil])
    }

    @Test func aTimeInAColumnOfItsOwnIsReadWithTheDate() throws {
        let profile = CSVProfile(
            name: "paypal-activity", matchColumns: ["Date", "Time", "TimeZone", "Transaction ID"],
            columns: [.bookingDate: "Date", .bookingTime: "Time", .transactionID: "Transaction ID", .amount: "Gross",
                      .currency: "Currency", .type: "Type", .descriptor: "Subject"],
            types: ["General Payment": .credit],
            bookingDates: [.init(column: "Date", timeColumn: "Time", zoneColumn: "TimeZone")],
            dateFormat: "dd/MM/yyyy HH:mm:ss")
        let csv = """
            "Date","Time","TimeZone","Type","Currency","Gross","Transaction ID","Subject"
            "29/12/2015","07:45:51","PST","General Payment","USD","84.00","TID1","RCH*TrendMicro RN20151229-0001"
            "29/12/2015","","PST","General Payment","USD","84.00","TID2","RCH*TrendMicro RN20151229-0002"
            """
        let parsed = try Read.file(Array(csv.utf8), name: "paypal.csv", profiles: [profile])
        #expect(parsed.records.map { $0.bookedOn?.description } == ["2015-12-30", nil])
        #expect(parsed.records.map(\.problem) == [nil, "date '29/12/2015' does not match the format dd/MM/yyyy HH:mm:ss"])
        #expect(parsed.records.first?.orderReference == "RN20151229-0001")
    }

    @Test func quotedCellsMayHoldDelimitersQuotesAndLineBreaks() throws {
        let table = try CSVTable(text: "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\nlast,row,here")
        #expect(table.rows.map(\.cells) == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["last", "row", "here"]])
        #expect(table.rows.map(\.line) == [1, 2, 4])
        #expect(throws: CSVError.self) { try CSVTable(text: "a,\"open\nb") }
    }

    @Test func rowsReadTheSameWhateverTheChunksTheFileArrivesIn() throws {
        let text = "a,b\r\n\"x\"\"y\",\"two\r\nlines\"\r\n\r\nlast,\"\"\n"
        let whole = try CSVTable(text: text).rows
        #expect(whole.map(\.cells) == [["a", "b"], ["x\"y", "two\r\nlines"], ["last", ""]])
        #expect(whole.map(\.line) == [1, 2, 5])
        let bytes = Array(text.utf8)
        for size in 1...bytes.count {
            var reader = CSVRowReader()
            var rows: [CSVTable.Row] = []
            for start in stride(from: 0, to: bytes.count, by: size) {
                try reader.feed(Array(bytes[start..<min(start + size, bytes.count)])) { rows.append($0) }
            }
            try reader.finish { rows.append($0) }
            #expect(rows.map(\.cells) == whole.map(\.cells), "chunks of \(size) bytes")
            #expect(rows.map(\.line) == whole.map(\.line), "chunks of \(size) bytes")
        }
    }

    @Test(arguments: ["RN-1", " RN-1", "RN-1\t", "\u{3000}RN-1\u{3000}", "\u{00A0}RN-1", "", "  ", "ＲＮ－１"])
    func cellsTrimLikeFoundation(_ cell: String) {
        #expect(CSVTable.trimmed(cell) == cell.trimmingCharacters(in: .whitespaces))
    }

    @Test func aFileIsReadRowByRowAfterItsByteOrderMark() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rows-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([0xEF, 0xBB, 0xBF] + Array("serial,product\nTM-1,\"VB,C\"\nTM-2,VBC".utf8)).write(to: url)
        let file = try CSVFileRows(url: url)
        var rows: [[String]] = []
        while let row = try file.nextRow() { rows.append(row.cells) }
        #expect(rows == [["serial", "product"], ["TM-1", "VB,C"], ["TM-2", "VBC"]])
        #expect(throws: CSVError.self) {
            try Data("a,\"open\nb".utf8).write(to: url)
            let broken = try CSVFileRows(url: url)
            while try broken.nextRow() != nil {}
        }
    }

    @Test func aCSVNoProfileKnowsIsRefusedWithItsHeader() {
        let error = #expect(throws: FileRejection.self) { try Read.text("Date,Amount,Memo\n2026-11-12,5,x\n") }
        #expect(error?.reason.contains("first line: Date,Amount,Memo") == true)
    }

    /// A headerless export's first line is a row: the reason, kept by the store, the reports,
    /// the quarantine's reason file and the log, tells its shape and quotes none of it.
    @Test func theFirstLineARejectionQuotesIsAHeaderNeverARow() {
        for row in ["RN20261118-0001,taro@example.com,4111 1111 1111 1111,5980,JPY",
                    "Yamada Taro,pan_4111111111111111,4111.1111.1111.1111,4111111111111111JPY,Shop"] {
            let error = #expect(throws: FileRejection.self) { try Read.text(row + "\n") }
            #expect(error?.reason.hasSuffix("(first line: a data row of 5 cell(s), not quoted: it holds figures or an @)") == true,
                    "\(error?.reason ?? "")")
            #expect(error?.reason.contains("4111") == false && error?.reason.contains("Taro") == false)
        }
        // A header with a digit in a column's name is still quoted.
        let header = #expect(throws: FileRejection.self) { try Read.text("Name,Address Line 1,Address Line 2,住所一\n") }
        #expect(header?.reason.hasSuffix("(first line: Name,Address Line 1,Address Line 2,住所一)") == true, "\(header?.reason ?? "")")
    }

    @Test func textThatIsNotUTF8IsRefusedWithAReason() {
        let latin1: [UInt8] = Array("Date;Libell".utf8) + [0xC9] + Array(";Montant\n".utf8)
        let error = #expect(throws: FileRejection.self) { try Read.file(latin1) }
        #expect(error?.reason.contains("not UTF-8") == true)
    }
}
