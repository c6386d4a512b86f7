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

    /// - Parameter templateDirectory: `mail.template_dir`, or nil for the shipped templates.
    public init(settings: Settings, templateDirectory: URL?) throws {
        self.settings = settings
        let folder = templateDirectory ?? Bundle.module.url(forResource: "Templates", withExtension: nil)
        guard let folder else { throw ReportError("the shipped mail templates are missing from the installation") }
        subject = try Self.template(folder.appendingPathComponent("subject.mustache"))
        text = try Self.template(folder.appendingPathComponent("text.mustache"))
    }

    /// One JSON object per mail, ordered by order id, each line ending in `\n`.
    public func jsonLines(_ mails: [OutboxMail]) throws -> Data {
        var out: [UInt8] = []
        for mail in mails { out += jsonLine(mail) }
        return Data(out)
    }

    /// One mail as a JSON line, keys in byte order (hand-built: a day may hold a million).
    public func jsonLine(_ mail: OutboxMail) -> [UInt8] {
        let payload = payload(mail)
        let variables = payload.variables
        var line = JSONLineBuilder()
        line.string("from", payload.from)
        line.string("idempotency_key", payload.idempotencyKey)
        line.string("locale", payload.locale)
        line.string("schema", payload.schema)
        line.string("subject", payload.subject)
        line.string("text", payload.text)
        line.string("to", payload.to)
        line.object("variables") { object in
            object.string("amount", variables.amount)
            object.string("currency", variables.currency)
            object.string("new_expires_on", variables.newExpiresOn)
            object.string("order_id", variables.orderID)
            object.string("placed_on", variables.placedOn)
            object.string("previous_expires_on", variables.previousExpiresOn)
            object.string("previous_product_code", variables.previousProductCode)
            object.string("product_code", variables.productCode)
            object.string("product_name", variables.productName)
            object.string("serial", variables.serial)
            if let settledOn = variables.settledOn { object.string("settled_on", settledOn) }
            object.strings("statement_descriptors", variables.statementDescriptors)
            object.int("years", variables.years)
        }
        return line.line()
    }

    func payload(_ mail: OutboxMail) -> MailPayload {
        let applied = mail.extensionRecord
        let variables = MailPayload.Variables(
            orderID: mail.order.orderID, serial: applied.serial, productCode: applied.product,
            productName: settings.catalog.names[applied.product] ?? applied.product,
            previousProductCode: applied.previousProduct, years: applied.years,
            previousExpiresOn: applied.previousExpiresOn.description, newExpiresOn: applied.newExpiresOn.description,
            amount: mail.order.amount.decimalString, currency: mail.order.amount.currency.code,
            placedOn: applied.placedOn.description, settledOn: mail.settledOn?.description,
            statementDescriptors: settings.statementDescriptors)
        let context = templateContext(variables, amount: mail.order.amount)
        return MailPayload(idempotencyKey: mail.order.orderID, from: settings.from, to: mail.order.email,
                           subject: subject.render(context).trimmingCharacters(in: .newlines),
                           text: text.render(context), variables: variables)
    }

    private func templateContext(_ variables: MailPayload.Variables, amount: Money) -> [String: Any] {
        [
            "order_id": variables.orderID, "serial": variables.serial, "product_code": variables.productCode,
            "product_name": variables.productName, "previous_product_code": variables.previousProductCode,
            "years": variables.years, "previous_expires_on": variables.previousExpiresOn,
            "new_expires_on": variables.newExpiresOn, "amount": variables.amount, "currency": variables.currency,
            "placed_on": variables.placedOn, "settled_on": variables.settledOn ?? "",
            "statement_descriptors": variables.statementDescriptors,
            "statement_descriptors_ja": variables.statementDescriptors.map { "「\($0)」" }.joined(separator: "または"),
            "amount_display": Self.display(amount),
        ]
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
    public static let templateVariables: Set<String> = [
        "order_id", "serial", "product_code", "product_name", "previous_product_code", "years", "previous_expires_on",
        "new_expires_on", "amount", "currency", "placed_on", "settled_on", "statement_descriptors",
        "statement_descriptors_ja", "amount_display", ".",
    ]

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

    /// Reads a template as plain text: mails are never HTML-escaped.
    private static func template(_ url: URL) throws -> MustacheTemplate {
        guard let source = try? String(contentsOf: url, encoding: .utf8) else {
            throw ReportError("cannot read the mail template \(url.path)")
        }
        let plain = source.contains("CONTENT_TYPE") ? source : "{{% CONTENT_TYPE: TEXT}}" + source
        do {
            return try MustacheTemplate(string: plain)
        } catch {
            throw ReportError("the mail template \(url.lastPathComponent) does not parse: \(error)")
        }
    }
}

/// The JSON object of one completion mail.
struct MailPayload: Encodable {
    struct Variables: Encodable {
        var orderID, serial, productCode, productName, previousProductCode: String
        var years: Int
        var previousExpiresOn, newExpiresOn, amount, currency, placedOn: String
        var settledOn: String?
        var statementDescriptors: [String]

        enum CodingKeys: String, CodingKey {
            case orderID = "order_id", serial, productCode = "product_code", productName = "product_name"
            case previousProductCode = "previous_product_code", years, previousExpiresOn = "previous_expires_on"
            case newExpiresOn = "new_expires_on", amount, currency, placedOn = "placed_on", settledOn = "settled_on"
            case statementDescriptors = "statement_descriptors"
        }
    }

    var schema = "renewal-completion-mail/v1"
    var idempotencyKey: String
    var from: String
    var to: String
    var locale = "ja-JP"
    var subject: String
    var text: String
    var variables: Variables

    enum CodingKeys: String, CodingKey {
        case schema, idempotencyKey = "idempotency_key", from, to, locale, subject, text, variables
    }
}

/// Why a report could not be rendered.
public struct ReportError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Deterministic JSON Lines: sorted keys, no escaped slashes, one object a line.
public enum JSONLine {
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }
}
