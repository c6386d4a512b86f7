import Testing
@testable import ReconCore

/// SPEC §4 rule 9: base = current expiry when on or after the placed date, else the placed date.
@Suite struct ExtensionArithmeticTests {
    func date(_ text: String) -> BusinessDate { BusinessDate(iso: text)! }

    @Test func inTermTheRemainingPeriodIsKept() {
        #expect(LicenseExtension.newExpiry(current: date("2026-12-10"), placedOn: date("2026-11-11"), years: 1) == date("2027-12-10"))
    }

    @Test func expiringOnThePlacedDateExtendsFromTheExpiry() {
        #expect(LicenseExtension.newExpiry(current: date("2026-11-11"), placedOn: date("2026-11-11"), years: 1) == date("2027-11-11"))
    }

    @Test func expiredExtendsFromThePlacedDate() {
        #expect(LicenseExtension.newExpiry(current: date("2026-10-31"), placedOn: date("2026-11-17"), years: 1) == date("2027-11-17"))
    }

    @Test func threeYears() {
        #expect(LicenseExtension.newExpiry(current: date("2027-02-28"), placedOn: date("2026-11-10"), years: 3) == date("2030-02-28"))
    }

    @Test func leapDayPlusOneYearIsTheTwentyEighth() {
        #expect(LicenseExtension.newExpiry(current: date("2028-02-29"), placedOn: date("2028-01-15"), years: 1) == date("2029-02-28"))
        #expect(LicenseExtension.newExpiry(current: date("2027-01-01"), placedOn: date("2028-02-29"), years: 1) == date("2029-02-28"))
    }
}
