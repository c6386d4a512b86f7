/// An ISO 4217 currency with the number of minor-unit digits it settles in.
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let exponent: Int

    /// Looks a code up in ISO 4217; nil for a code that is not a currency.
    public init?(code: String) {
        guard Currency.codes.contains(code) else { return nil }
        self.code = code
        self.exponent = Currency.exponents[code] ?? 2
    }

    public var description: String { code }

    /// The codes of ISO 4217 (list one, current and recently withdrawn; not the testing and
    /// no-currency codes), so a typo is refused.
    private static let codes: Set<String> = [
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD",
        "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF",
        "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
        "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD",
        "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR",
        "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
        "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
        "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
        "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC",
        "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN",
        "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC",
        "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW",
        "ZWG", "ZWL",
    ]

    /// Currencies whose exponent is not 2 (ISO 4217); every other well-formed code settles in cents.
    private static let exponents: [String: Int] = [
        "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "PYG": 0, "UGX": 0, "XAF": 0, "XOF": 0,
        "XPF": 0, "BIF": 0, "DJF": 0, "GNF": 0, "KMF": 0, "RWF": 0, "VUV": 0, "UYI": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
        "CLF": 4, "UYW": 4,
    ]
}

/// An exact amount of money: integer minor units of one currency. Never binary floating point.
public struct Money: Hashable, Sendable {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// The amount as an unsigned-or-signed decimal string in major units (`5980`, `18.15`, `-3.00`).
    public var decimalString: String { Money.format(minorUnits, exponent: currency.exponent) }

    public static func format(_ minor: some BinaryInteger, exponent: Int) -> String {
        let negative = minor < 0
        let digits = String(minor.magnitude)
        guard exponent > 0 else { return negative ? "-" + digits : digits }
        let padded = String(repeating: "0", count: max(0, exponent + 1 - digits.count)) + digits
        let split = padded.index(padded.endIndex, offsetBy: -exponent)
        return (negative ? "-" : "") + padded[..<split] + "." + padded[split...]
    }
}

/// Why an amount text cannot be read as money.
public enum AmountError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case tooPrecise(String, currency: String)
    case tooLarge(String)

    public var description: String {
        switch self {
        case .malformed(let text): "amount '\(text)' is not a decimal number"
        case .tooPrecise(let text, let currency): "amount '\(text)' has more decimals than \(currency) allows"
        case .tooLarge(let text): "amount '\(text)' is too large"
        }
    }
}

extension Money {
    /// Parses `[0-9]+(\.[0-9]+)?` in major units into exact minor units.
    ///
    /// Trailing zeros beyond the currency's exponent are accepted (`18.150` EUR is 18.15);
    /// a non-zero digit beyond it is an error, never rounded.
    /// - Parameter decimalSeparator: `.` by default; a CSV profile may use `,`.
    public static func parse(_ text: String, currency: Currency, decimalSeparator: UInt8 = UInt8(ascii: ".")) throws(AmountError) -> Money {
        var integer: Int64 = 0
        var fractionDigits = 0
        var seenSeparator = false
        var digitsBefore = 0
        // Too precise or too large, said once the whole text is known to be a number: `5.98E3`
        // yen is no decimal number, though its digits tell of too many decimals first.
        var problem: AmountError?
        for byte in text.utf8 {
            if byte == decimalSeparator {
                if seenSeparator || digitsBefore == 0 { throw .malformed(text) }
                seenSeparator = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .malformed(text) }
            let digit = Int64(byte - UInt8(ascii: "0"))
            if seenSeparator { fractionDigits += 1 } else { digitsBefore += 1 }
            guard problem == nil else { continue }
            if fractionDigits > currency.exponent {
                if digit != 0 { problem = .tooPrecise(text, currency: currency.code) }
                continue
            }
            let (times10, overflow1) = integer.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(digit)
            if overflow1 || overflow2 { problem = .tooLarge(text) }
            integer = sum
        }
        if digitsBefore == 0 || (seenSeparator && fractionDigits == 0) { throw .malformed(text) }
        if let problem { throw problem }
        for _ in min(fractionDigits, currency.exponent)..<currency.exponent {
            let (times10, overflow) = integer.multipliedReportingOverflow(by: 10)
            if overflow { throw .tooLarge(text) }
            integer = times10
        }
        return Money(minorUnits: integer, currency: currency)
    }
}
