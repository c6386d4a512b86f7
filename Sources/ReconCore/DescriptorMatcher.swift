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
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
        return tokens(of: folded).joined(separator: " ")
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
