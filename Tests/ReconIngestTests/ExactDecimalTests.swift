import Foundation
import Testing
@testable import ReconIngest

/// The batch checks' decimal arithmetic against Foundation's `Decimal`, which it replaced.
@Suite struct ExactDecimalTests {
    @Test func readsAndPrintsAsDecimalDoes() throws {
        let texts = ["0", "00", "-0", "5980", "18.15", "18.150", "-3.00", "0.5", ".5", "7.", "0.000001",
                     "123456789012345678.12345", "-0.10"]
        for text in texts {
            let exact = try #require(ExactDecimal(text), "\(text)")
            let foundation = try #require(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
            #expect(exact.description == foundation.description, "\(text)")
        }
    }

    @Test func refusesWhatIsNotADecimal() {
        for text in ["", "-", ".", "1.2.3", "1,5", "+1", "1e3", " 1", "--1", "1-", "１２"] {
            #expect(ExactDecimal(text) == nil, "\(text)")
        }
        #expect(ExactDecimal(String(repeating: "9", count: 39)) == nil)
        #expect(ExactDecimal(String(repeating: "9", count: 38)) != nil)
    }

    @Test func equalityComparesNumbersNotSpellings() {
        #expect(ExactDecimal("18.150") == ExactDecimal("18.15"))
        #expect(ExactDecimal("100") == ExactDecimal("100.00"))
        #expect(ExactDecimal("-0") == ExactDecimal("0"))
        #expect(ExactDecimal("18.15") != ExactDecimal("18.16"))
    }

    @Test func sumsAreExactAcrossScales() throws {
        var random = Knuth(state: 7)
        for _ in 0..<2_000 {
            let texts = (0..<5).map { _ in
                let whole = String(Int.random(in: -99_999...99_999, using: &random))
                let decimals = Int.random(in: 0...4, using: &random)
                return decimals == 0 ? whole : whole + "." + String(Int.random(in: 0..<10_000, using: &random))
                    .padding(toLength: decimals, withPad: "0", startingAt: 0)
            }
            var exact: ExactDecimal? = .zero
            var foundation = Decimal.zero
            for text in texts {
                exact += try #require(ExactDecimal(text))
                foundation += try #require(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
            }
            #expect(exact?.description == foundation.description, "\(texts)")
            #expect(exact.map { -$0 }?.description == (-foundation).description)
        }
    }

    /// Knuth's MMIX linear congruential generator: the same amounts on every run.
    struct Knuth: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    @Test func aSumThatDoesNotFitIsUnknownNotWrong() throws {
        let huge = try #require(ExactDecimal(String(repeating: "9", count: 38)))
        var total: ExactDecimal? = huge
        total += huge
        #expect(total == nil)
        total += .zero
        #expect(total == nil)
        let tiny = try #require(ExactDecimal("0." + String(repeating: "0", count: 36) + "1"))
        #expect(huge + tiny == nil)
    }
}
