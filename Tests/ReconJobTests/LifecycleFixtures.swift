import Foundation
import Logging
import ReconCore
import ReconStore
import ReconTestSupport
@testable import renewal_recon

/// A small shop for lifecycle tests: orders and licenses as CSV, settlements as camt.054.
struct Shop {
    let workspace: TestWorkspace
    /// "Now" as the job sees it: today is this business date in Tokyo, 12:00.
    var today = BusinessDate(iso: "2026-11-20")!

    init(store kind: TestStore = .sqlite, yaml: String = "min_file_age_s: 0\n") async throws {
        workspace = try await TestWorkspace(store: kind, yaml: yaml)
    }

    static let orderHeader = "order_id,serial,current_product,target_product,years,amount,currency,email,placed_at,payment_method,status\n"

    static func orderRow(_ id: String, serial: String, target: String = "VBC", years: Int = 1, amount: Int = 5980,
                         placed: String = "2026-11-10", status: String = "pending") -> String {
        "\(id),\(serial),VBC,\(target),\(years),\(amount),JPY,\(id.lowercased())@example.com,\(placed)T10:00:00+09:00,credit_card,\(status)\n"
    }

    static func licenseRow(_ serial: String, product: String = "VBC", expires: String = "2026-12-10", autoRenew: Bool = false) -> String {
        "\(serial),\(product),\(expires),\(autoRenew),\(serial.lowercased())@example.com\n"
    }

    @discardableResult
    func importOrders(_ rows: String...) async throws -> ImportSummary {
        let name = "orders-\(UUID().uuidString).csv"
        try workspace.write(Self.orderHeader + rows.joined(), to: name)
        defer { try? FileManager.default.removeItem(at: workspace.url(name)) }
        return try await Importer(store: try await workspace.store(), config: try workspace.config())
            .importOrders(from: workspace.url(name))
    }

    @discardableResult
    func importLicenses(_ rows: String...) async throws -> ImportSummary {
        try workspace.write("serial,product,expires_on,auto_renew,email\n" + rows.joined(), to: "licenses.csv")
        return try await Importer(store: try await workspace.store(), config: try workspace.config())
            .importLicenses(from: workspace.url("licenses.csv"), allowEarlier: false)
    }

    /// A settlement: one entry with one transaction, booked on `booked`.
    struct Settlement {
        var id: String
        var ref: String?
        var amount = 5980
        var booked = "2026-11-12"
        var indicator = "CRDT"
        var descriptor = "RCH*TrendMicro"
    }

    func deliver(_ settlements: [Settlement], as name: String) throws {
        let entries = settlements.map { s -> String in
            let ref = s.ref.map { "<EndToEndId>\($0)</EndToEndId>" } ?? "<EndToEndId>NOTPROVIDED</EndToEndId>"
            return """
                <Ntry><Amt Ccy="JPY">\(s.amount)</Amt><CdtDbtInd>\(s.indicator)</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
                <BookgDt><Dt>\(s.booked)</Dt></BookgDt><NtryDtls><TxDtls><Refs><AcctSvcrRef>\(s.id)</AcctSvcrRef>\(ref)</Refs>
                <Amt Ccy="JPY">\(s.amount)</Amt><CdtDbtInd>\(s.indicator)</CdtDbtInd>
                <RmtInf><Ustrd>\(s.descriptor)</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
                """
        }.joined(separator: "\n")
        try workspace.write("""
            <?xml version="1.0" encoding="UTF-8"?>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn><Ntfctn>
            \(entries)
            </Ntfctn></BkToCstmrDbtCdtNtfctn></Document>
            """, to: "inbox/\(name)")
    }

    func job(environment: [String: String] = [:]) async throws -> ReconJob {
        let config = try workspace.config(environment: environment)
        var job = ReconJob(config: config, store: try await StoreOpener.open(config, for: .createIfMissing),
                           logger: Logger(label: "test"))
        let noon = today.dayNumber * 86_400 + 3 * 3600  // 12:00 in Tokyo
        job.now = { Date(timeIntervalSince1970: TimeInterval(noon)) }
        return job
    }

    func run(_ date: String, environment: [String: String] = [:]) async throws -> RunOutcome {
        try await job(environment: environment).run(date: BusinessDate(iso: date)!)
    }

    /// A run that reads its queue `slice` records at a time.
    func run(_ date: String, slice: Int) async throws -> RunOutcome {
        var job = try await job()
        job.evaluationSlice = slice
        return try await job.run(date: BusinessDate(iso: date)!)
    }

    func store() async throws -> any ReconStore { try await workspace.store() }

    /// The date's summary.json without its `run` object, the one part two runs of the same
    /// state may write differently (SPEC §5).
    func summary(of day: BusinessDate) throws -> [String: Any] {
        let data = try workspace.outputs()["reports/\(day)/summary.json"] ?? Data()
        var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        object["run"] = nil
        return object
    }

    /// Writes the date's outputs again from what the store holds now, as `report --date` does.
    func rewriteOutputs(of day: BusinessDate) async throws {
        let job = try await job()
        _ = try await job.writeOutputs(for: [day], run: job.runInfo("report", RunOutcome(runID: "r", date: day),
                                                                    job.now(), PhaseClock()))
    }

    func exception(_ code: ExceptionCode) async throws -> ExceptionRow? {
        try await store().exceptions(code: code, status: nil).first
    }

    func license(_ serial: String) async throws -> License? {
        try await store().licenses(serials: [serial])[ExactID(serial)]
    }
}
