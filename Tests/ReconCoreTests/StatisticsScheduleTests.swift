import Testing
import ReconCore

@Suite struct StatisticsScheduleTests {
    /// Due when the count first reaches 10,000, then each time it has doubled since: a few
    /// times a night, however the rows arrive.
    @Test func statisticsAreDueEachTimeTheCountDoubles() {
        var schedule = StatisticsSchedule()
        let counts = [5_000, 9_999, 10_000, 15_000, 19_999, 20_000, 100_000, 150_000, 160_000, 1_000_000]
        #expect(counts.filter { schedule.isDue(at: $0) } == [10_000, 20_000, 100_000, 160_000, 1_000_000])
        var small = StatisticsSchedule(first: 2)
        #expect([1, 2, 3, 4, 8].map { small.isDue(at: $0) } == [false, true, false, true, true])
    }
}
