import Foundation
import Testing
import ReconCore
@testable import ReconReports

/// The interpolation plans of plain templates render what Mustache renders, byte for byte.
@Suite struct MailTemplateTests {
    static let settings = CompletionMailRenderer.Settings(
        from: "no-reply@example.invalid", statementDescriptors: ["RCH*TrendMicro", "With Reach"], catalog: .standard)

    /// Mails over the catalog, years, currencies and with and without a settlement date.
    static func mails() -> [OutboxMail] {
        let products = ProductCatalog.standard.names.keys.sorted()
        return (0..<60).map { index in
            let currency = index % 3 == 0 ? Currency(code: "USD")! : Currency(code: "JPY")!
            let product = products[index % products.count]
            let years = 1 + index % 3
            let order = RenewalOrder(
                orderID: "RN20261115-\(1000 + index)", serial: "TM-\(index)", currentProduct: product, targetProduct: product,
                years: years, amount: Money(minorUnits: Int64(598 + index * 1_000), currency: currency),
                email: "user\(index)@example.com", placedAt: Timestamp(iso: "2026-11-15T10:00:00+09:00")!, status: .completed)
            let applied = LicenseExtension(
                orderID: order.orderID, serial: order.serial, transactionID: "TX-\(index)", recordID: "r\(index)",
                previousProduct: product, product: product, previousExpiresOn: BusinessDate(iso: "2026-12-01")!,
                newExpiresOn: BusinessDate(iso: "2026-12-01")!.adding(days: 365 * years), years: years,
                appliedOn: BusinessDate(iso: "2026-11-20")!, appliedAt: Date(timeIntervalSince1970: 1_795_000_000),
                placedOn: BusinessDate(iso: "2026-11-15")!, settledOn: index % 4 == 0 ? nil : BusinessDate(iso: "2026-11-16"),
                runID: "run-1", paid: order.amount)
            return OutboxMail(extensionRecord: applied, order: order)
        }
    }

    func folder(subject: String, text: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try subject.write(to: folder.appendingPathComponent("subject.mustache"), atomically: true, encoding: .utf8)
        try text.write(to: folder.appendingPathComponent("text.mustache"), atomically: true, encoding: .utf8)
        return folder
    }

    @Test func theShippedTemplatesRenderByInterpolationAsMustacheWould() throws {
        let renderer = try CompletionMailRenderer(settings: Self.settings, templateDirectory: nil)
        #expect(renderer.rendersByInterpolation)
        let mustache = renderer.renderingThroughMustache()
        #expect(!mustache.rendersByInterpolation)
        for mail in Self.mails() {
            #expect(renderer.jsonLine(mail) == mustache.jsonLine(mail), "\(mail.order.orderID)")
        }
    }

    /// The template's own text holds what JSON escapes (quotes, a backslash, controls), which
    /// a plain template escapes once, ahead of the values.
    @Test func everyFormOfAPlainVariableRendersAsMustacheWould() throws {
        let names = CompletionMailRenderer.plainNames
        let text = names.enumerated().map { index, name in
            ["{{\(name)}}", "{{ \(name) }}", "{{{\(name)}}}", "{{& \(name)}}"][index % 4] + " & <b>\"\(index)\"</b>\t\\\u{1}\n"
        }.joined()
        let folder = try folder(subject: "\n\n{{order_id}} 「{{product_name}}」\n", text: text)
        defer { try? FileManager.default.removeItem(at: folder) }
        let renderer = try CompletionMailRenderer(settings: Self.settings, templateDirectory: folder)
        #expect(renderer.rendersByInterpolation)
        for mail in Self.mails() {
            #expect(renderer.jsonLine(mail) == renderer.renderingThroughMustache().jsonLine(mail), "\(mail.order.orderID)")
        }
    }

    @Test func aTemplateWithASectionIsLeftToMustache() throws {
        let folder = try folder(subject: "{{order_id}}", text: "{{#statement_descriptors}}[{{.}}]{{/statement_descriptors}}")
        defer { try? FileManager.default.removeItem(at: folder) }
        let renderer = try CompletionMailRenderer(settings: Self.settings, templateDirectory: folder)
        #expect(!renderer.rendersByInterpolation)
        let line = String(decoding: renderer.jsonLine(Self.mails()[0]), as: UTF8.self)
        #expect(line.contains("\"text\":\"[RCH*TrendMicro][With Reach]\""))
    }

    /// A template that only mentions CONTENT_TYPE, or says TEXT in its own spacing, is still
    /// rendered as text: nothing is HTML-escaped.
    @Test(arguments: ["CONTENT_TYPE: {{#statement_descriptors}}[{{.}}]{{/statement_descriptors}}",
                      "{{%CONTENT_TYPE:TEXT}}{{#statement_descriptors}}[{{.}}]{{/statement_descriptors}}"])
    func aTemplateMentioningTheContentTypeIsStillText(_ text: String) throws {
        let folder = try folder(subject: "{{order_id}}", text: text)
        defer { try? FileManager.default.removeItem(at: folder) }
        let settings = CompletionMailRenderer.Settings(from: "no-reply@example.invalid", statementDescriptors: ["A&B <C>"],
                                                       catalog: .standard)
        let renderer = try CompletionMailRenderer(settings: settings, templateDirectory: folder)
        let line = String(decoding: renderer.jsonLine(Self.mails()[0]), as: UTF8.self)
        #expect(line.contains("[A&B <C>]"), "\(line)")
    }

    /// The subject's trim, written by hand, does what `trimmingCharacters(in: .newlines)` did.
    @Test(arguments: ["件名\n", "\r\n件名\r\n", "件名", "", "\n", "\u{85}件名\u{2028}", "\u{0B}a\u{0C}", " 件名 \n",
                      "a\nb", "\u{2029}\u{2029}", "e\u{301}\n"])
    func theSubjectLosesLineBreaksAtItsEndsAsFoundationTrimsThem(_ text: String) {
        #expect(CompletionMailRenderer.trimmingLineBreaks(text) == text.trimmingCharacters(in: .newlines))
    }
}
