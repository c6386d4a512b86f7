import Foundation
import Testing
@testable import ReconCore

@Suite struct DateTests {
    let tokyo = TimeZone(identifier: "Asia/Tokyo")!

    @Test func dayNumbersRoundTrip() {
        for number in [-1, 0, 1, 11_016, 20_513, 20_787, 2_932_896] {
            #expect(BusinessDate(dayNumber: number).dayNumber == number)
        }
        #expect(BusinessDate(dayNumber: 0).description == "1970-01-01")
        #expect(BusinessDate(iso: "2026-11-20")!.isoWeekday == 5)
    }

    /// A rerun's range: each date, both ends included, across a month's end; none reversed.
    @Test func aRangeHoldsEachDateFromItsFirstToItsLast() throws {
        let first = try #require(BusinessDate(iso: "2026-11-29"))
        #expect(first.through(BusinessDate(iso: "2026-12-02")!).map(\.description)
                == ["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"])
        #expect(first.through(first) == [first])
        #expect(first.through(first.adding(days: -1)).isEmpty)
    }

    @Test func invalidDatesAreRefused() {
        #expect(BusinessDate(iso: "2026-02-29") == nil)
        #expect(BusinessDate(iso: "2026-13-01") == nil)
        #expect(BusinessDate(iso: "2026-1-01") == nil)
        #expect(BusinessDate(iso: "2028-02-29") != nil)
        for text in ["", "2026-11-2", "2026-11-200", "2026/11/20", "2026-11-2x", "+026-11-20", "2026-11-20 ",
                     "0000-01-01", "２０２６-11-20", "2026-00-10", "2026-04-31"] {
            #expect(BusinessDate(iso: text) == nil, "\(text)")
        }
    }

    @Test func everyDateReadsBackFromItsText() throws {
        for number in stride(from: -719_162, through: 2_932_896, by: 997) {
            let date = BusinessDate(dayNumber: number)
            let text = String(format: "%04d-%02d-%02d", date.year, date.month, date.day)
            #expect(date.description == text)
            #expect(try #require(BusinessDate(iso: text)) == date)
        }
    }

    @Test func addingYearsTurnsLeapDayIntoTwentyEighthOfFebruary() {
        let leap = BusinessDate(iso: "2028-02-29")!
        #expect(leap.adding(years: 1)?.description == "2029-02-28")
        #expect(leap.adding(years: 4)?.description == "2032-02-29")
        #expect(BusinessDate(iso: "2026-11-20")!.adding(years: 3)?.description == "2029-11-20")
        #expect(BusinessDate(iso: "9997-12-31")!.adding(years: 2)?.description == "9999-12-31")
        #expect(BusinessDate(iso: "9998-01-01")!.adding(years: 2) == nil, "past 9999-12-31 is no date")
    }

    @Test func aJSTMidnightOrderIsOnTheJSTDateNotTheUTCDayBefore() {
        let placed = Timestamp(iso: "2026-11-15T00:30:00+09:00")!
        #expect(placed.date(in: tokyo)?.description == "2026-11-15")
        #expect(placed.date(in: TimeZone(identifier: "UTC")!)?.description == "2026-11-14")
    }

    @Test func aUTCInstantLateInTheDayIsTheNextJSTDate() {
        let booked = Timestamp(iso: "2014-01-04T23:00:00.000Z")!
        #expect(booked.date(in: tokyo)?.description == "2014-01-05")
    }

    @Test func aTimeWithoutOffsetCountsAsWritten() {
        let written = Timestamp(iso: "2025-07-23T23:59:59.000000000")!
        #expect(written.offsetSeconds == nil)
        #expect(written.date(in: tokyo)?.description == "2025-07-23")
    }

    @Test(arguments: ["2026-11-15", "2026-11-15T25:00:00+09:00", "2026-11-15T10:00:00+9", "2026-11-15T10:00:00+09:00x"])
    func malformedTimestampsAreRefused(_ text: String) {
        #expect(Timestamp(iso: text) == nil)
    }

    @Test func placedDateUsesTheSettlementZone() {
        let order = RenewalOrder(orderID: "RN20261115-0001", serial: "S", currentProduct: "VBC", targetProduct: "VBC",
                                 years: 1, amount: Money(minorUnits: 5980, currency: Currency(code: "JPY")!),
                                 email: "a@example.com", placedAt: Timestamp(iso: "2026-11-15T00:30:00+09:00")!,
                                 status: .pending)
        #expect(order.placedDate(in: tokyo).description == "2026-11-15")
        #expect(order.placedDate(in: TimeZone(identifier: "Europe/Amsterdam")!).description == "2026-11-14")
    }
}
