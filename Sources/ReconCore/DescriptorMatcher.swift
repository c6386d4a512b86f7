import Foundation

/// Rule 1: whether a record's descriptor names this merchant.
public struct DescriptorMatcher: Hashable, Sendable {
    /// Each configured descriptor, normalised and split into tokens (UTF-8 bytes).
    private let patterns: [[[UInt8]]]

    /// What the descriptors match, in 16 hex digits: equal for lists that match the same
    /// records (in another order, case, width or spacing), so a record found foreign under
    /// one is foreign under the other. The store keeps it with each foreign record, which a
    /// run then evaluates again only under other descriptors. `rule 1 v2` names this way of
    /// matching: a change to it (to the normalisation) changes the name, and every foreign
    /// record is evaluated again (v2: full case folding, where v1 lowercased).
    public let fingerprint: String

    public init(descriptors: [String]) {
        patterns = descriptors.map(DescriptorMatcher.normalisedTokens).filter { !$0.isEmpty }
        let canonical = Set(patterns.map { $0.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ") })
        fingerprint = Fingerprint.hex(of: (["rule 1 v2"] + canonical.sorted()).joined(separator: "\n"), digits: 16)
    }

    /// True when no descriptor holds a token: every record would be foreign.
    public var isEmpty: Bool { patterns.isEmpty }

    /// True when some descriptor occurs in `descriptor` as a whole run of tokens.
    public func matches(_ descriptor: String) -> Bool {
        let words = DescriptorMatcher.normalisedTokens(of: descriptor)
        return patterns.contains { pattern in
            guard pattern.count <= words.count else { return false }
            return (0...(words.count - pattern.count)).contains { start in
                words[start..<(start + pattern.count)].elementsEqual(pattern)
            }
        }
    }

    /// The tokens of the text NFKC-normalised (full-width `ＲＣＨ＊` is `RCH*`) and case-folded
    /// (Unicode's full folding: `ß` is `ss`, a final `ς` is `σ`; lowercasing leaves both), then
    /// NFKC-normalised again, as folding may undo it; white-space runs separate them. ASCII text (nearly every descriptor) is folded and
    /// split byte by byte: NFKC leaves it as it is, and its only white space is ASCII's, so
    /// only other text pays for the Unicode tables and grapheme breaking.
    private static func normalisedTokens(of text: String) -> [[UInt8]] {
        let isASCII = text.utf8.allSatisfy { $0 < 0x80 }
        guard isASCII else {
            return text.precomposedStringWithCompatibilityMapping.folding(options: .caseInsensitive, locale: nil)
                .precomposedStringWithCompatibilityMapping
                .split(whereSeparator: \.isWhitespace).map { Array($0.utf8) }
        }
        var tokens: [[UInt8]] = []
        var token: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case 0x20, 0x09...0x0D:
                if !token.isEmpty { tokens.append(token) }
                token.removeAll(keepingCapacity: true)
            case 0x41...0x5A:
                token.append(byte + 0x20)
            default:
                token.append(byte)
            }
        }
        if !token.isEmpty { tokens.append(token) }
        return tokens
    }
}
