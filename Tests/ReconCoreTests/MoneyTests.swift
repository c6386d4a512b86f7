import Testing
@testable import ReconCore

@Suite struct MoneyTests {
    let jpy = Currency(code: "JPY")!
    let eur = Currency(code: "EUR")!

    @Test func yenHasNoMinorUnits() throws {
        #expect(try Money.parse("5980", currency: jpy).minorUnits == 5980)
        #expect(try Money.parse("5980.000", currency: jpy).minorUnits == 5980)
    }

    @Test func extraTrailingZerosAreFine() throws {
        #expect(try Money.parse("18.150", currency: eur).minorUnits == 1815)
        #expect(try Money.parse("0.5", currency: eur).minorUnits == 50)
    }

    @Test func aDigitBeyondTheExponentIsRefusedNotRounded() {
        #expect(throws: AmountError.tooPrecise("5980.5", currency: "JPY")) { try Money.parse("5980.5", currency: jpy) }
        #expect(throws: AmountError.tooPrecise("1.001", currency: "EUR")) { try Money.parse("1.001", currency: eur) }
        #expect(throws: AmountError.malformed("5.98E3")) { try Money.parse("5.98E3", currency: jpy) }
        #expect(throws: AmountError.malformed("99999999999999999999E3")) { try Money.parse("99999999999999999999E3", currency: jpy) }
        #expect(throws: AmountError.tooLarge("99999999999999999999")) { try Money.parse("99999999999999999999", currency: jpy) }
    }

    @Test(arguments: ["", "-5", "1,000", "1.", ".5", "1e3", "12 3", "9999999999999999999999"])
    func malformedAmountsAreRefused(_ text: String) {
        #expect(throws: AmountError.self) { try Money.parse(text, currency: eur) }
    }

    @Test func decimalCommaForProfilesThatUseIt() throws {
        #expect(try Money.parse("12,34", currency: eur, decimalSeparator: UInt8(ascii: ",")).minorUnits == 1234)
    }

    @Test func formatsMinorUnitsAsDecimals() {
        #expect(Money(minorUnits: 1815, currency: eur).decimalString == "18.15")
        #expect(Money(minorUnits: 5, currency: eur).decimalString == "0.05")
        #expect(Money(minorUnits: 5980, currency: jpy).decimalString == "5980")
        #expect(Money(minorUnits: -300, currency: eur).decimalString == "-3.00")
        #expect(Money(minorUnits: 1, currency: Currency(code: "KWD")!).decimalString == "0.001")
    }

    @Test func unknownCodesAreNotCurrencies() {
        #expect(Currency(code: "jpy") == nil)
        #expect(Currency(code: "YEN!") == nil)
    }
}
