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
        case variable(String)
    }

    let parts: [Part]

    /// nil when `source` is not plain, or names something other than `variables`.
    init?(_ source: String, variables: Set<String>) {
        var rest = Substring(source)
        let pragma = "{{% CONTENT_TYPE: TEXT}}"
        guard rest.hasPrefix(pragma) else { return nil }
        rest = rest.dropFirst(pragma.count)
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
            guard variables.contains(String(name)) else { return nil }
            parts.append(.variable(String(name)))
            rest = tag[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    func render(_ value: (String) -> String) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .variable(let name): out += value(name)
            }
        }
        return out
    }
}
