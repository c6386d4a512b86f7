import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import ReconCore
@testable import ReconIngest

/// Every camt file of the shared corpus, read by the streaming reader, against an independent
/// DOM reading of the same XML: record counts and per-currency credit and debit sums.
@Suite struct CorpusCrossCheckTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus")

    static func files(_ extensions: Set<String>) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: corpus, includingPropertiesForKeys: nil) else {
            print("note: \(corpus.path) is absent; the corpus cross-check is skipped")
            return []
        }
        return walker.compactMap { $0 as? URL }.filter { extensions.contains($0.pathExtension) }
            .sorted { $0.path < $1.path }
    }

    struct Totals: Equatable, CustomStringConvertible {
        var records = 0
        var sums: [String: Decimal] = [:]
        mutating func add(_ currency: String, _ direction: String, _ amount: Decimal) {
            sums["\(currency) \(direction)", default: 0] += amount
        }
        var description: String { "\(records) records, \(sums.sorted { $0.key < $1.key })" }
    }

    @Test func everyCamtFileMatchesAnIndependentReading() throws {
        let xmlFiles = Self.files(["xml"])
        guard !xmlFiles.isEmpty else { return }
        for url in xmlFiles {
            let parsed = try SettlementFileReader(options: ReadOptions(settlementTimeZone: TimeZone(identifier: "Asia/Tokyo")!))
                .readAll(url)
            var streamed = Totals(records: parsed.records.count)
            for record in parsed.records {
                streamed.add(record.currencyCode, record.direction.rawValue,
                             Decimal(string: record.amountText) ?? -1)
            }
            let dom = try Self.domReading(url)
            #expect(streamed == dom, "\(url.lastPathComponent): streamed \(streamed); DOM \(dom)")
        }
    }

    @Test func everyCorpusCSVParsesOrIsRefusedWithAReason() throws {
        for url in Self.files(["csv"]) {
            let reader = SettlementFileReader(options: ReadOptions(settlementTimeZone: TimeZone(identifier: "Asia/Tokyo")!))
            do {
                let parsed = try reader.readAll(url)
                #expect(parsed.summary.version == "adyen-settlement-details", "\(url.lastPathComponent)")
            } catch {
                #expect(error.reason.hasPrefix("unknown format: "), "\(url.lastPathComponent): \(error)")
            }
        }
    }

    /// A DOM walk of the booked entries, written from the SPEC table without the reader's code.
    static func domReading(_ url: URL) throws -> Totals {
        let document = try XMLDocument(contentsOf: url, options: [])
        var totals = Totals()
        func children(_ node: XMLNode, _ name: String) -> [XMLElement] {
            (node.children ?? []).compactMap { $0 as? XMLElement }.filter { $0.localName == name }
        }
        func child(_ node: XMLNode, _ path: String...) -> XMLElement? {
            var current: XMLNode? = node
            for name in path { current = current.flatMap { children($0, name).first } }
            return current as? XMLElement
        }
        func currency(_ element: XMLElement?) -> String? {
            element?.attributes?.first { ($0.localName ?? $0.name) == "Ccy" }?.stringValue
        }
        func entries(_ node: XMLNode) -> [XMLElement] {
            (node.children ?? []).compactMap { $0 as? XMLElement }.flatMap { element in
                element.localName == "Ntry" ? [element] : entries(element)
            }
        }
        for entry in entries(document) {
            let status = child(entry, "Sts", "Cd")?.stringValue ?? child(entry, "Sts")?.stringValue
            guard status == nil || status?.trimmingCharacters(in: .whitespacesAndNewlines) == "BOOK" else { continue }
            let details = children(entry, "NtryDtls").flatMap { children($0, "TxDtls") }
            let entryAmount = child(entry, "Amt")
            let entryDirection = child(entry, "CdtDbtInd")?.stringValue == "DBIT" ? "debit" : "credit"
            if details.isEmpty {
                totals.records += 1
                totals.add(currency(entryAmount) ?? "", entryDirection,
                           Decimal(string: entryAmount?.stringValue ?? "") ?? -1)
                continue
            }
            for tx in details {
                totals.records += 1
                let amount = child(tx, "Amt") ?? child(tx, "AmtDtls", "TxAmt", "Amt") ?? (details.count == 1 ? entryAmount : nil)
                let direction = child(tx, "CdtDbtInd").map { $0.stringValue == "DBIT" ? "debit" : "credit" } ?? entryDirection
                totals.add(currency(amount) ?? "", direction,
                           Decimal(string: amount?.stringValue ?? "") ?? -1)
            }
        }
        return totals
    }
}
