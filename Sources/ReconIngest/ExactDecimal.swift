/// An exact decimal number as camt writes one (`-?[0-9]+(\.[0-9]+)?`): `units / 10^scale`.
///
/// The batch and summary checks of SPEC §3.1 add every amount of a file. Foundation's `Decimal`
/// is exact too, but its parser looks a locale up and builds a mantissa array per amount, which
/// cost more than the rest of the parse; this is one 128-bit integer and a scale. Values are
/// kept in lowest terms (no trailing zeros after the point), so `==` compares numbers, and
/// `description` prints them as `Decimal` does (`100.5`, `-3`, `0`).
struct ExactDecimal: Equatable, Sendable, CustomStringConvertible {
    private(set) var units: Int128
    private(set) var scale: Int

    static let zero = ExactDecimal(units: 0, scale: 0)

    private init(units: Int128, scale: Int) {
        var units = units, scale = scale
        while scale > 0, units % 10 == 0 {
            units /= 10
            scale -= 1
        }
        self.units = units
        self.scale = scale
    }

    /// Reads an optional `-`, then digits with at most one `.` among them (`12`, `12.50`, `.5`);
    /// nil for anything else, or for more digits than 128 bits hold.
    init?(_ text: some StringProtocol) {
        self.init(bytes: text.utf8)
    }

    /// The same, from UTF-8 bytes (a span of a camt entry's text).
    init?(bytes: some Sequence<UInt8>) {
        var units: Int128 = 0
        var scale = 0
        var digits = 0
        var negative = false
        var point = false
        for (offset, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "-") where offset == 0:
                negative = true
            case UInt8(ascii: ".") where !point:
                point = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (times10, overflow) = units.multipliedReportingOverflow(by: 10)
                let (sum, carry) = times10.addingReportingOverflow(Int128(byte - UInt8(ascii: "0")))
                guard !overflow, !carry else { return nil }
                units = sum
                digits += 1
                if point { scale += 1 }
            default:
                return nil
            }
        }
        guard digits > 0 else { return nil }
        self.init(units: negative ? -units : units, scale: scale)
    }

    static prefix func - (value: ExactDecimal) -> ExactDecimal {
        ExactDecimal(units: -value.units, scale: value.scale)
    }

    /// The exact sum, or nil when it does not fit in 128 bits.
    static func + (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal? {
        guard let (x, y, scale) = aligned(a, b) else { return nil }
        let (sum, overflow) = x.addingReportingOverflow(y)
        return overflow ? nil : ExactDecimal(units: sum, scale: scale)
    }

    /// Both values' units at the larger of their scales.
    private static func aligned(_ a: ExactDecimal, _ b: ExactDecimal) -> (Int128, Int128, Int)? {
        func rescaled(_ value: ExactDecimal, to scale: Int) -> Int128? {
            var units = value.units
            for _ in value.scale..<scale {
                let (times10, overflow) = units.multipliedReportingOverflow(by: 10)
                if overflow { return nil }
                units = times10
            }
            return units
        }
        let scale = max(a.scale, b.scale)
        guard let x = rescaled(a, to: scale), let y = rescaled(b, to: scale) else { return nil }
        return (x, y, scale)
    }

    var description: String {
        let digits = String(units.magnitude)
        let sign = units < 0 ? "-" : ""
        guard scale > 0 else { return sign + digits }
        let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
        let split = padded.index(padded.endIndex, offsetBy: -scale)
        return sign + padded[..<split] + "." + padded[split...]
    }
}

extension Optional<ExactDecimal> {
    /// Adds into a running total that turns nil, and stays nil, once it no longer fits.
    static func += (total: inout ExactDecimal?, value: ExactDecimal) {
        total = total.flatMap { $0 + value }
    }
}
