import Testing
@testable import ReconCore

@Suite struct DayTallyTests {
    /// SPEC §5 summary.json: the lag histogram is of payments. A refund or chargeback booked
    /// weeks after its order is summed as refunded, and is in no bucket: counted, it showed
    /// as a late settlement the window had missed.
    @Test func aRefundIsSummedButInNoLagBucket() throws {
        let placed = try #require(BusinessDate(iso: "2026-11-10"))
        var tally = DayTally()
        tally.add(currencyCode: "JPY", minorUnits: 5980, givesBack: false, bookedOn: placed.adding(days: 1),
                  outcome: .matched, placedOn: placed)
        tally.add(currencyCode: "JPY", minorUnits: 5980, givesBack: true, bookedOn: placed.adding(days: 40),
                  outcome: .held, placedOn: placed)
        #expect(tally.lags == [1: 1])
        #expect(tally.totals["JPY"]?.received == 5980 && tally.totals["JPY"]?.refunded == 5980)
        #expect(tally.total == 2)
    }
}
