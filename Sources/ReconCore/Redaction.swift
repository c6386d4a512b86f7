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
        // Simple word boundaries: Unicode's take "4111111111111111,5980" (a CSV row's card and
        // amount) for one number, and would leave the card in it.
        out = out.replacing(/\b(?:\d[ \-]?){13,19}\b/.wordBoundaryKind(.simple), with: "<card>")
        return out
    }

    /// A URL's `scheme://userinfo@` (matched first where one starts), or an e-mail address:
    /// a local part that does not start with a quote, and a domain of labels with a dot, or
    /// an address literal in brackets. (`Regex` is not `Sendable`; this one is never mutated.)
    nonisolated(unsafe) private static let addressOrURL =
        /(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*):\/\/(?<user>[^\s\/@<>()\[\],;"']*)@|[^\s@<>()\[\],;:"'][^\s@<>()\[\],;:]*@(?:\[[0-9A-Fa-f:.]+\]|(?:[^\s@<>()\[\],;:"'.]+\.)+[^\s@<>()\[\],;:"'.]+)/
}
