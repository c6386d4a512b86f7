/// A mail template that is only text and plain variables (`{{name}}`, `{{{name}}}`,
/// `{{&name}}`), after the text pragma: rendered by interpolating the values in order.
///
/// swift-mustache renders every template, and stays the reference; but it looks each name up
/// through `Any` casts, which for a million mails a night costs more than the rest of the
/// mail. For a template with no section, partial, comment or delimiter change, the output of
/// Mustache is exactly the text between the tags and each value as text, which is what this
/// does (`MailTemplateTests` compares the two). Anything else is left to Mustache.
struct PlainTemplate: Sendable {
    enum Part: Sendable, Equatable {
        case text(String)
        /// The value at this position of the names the template was read with.
        case variable(Int)
    }

    let parts: [Part]
    /// The same parts for a JSON string: the text escaped once, the values by position.
    private let jsonParts: [JSONPart]

    private enum JSONPart {
        case escaped([UInt8])
        case value(Int)
    }

    /// The pragma that renders a Mustache template as text, unescaped; a plain template begins with it.
    static let textPragma = "{{% CONTENT_TYPE: TEXT}}"

    /// nil when `source` is not plain, or uses a variable that is not one of `names`.
    init?(_ source: String, names: [String]) {
        var rest = Substring(source)
        guard rest.hasPrefix(Self.textPragma) else { return nil }
        rest = rest.dropFirst(Self.textPragma.count)
        var parts: [Part] = []
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            var tag = rest[open.upperBound...]
            let triple = tag.hasPrefix("{")
            if triple { tag = tag.dropFirst() }
            guard let close = tag.range(of: triple ? "}}}" : "}}") else { return nil }
            var name = tag[..<close.lowerBound].trimmingPrefix(while: { $0 == " " })
            if !triple, name.hasPrefix("&") { name = name.dropFirst().trimmingPrefix(while: { $0 == " " }) }
            while name.last == " " { name = name.dropLast() }
            guard let position = names.firstIndex(of: String(name)) else { return nil }
            parts.append(.variable(position))
            rest = tag[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
        jsonParts = parts.map { part in
            switch part {
            case .text(let text):
                var escaped: [UInt8] = []
                JSONLineBuilder.appendEscaped(text, to: &escaped)
                return .escaped(escaped)
            case .variable(let position):
                return .value(position)
            }
        }
    }

    /// The text, with `values` (in the order of the names the template was read with).
    func render(_ values: [String]) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .variable(let position): out += values[position]
            }
        }
        return out
    }

    /// What `render` gives, as a quoted JSON string: only the values are escaped here.
    func appendQuoted(_ values: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for part in jsonParts {
            switch part {
            case .escaped(let text): out.append(contentsOf: text)
            case .value(let position): JSONLineBuilder.appendEscaped(values[position], to: &out)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
