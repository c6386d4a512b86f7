import Foundation

/// Rule 1: whether a record's descriptor names this merchant.
public struct DescriptorMatcher: Hashable, Sendable {
    /// Each configured descriptor, normalised and split into tokens.
    private let patterns: [[Substring]]

    public init(descriptors: [String]) {
        patterns = descriptors.map { DescriptorMatcher.tokens(of: DescriptorMatcher.normalise($0)) }.filter { !$0.isEmpty }
    }

    /// NFKC (full-width `ＲＣＨ＊` is `RCH*`), case-folded, white-space runs as one space, trimmed.
    public static func normalise(_ text: String) -> String {
        // NFKC leaves ASCII as it is; only other text pays for the Unicode tables.
        let folded = text.utf8.allSatisfy { $0 < 0x80 } ? asciiLowercased(text)
            : text.precomposedStringWithCompatibilityMapping.lowercased()
        return tokens(of: folded).joined(separator: " ")
    }

    private static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// True when some descriptor occurs in `descriptor` as a whole run of tokens.
    public func matches(_ descriptor: String) -> Bool {
        let words = DescriptorMatcher.tokens(of: DescriptorMatcher.normalise(descriptor))
        return patterns.contains { pattern in
            guard pattern.count <= words.count else { return false }
            return (0...(words.count - pattern.count)).contains { start in
                words[start..<(start + pattern.count)].elementsEqual(pattern)
            }
        }
    }

    private static func tokens(of text: String) -> [Substring] {
        text.split(whereSeparator: { $0.isWhitespace })
    }
}
