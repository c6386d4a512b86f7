import Foundation
import Logging
import Testing
import ReconCore
@testable import ReconReports
@testable import ReconStore
@testable import renewal_recon

@Suite struct ReportFormatTests {
    func row(descriptor: String, email: String) -> ExceptionRow {
        let facts = ExceptionFacts(code: .unknownOrder, subject: "s", orderID: "RN-1", transactionID: "-2+3",
                                   amountMinor: 5980, currency: "JPY", lagDays: -1, descriptor: descriptor)
        return ExceptionRow(facts: facts, exceptionID: "EX-000000000001", status: "open",
                            firstSeen: BusinessDate(iso: "2026-11-20")!, lastSeen: BusinessDate(iso: "2026-11-20")!, email: email)
    }

    /// SPEC §5 lists `transaction_id` among every feed line's fields: a settlement without
    /// one (its identity rests on content) gives `null`, not a line without the key.
    @Test func aFeedLineCarriesEveryFieldEvenWithoutATransactionID() throws {
        var applied = try #require(MailTemplateTests.mails().first).extensionRecord
        applied.transactionID = nil
        var line: [UInt8] = []
        LicenseFeed.appendLine(applied, to: &line)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(Set(object.keys) == ["schema", "idempotency_key", "serial", "order_id", "transaction_id",
                                     "previous_product_code", "product_code", "previous_expires_on", "new_expires_on",
                                     "years", "applied_on"])
        #expect(object["transaction_id"] is NSNull)
    }

    @Test func aCellExcelWouldRunAsAFormulaIsNeutralised() throws {
        let csv = ExceptionsCSV.head + ExceptionsCSV(texts: ExceptionText.defaults).line(
            row(descriptor: "=HYPERLINK(\"http://evil.example\",\"click\")", email: "@SUM(1+1)@example.com"))
        #expect(csv.starts(with: [0xEF, 0xBB, 0xBF]))
        let text = String(decoding: csv.dropFirst(3), as: UTF8.self)
        let line = try #require(text.components(separatedBy: "\r\n").dropFirst().first)
        #expect(line.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\""))
        #expect(line.contains(",'@SUM(1+1)@example.com,"))
        #expect(line.contains(",'-2+3,"))
        // Plain numbers stay numbers, negative ones too.
        #expect(line.contains(",5980,"))
        #expect(line.contains(",-1,"))
        #expect(!line.contains(",=") && !line.contains(",@") && !line.contains(",+"))
    }

    @Test(arguments: ["=1+2", "+1", "-x", "@A1", "\tx", "\rx"])
    func everyFormulaLeadIsGuarded(_ cell: String) {
        #expect(ExceptionsCSV.neutralise(cell) == "'" + cell)
    }

    @Test(arguments: ["-12", "-12.50", "0", "12.5"])
    func plainNumbersAreLeftAlone(_ cell: String) {
        #expect(ExceptionsCSV.neutralise(cell) == cell)
    }

    @Test func theEMLParsesBackToTheSameSubjectAndText() async throws {
        let workspace = try await TestWorkspace.samplesCopy()
        let config = try workspace.config()
        let store = try await StoreOpener.open(config, for: .createIfMissing)
        let importer = Importer(store: store, config: config)
        _ = try await importer.importOrders(from: workspace.url("orders.csv"))
        _ = try await importer.importLicenses(from: workspace.url("licenses.csv"), allowEarlier: false)
        _ = try await ReconJob(config: config, store: store, logger: Logger(label: "test")).run(date: BusinessDate(iso: "2026-11-20")!)
        let folder = workspace.url("out/mail/2026-11-20")
        let mails = try String(contentsOf: folder.appendingPathComponent("completion-mails.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(mails.count == 15)
        let script = """
            import email, email.policy, json, sys
            out = []
            for path in sys.argv[1:]:
                with open(path, 'rb') as f:
                    m = email.message_from_bytes(f.read(), policy=email.policy.default)
                out.append({'subject': str(m['subject']), 'text': m.get_content(),
                            'to': str(m['to']), 'from': str(m['from']), 'id': str(m['message-id']), 'date': str(m['date'])})
            print(json.dumps(out))
            """
        let paths = mails.map { folder.appendingPathComponent("eml/\($0["idempotency_key"] as? String ?? "").eml").path }
        let python = try TestProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script] + paths)
        #expect(python.status == 0, "\(python.stderr)")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(python.stdout.utf8)) as? [[String: String]])
        for path in paths {
            // RFC 2047 §2: a line holding encoded words is at most 76 characters (the body's
            // base64 lines are 76 too).
            let lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\r\n")
            #expect(lines.allSatisfy { $0.count <= 76 }, "\(path): \(lines.map(\.count))")
        }
        for (mail, eml) in zip(mails, parsed) {
            #expect(eml["subject"] == mail["subject"] as? String)
            #expect(eml["text"] == mail["text"] as? String)
            #expect(eml["to"] == mail["to"] as? String)
            #expect(eml["from"] == "no-reply@renewal.example.com")
            #expect(eml["id"] == "<\(mail["idempotency_key"] as? String ?? "").completion@renewal.example.com>")
            #expect(eml["date"]?.hasSuffix("+0900") == true)
        }
    }

    /// A subject is folded into encoded words of at most 39 bytes each, so that no line of the
    /// header passes 76 characters, a character too long for one word (a letter under 30
    /// accents) too; the words decode back to the subject.
    @Test(arguments: ["ウイルスバスター クラウド 3年版 ライセンス更新のお知らせ", "a" + String(repeating: "\u{301}", count: 30) + " ok"])
    func aSubjectFoldsIntoShortEncodedWords(_ subject: String) throws {
        let lines = ("Subject: " + CompletionMailRenderer.encodedWords(subject)).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 76 }, "\(lines.map(\.count))")
        var bytes: [UInt8] = []
        for word in lines.map({ $0.split(separator: " ").last ?? "" }) {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="), "\(word)")
            let encoded = String(word.dropFirst(10).dropLast(2))
            bytes += try #require(Data(base64Encoded: encoded))
        }
        #expect(String(decoding: bytes, as: UTF8.self) == subject)
    }

    /// An order id written into the store by hand names its .eml file and Message-ID as a
    /// token: no other folder, no broken header.
    @Test func anOrderIDIsATokenInTheEMLNameAndMessageID() async throws {
        #expect(CompletionMailRenderer.token("RN20261108-0001") == "RN20261108-0001")
        #expect(CompletionMailRenderer.token("../x") == "%2E%2E%2Fx")
        #expect(CompletionMailRenderer.token("") == "%")
        #expect(CompletionMailRenderer.token("注文%") == "%E6%B3%A8%E6%96%87%25")
        #expect(CompletionMailRenderer.headerValue("a@b.jp\r\nBcc: x@evil.example") == "a@b.jpBcc: x@evil.example")
        #expect(CompletionMailRenderer.token("RN 1<@>\r\n") == "RN%201%3C%40%3E%0D%0A")
        let shop = try await Shop(yaml: "min_file_age_s: 0\nmail:\n  eml: true\n")
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN/../1", serial: "TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: "RN/../1")], as: "a.xml")
        #expect(try await shop.run("2026-11-12").applied == 1)
        let eml = try #require(try shop.workspace.outputs()["mail/2026-11-12/eml/RN%2F%2E%2E%2F1.eml"])
        #expect(String(decoding: eml, as: UTF8.self).contains("Message-ID: <RN%2F%2E%2E%2F1.completion@"))
    }

    /// An address written into the store by hand (the import refuses it) cannot add a header
    /// line to the .eml: its control characters are dropped from `To`.
    @Test func anAddressWithALineBreakAddsNoHeaderToTheEML() async throws {
        let shop = try await Shop(yaml: "min_file_age_s: 0\nmail:\n  eml: true\n")
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1"))
        let store = try #require(try await shop.store() as? SQLReconStore)
        try await store.database.transaction { db in
            try await db.execute("UPDATE orders SET email = ? WHERE order_id = 'RN-1'", .text("a@b.jp\r\nBcc: x@evil.example"))
        }
        await store.close()
        try shop.deliver([.init(id: "TX-1", ref: "RN-1")], as: "a.xml")
        #expect(try await shop.run("2026-11-12").applied == 1)
        let eml = String(decoding: try #require(try shop.workspace.outputs()["mail/2026-11-12/eml/RN-1.eml"]), as: UTF8.self)
        let headers = eml.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(headers.contains("To: a@b.jpBcc: x@evil.example"), "\(headers)")
        #expect(!headers.contains { $0.hasPrefix("Bcc:") }, "\(headers)")
    }

    /// Mails are plain text (SPEC §5): a template asking for HTML escaping is refused.
    @Test func aTemplateAskingForHTMLIsAConfigError() throws {
        let workspace = try TestWorkspace(yaml: "mail:\n  template_dir: templates\n")
        try workspace.write("{{% CONTENT_TYPE: HTML}}{{order_id}} & CONTENT_TYPE", to: "templates/subject.mustache")
        try workspace.write("{{product_name}}", to: "templates/text.mustache")
        let error = #expect(throws: ConfigError.self) { try workspace.config() }
        #expect(error?.description.contains("other than TEXT") == true, "\(error?.description ?? "")")
    }

    @Test func aTemplateWithAnUnknownVariableIsAConfigErrorNamingIt() throws {
        let workspace = try TestWorkspace(yaml: "mail:\n  template_dir: templates\n")
        try workspace.write("{{order_id}} のご注文", to: "templates/subject.mustache")
        try workspace.write("{{product_name}} {{customer_name}}\n{{#statement_descriptors}}{{.}}{{/statement_descriptors}}", to: "templates/text.mustache")
        let error = #expect(throws: ConfigError.self) { try workspace.config() }
        #expect(error?.description.contains("'customer_name'") == true)
        #expect(error?.description.contains("text.mustache") == true)
    }

    @Test func replacementTemplatesRenderAsPlainText() async throws {
        let shop = try await Shop(yaml: "min_file_age_s: 0\nmail:\n  template_dir: templates\n")
        try shop.workspace.write("<{{order_id}}> & {{product_name}}", to: "templates/subject.mustache")
        try shop.workspace.write("{{product_name}} 「{{serial}}」 {{amount_display}}", to: "templates/text.mustache")
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1"))
        try shop.deliver([.init(id: "TX-1", ref: "RN-1")], as: "a.xml")
        _ = try await shop.run("2026-11-12")
        let line = try #require(try shop.workspace.outputs()["mail/2026-11-12/completion-mails.jsonl"])
        let mail = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        #expect(mail["subject"] as? String == "<RN-1> & ウイルスバスター クラウド")
        #expect(mail["text"] as? String == "ウイルスバスター クラウド 「TM-1」 5,980円")
    }

    /// The samples' report.html in a real headless browser: it loads, has every section, and
    /// logs no error. Skipped (with a note) where no Chromium is installed, unless
    /// RECON_REQUIRE_BROWSER=1 (scripts/test sets it after installing one).
    @Test func theReportRendersInAHeadlessBrowser() async throws {
        let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let browser else {
            #expect(ProcessInfo.processInfo.environment["RECON_REQUIRE_BROWSER"] != "1", "no headless browser installed")
            print("note: no Chromium installed; the headless report check is skipped")
            return
        }
        let workspace = try await TestWorkspace.samplesCopy()
        let config = try workspace.config()
        let store = try await StoreOpener.open(config, for: .createIfMissing)
        _ = try await ReconJob(config: config, store: store, logger: Logger(label: "test")).run(date: BusinessDate(iso: "2026-11-20")!)
        let page = workspace.url("out/reports/2026-11-20/report.html")
        let chromium = try TestProcess.run(URL(fileURLWithPath: browser), [
            "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
            "--user-data-dir=\(workspace.url("chromium").path)", "--dump-dom", page.absoluteString,
        ])
        let dom = chromium.stdout, log = chromium.stderr
        #expect(chromium.status == 0)
        for id in ReportHTML.sectionIDs { #expect(dom.contains("id=\"\(id)\""), "section \(id) missing") }
        #expect(dom.contains("決済照合レポート"))
        #expect(dom.contains("<svg"))
        let consoleErrors = log.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        #expect(consoleErrors.isEmpty, "\(consoleErrors)")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://") && !html.contains("<link"))
    }
}
