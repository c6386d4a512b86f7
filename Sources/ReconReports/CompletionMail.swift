import Foundation
import Mustache
import ReconCore

/// Renders completion mails (SPEC §5 `mail/D/completion-mails.jsonl`) from outbox rows.
public struct CompletionMailRenderer: Sendable {
    public struct Settings: Sendable {
        /// `mail.from`.
        public var from: String
        /// `mail.statement_descriptors`: what the card statement shows.
        public var statementDescriptors: [String]
        public var catalog: ProductCatalog

        public init(from: String, statementDescriptors: [String], catalog: ProductCatalog) {
            self.from = from
            self.statementDescriptors = statementDescriptors
            self.catalog = catalog
        }
    }

    public let settings: Settings
    private let subject: MustacheTemplate
    private let text: MustacheTemplate
    /// The same templates as interpolation plans, when both are plain (`PlainTemplate`).
    private let plain: (subject: PlainTemplate, text: PlainTemplate)?
    /// `statement_descriptors_ja`: the same for every mail.
    private let descriptorsPhrase: String

    /// - Parameter templateDirectory: `mail.template_dir`, or nil for the shipped templates.
    public init(settings: Settings, templateDirectory: URL?) throws {
        let folder = templateDirectory ?? Bundle.module.url(forResource: "Templates", withExtension: nil)
        guard let folder else { throw ReportError("the shipped mail templates are missing from the installation") }
        let (subject, plainSubject) = try Self.template(folder.appendingPathComponent("subject.mustache"))
        let (text, plainText) = try Self.template(folder.appendingPathComponent("text.mustache"))
        self.init(settings: settings, subject: subject, text: text, plain: plainSubject.flatMap { subject in
            plainText.map { (subject, $0) }
        })
    }

    private init(settings: Settings, subject: MustacheTemplate, text: MustacheTemplate,
                 plain: (subject: PlainTemplate, text: PlainTemplate)?) {
        self.settings = settings
        self.subject = subject
        self.text = text
        self.plain = plain
        descriptorsPhrase = settings.statementDescriptors.map { "「\($0)」" }.joined(separator: "または")
    }

    /// Whether both templates render by interpolation.
    var rendersByInterpolation: Bool { plain != nil }

    /// The renderer with the templates forced through Mustache, to compare with the plans.
    func renderingThroughMustache() -> CompletionMailRenderer {
        CompletionMailRenderer(settings: settings, subject: subject, text: text, plain: nil)
    }

    /// One mail as a JSON line, keys in byte order (hand-built: a day may hold a million). With
    /// plain templates the text goes straight into the line, its fixed part escaped once.
    public func jsonLine(_ mail: OutboxMail) -> [UInt8] {
        var line: [UInt8] = []
        appendJSONLine(mail, to: &line)
        return line
    }

    /// Appends `mail`'s JSON line to `out`, built in place.
    public func appendJSONLine(_ mail: OutboxMail, to out: inout [UInt8]) {
        JSONLineBuilder.appendLine(to: &out) { line in
            appendFields(of: mail, to: &line)
        }
    }

    private func appendFields(of mail: OutboxMail, to line: inout JSONLineBuilder) {
        let variables = variables(mail)
        line.string("from", settings.from)
        line.string("idempotency_key", mail.order.orderID)
        line.string("locale", MailPayload.locale)
        line.string("schema", MailPayload.schema)
        let rendered = render(mail, variables)
        line.string("subject", rendered.subject)
        switch rendered.text {
        case .plain(let template, let values): line.json("text") { template.appendQuoted(values, to: &$0) }
        case .rendered(let text): line.string("text", text)
        }
        line.string("to", mail.order.email)
        line.object("variables") { object in
            for (key, value) in variables {
                switch value {
                case .text(let text): object.string(key, text)
                case .number(let number): object.int(key, number)
                case .list(let items): object.strings(key, items)
                }
            }
        }
    }

    func payload(_ mail: OutboxMail) -> MailPayload {
        let variables = variables(mail)
        let rendered = render(mail, variables)
        let text = switch rendered.text {
        case .plain(let template, let values): template.render(values)
        case .rendered(let text): text
        }
        return MailPayload(idempotencyKey: mail.order.orderID, from: settings.from, to: mail.order.email,
                           subject: rendered.subject, text: text, variables: variables)
    }

    /// A mail's text: rendered, or a plain template and its values, which a JSON line takes
    /// without rendering the text apart first.
    private enum MailText {
        case plain(PlainTemplate, [String])
        case rendered(String)
    }

    /// The subject, and the text, by the plain templates where there are some, else by Mustache.
    private func render(_ mail: OutboxMail, _ variables: [(key: String, value: MailPayload.Value)])
        -> (subject: String, text: MailText) {
        guard let plain else {
            let rendered = renderedThroughMustache(mail, variables)
            return (rendered.subject, .rendered(rendered.text))
        }
        let values = plainValues(mail, variables)
        return (Self.trimmingLineBreaks(plain.subject.render(values)), .plain(plain.text, values))
    }

    /// SPEC §5 `variables`, in key byte order; `settled_on` only when known.
    private func variables(_ mail: OutboxMail) -> [(key: String, value: MailPayload.Value)] {
        let applied = mail.extensionRecord
        var variables: [(key: String, value: MailPayload.Value)] = [
            ("amount", .text(mail.amount.decimalString)), ("currency", .text(mail.amount.currency.code)),
            ("new_expires_on", .text(applied.newExpiresOn.description)), ("order_id", .text(mail.order.orderID)),
            ("placed_on", .text(applied.placedOn.description)),
            ("previous_expires_on", .text(applied.previousExpiresOn.description)),
            ("previous_product_code", .text(applied.previousProduct)), ("product_code", .text(applied.product)),
            ("product_name", .text(settings.catalog.names[applied.product] ?? applied.product)),
            ("serial", .text(applied.serial)),
        ]
        if let settledOn = applied.settledOn { variables.append(("settled_on", .text(settledOn.description))) }
        variables += [("statement_descriptors", .list(settings.statementDescriptors)), ("years", .number(applied.years))]
        return variables
    }

    /// The templates see the variables and two phrases made for the Japanese text; an unknown
    /// `settled_on` reads as nothing.
    private func renderedThroughMustache(_ mail: OutboxMail, _ variables: [(key: String, value: MailPayload.Value)])
        -> (subject: String, text: String) {
        var context = Dictionary(uniqueKeysWithValues: variables.map { ($0.key, $0.value.templateValue) })
        context["settled_on"] = context["settled_on"] ?? ""
        context["statement_descriptors_ja"] = descriptorsPhrase
        context["amount_display"] = Self.display(mail.amount)
        return (Self.trimmingLineBreaks(subject.render(context)), text.render(context))
    }

    /// What the plain templates see, in `plainNames` order: as `renderedThroughMustache`'s
    /// context, each value as text.
    private func plainValues(_ mail: OutboxMail, _ variables: [(key: String, value: MailPayload.Value)]) -> [String] {
        var values = [String](repeating: "", count: Self.plainNames.count)
        for (key, value) in variables {
            guard let position = Self.plainPositions[key] else { continue }
            switch value {
            case .text(let text): values[position] = text
            case .number(let number): values[position] = String(number)
            case .list: break
            }
        }
        values[Self.descriptorsPhrasePosition] = descriptorsPhrase
        values[Self.amountDisplayPosition] = Self.display(mail.amount)
        return values
    }

    /// The subject without line breaks at either end (a template file usually ends with one).
    static func trimmingLineBreaks(_ text: String) -> String {
        func isBreak(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar {
            case "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": true
            default: false
            }
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBreak($0) }),
              let last = scalars.lastIndex(where: { !isBreak($0) }) else { return "" }
        if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return text }
        return String(scalars[first...last])
    }

    /// `5,980円` for yen, `39.80 USD` otherwise.
    static func display(_ amount: Money) -> String {
        guard amount.currency.code == "JPY" else { return "\(amount.decimalString) \(amount.currency.code)" }
        let digits = Array(String(amount.minorUnits))
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return grouped + "円"
    }

    /// The names a template may use: the mail's variables and two ready-made Japanese phrases.
    public static let templateVariables: Set<String> = MailPayload.variableKeys.union([
        "statement_descriptors_ja", "amount_display", ".",
    ])

    /// Checks that the templates of `folder` parse and use only known variables.
    /// - Throws: `ReportError` naming the template and the unknown variable.
    public static func validateTemplates(in folder: URL) throws {
        for name in ["subject.mustache", "text.mustache"] {
            let url = folder.appendingPathComponent(name)
            _ = try template(url)
            let source = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            for variable in variables(in: source) where !templateVariables.contains(variable) {
                throw ReportError("mail template \(name) uses the unknown variable '\(variable)' (known: \(templateVariables.subtracting(["."]).sorted().joined(separator: ", ")))")
            }
        }
    }

    /// The variable names of `{{name}}`, `{{{name}}}`, `{{&name}}` and sections; comments,
    /// pragmas and partials are not variables.
    static func variables(in source: String) -> [String] {
        source.matches(of: /\{\{\{?\s*([#^\/&]?)\s*([^\s{}!%>=]+)\s*\}?\}\}/).map { String($0.output.2) }
    }

    /// Reads a template as plain text (mails are never HTML-escaped), and its interpolation plan
    /// when it is plain.
    private static func template(_ url: URL) throws -> (MustacheTemplate, PlainTemplate?) {
        guard let source = try? String(contentsOf: url, encoding: .utf8) else {
            throw ReportError("cannot read the mail template \(url.path)")
        }
        // A template may say TEXT itself; any other content type would escape the mail as HTML.
        guard source.matches(of: /\{\{%\s*CONTENT_TYPE\s*:\s*(\w+)/).allSatisfy({ $0.output.1 == "TEXT" }) else {
            throw ReportError("the mail template \(url.lastPathComponent) asks for a content type other than TEXT: mails are plain text")
        }
        let plain = source.hasPrefix(PlainTemplate.textPragma) ? source : PlainTemplate.textPragma + source
        do {
            return (try MustacheTemplate(string: plain), PlainTemplate(plain, names: plainNames))
        } catch {
            throw ReportError("the mail template \(url.lastPathComponent) does not parse: \(error)")
        }
    }

    /// The template names whose value is one text or number: what a plain template may use.
    static let plainNames = templateVariables.subtracting(["statement_descriptors", "."]).sorted()
    private static let plainPositions = Dictionary(uniqueKeysWithValues: plainNames.enumerated().map { ($1, $0) })
    private static let descriptorsPhrasePosition = plainPositions["statement_descriptors_ja"]!
    private static let amountDisplayPosition = plainPositions["amount_display"]!
}

/// One completion mail (SPEC §5).
struct MailPayload {
    enum Value {
        case text(String)
        case number(Int)
        case list([String])

        var templateValue: Any {
            switch self {
            case .text(let text): text
            case .number(let number): number
            case .list(let items): items
            }
        }
    }

    /// Every key `variables` may hold.
    static let variableKeys: Set<String> = [
        "amount", "currency", "new_expires_on", "order_id", "placed_on", "previous_expires_on",
        "previous_product_code", "product_code", "product_name", "serial", "settled_on", "statement_descriptors", "years",
    ]

    static let schema = "renewal-completion-mail/v1"
    static let locale = "ja-JP"
    var idempotencyKey: String
    var from: String
    var to: String
    var subject: String
    var text: String
    var variables: [(key: String, value: Value)]
}

/// Why a report could not be rendered.
public struct ReportError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
