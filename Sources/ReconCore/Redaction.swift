import Foundation

/// E-mail addresses and card-number-like digit runs taken out of a text: defence in depth for
/// the logs (whatever a message carries, a server's error say, never reaches stderr with
/// them), and for a file's own text quoted in a rejection, which the store, the reports and
/// the quarantine's reason file keep.
public enum Redaction {
    public static func apply(_ text: String) -> String {
        guard text.contains("@") || text.contains(where: \.isNumber) else { return text }
        // A URL's user and host stay (only a password goes); anything else shaped like an
        // address, in any script and with the characters an import accepts, is one.
        var out = text.replacing(Self.addressOrURL) { match in
            guard let user = match.output.user else { return "<e-mail>" }
            return match.output.scheme! + "://" + (user.split(separator: ":", maxSplits: 1).first ?? "") + "@"
        }
        // 13 to 19 digits, grouped by spaces, dashes or dots, with neither a letter nor a digit
        // next to them: an underscore or a comma is a boundary ("pan_4111…", a CSV row's card
        // beside its amount), a letter is not, so an order id (RN20261115-0000001) stays.
        out = out.replacing(Self.cardNumber) { match in match.output.before + "<card>" }
        return out
    }

    /// What stands before the number is captured and given back (Swift's regexes have no
    /// lookbehind). (`Regex` is not `Sendable`; this one is never mutated.)
    nonisolated(unsafe) private static let cardNumber =
        /(?<before>^|[^\p{L}\p{N}])(?:\d[ .\-]?){12,18}\d(?=$|[^\p{L}\p{N}])/

    /// A URL's `scheme://userinfo@` (matched first where one starts), or an e-mail address:
    /// a local part that does not start with a quote, and a domain of labels with a dot, or
    /// an address literal in brackets. (`Regex` is not `Sendable`; this one is never mutated.)
    nonisolated(unsafe) private static let addressOrURL =
        /(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*):\/\/(?<user>[^\s\/@<>()\[\],;"']*)@|[^\s@<>()\[\],;:"'][^\s@<>()\[\],;:]*@(?:\[[0-9A-Fa-f:.]+\]|(?:[^\s@<>()\[\],;:"'.]+\.)+[^\s@<>()\[\],;:"'.]+)/
}
