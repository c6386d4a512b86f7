import Foundation
import Testing
import ReconCore
import ReconTestSupport
@testable import ReconStore
@testable import renewal_recon

/// Random days of orders, licenses and settlements — duplicates, refunds, late imports and
/// out-of-order arrival across several runs — and the invariants that must hold whatever they are.
@Suite struct PropertyTests {
    /// SplitMix64: a small seeded generator, so a failing seed can be replayed.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let products = ProductCatalog.standard.renewals.keys.sorted()

    @Test(arguments: TestStore.available, [1, 2, 3, 4, 5, 6] as [UInt64])
    func invariantsHoldForARandomWeek(kind: TestStore, seed: UInt64) async throws {
        var random = SeededRandom(state: seed)
        var shop = try await Shop(store: kind)
        let firstDay = BusinessDate(iso: "2026-11-02")!
        func day(_ offset: Int) -> String { firstDay.adding(days: offset).description }

        // Licenses and orders; a fifth of the orders are imported only after the first run.
        var licenseRows: [String] = []
        var licensed: [String] = []
        for index in 0..<24 {
            let product = Self.products.randomElement(using: &random)!
            licensed.append(product)
            licenseRows.append(Shop.licenseRow("TM-\(index)", product: product,
                                               expires: day(Int.random(in: -40...200, using: &random)),
                                               autoRenew: Int.random(in: 0..<6, using: &random) == 0))
        }
        var early: [String] = [], late: [String] = []
        var orders: [(id: String, amount: Int, placed: Int)] = []
        for index in 0..<36 {
            let id = "RN2026110\(index % 10)-\(1000 + index)"
            let amount = [5980, 6980, 8980, 10780].randomElement(using: &random)!
            let placed = Int.random(in: 0...6, using: &random)
            let serial = Int.random(in: 0..<26, using: &random)  // 24 and 25 have no license
            let sameProduct = serial < licensed.count && Int.random(in: 0..<4, using: &random) > 0
            let target = sameProduct ? licensed[serial] : Self.products.randomElement(using: &random)!
            let status = Int.random(in: 0..<12, using: &random) == 0 ? "cancelled" : "pending"
            let row = Shop.orderRow(id, serial: "TM-\(serial)", target: target, years: Int.random(in: 1...3, using: &random),
                                    amount: amount, placed: day(placed), status: status)
            if Int.random(in: 0..<5, using: &random) == 0 { late.append(row) } else { early.append(row) }
            orders.append((id, amount, placed))
        }
        try await shop.importLicenses(licenseRows.joined())
        try await shop.importOrders(early.joined())

        // Settlements: most orders settle, some twice, some are refunded; some strangers.
        var settlements: [Shop.Settlement] = []
        for (index, order) in orders.enumerated() where Int.random(in: 0..<10, using: &random) < 8 {
            let lag = Int.random(in: -1...7, using: &random)
            let amount = Int.random(in: 0..<10, using: &random) == 0 ? order.amount + 1 : order.amount
            settlements.append(.init(id: "TX-\(index)", ref: order.id, amount: amount, booked: day(order.placed + lag)))
            if Int.random(in: 0..<8, using: &random) == 0 {
                settlements.append(.init(id: "TX-\(index)-again", ref: order.id, amount: order.amount, booked: day(order.placed + lag + 1)))
            }
            if Int.random(in: 0..<10, using: &random) == 0 {
                settlements.append(.init(id: "RF-\(index)", ref: order.id, amount: order.amount, booked: day(order.placed + 6), indicator: "DBIT"))
            }
        }
        settlements.append(.init(id: "TX-UNKNOWN", ref: "RN20261199-9999", booked: day(3)))
        settlements.append(.init(id: "TX-NOREF", ref: nil, amount: 6980, booked: day(4)))
        settlements.append(.init(id: "TX-FOREIGN", ref: "RN20261101-1000", booked: day(4), descriptor: "OTHER SHOP"))
        settlements.shuffle(using: &random)

        // Three runs; each delivers a random share of files, one re-sends an earlier file.
        let chunks = stride(from: 0, to: settlements.count, by: 12).map { Array(settlements[$0..<min($0 + 12, settlements.count)]) }
        var runDates: [String] = []
        for (index, chunk) in chunks.enumerated() {
            try shop.deliver(chunk, as: "file-\(index).xml")
            if index == 1 {
                try await shop.importOrders(late.joined())
                try FileManager.default.copyItem(at: shop.workspace.url("inbox/file-0.xml"), to: shop.workspace.url("inbox/resent-0.xml"))
            }
            if index % 2 == 1 || index == chunks.count - 1 {
                let date = day(8 + index)
                runDates.append(date)
                _ = try await shop.run(date)
            }
        }
        let lastDate = BusinessDate(iso: runDates.last!)!
        shop.today = lastDate
        try await checkInvariants(shop)

        let state = try await BusinessState.dump(shop.store())
        let outputs = try shop.workspace.outputs()
        _ = try await shop.run(lastDate.description)
        #expect(try await BusinessState.dump(shop.store()) == state, "seed \(seed): a second run changed the state")
        #expect(try shop.workspace.outputs() == outputs, "seed \(seed): a second run changed the files")
        for _ in 0..<3 {
            let start = firstDay.adding(days: Int.random(in: 0...10, using: &random))
            let end = start.adding(days: Int.random(in: 0...(lastDate.days(since: start)), using: &random))
            let before = try shop.workspace.outputs()
            _ = try await shop.job().rerun(from: start, to: end)
            #expect(try await BusinessState.dump(shop.store()) == state, "seed \(seed): rerun \(start)..\(end) changed the state")
            let after = try shop.workspace.outputs()
            for (path, data) in before { #expect(after[path] == data, "seed \(seed): rerun \(start)..\(end) changed \(path)") }
        }
    }

    func checkInvariants(_ shop: Shop) async throws {
        let database = try #require((try await shop.store() as? SQLReconStore)?.database)
        try await database.read { db in
            let records = try await db.query("SELECT record_id, state FROM settlement_records", [])
            for record in records {
                let open = try await db.query("""
                    SELECT code, severity FROM exceptions WHERE record_id = ? AND status IN ('open', 'dismissed')
                    """, .text(record.string(0)))
                let errors = open.filter { $0.string(1) == "error" }.count
                switch record.string(1) {
                case "matched": #expect(errors == 0, "a matched record holds an error exception")
                case "foreign": #expect(open.isEmpty, "a foreign record holds an exception")
                case "held", "invalid", "duplicate": #expect(errors == 1, "a held record has \(errors) error exceptions")
                default: Issue.record("record left in state \(record.string(1))")
                }
            }
            let completed = Set(try await db.query("SELECT order_id FROM orders WHERE status = 'completed'", []).map { $0.string(0) })
            for table in ["license_extensions", "mail_outbox", "license_feed"] {
                let rows = try await db.query("SELECT order_id FROM \(table)", []).map { $0.string(0) }
                #expect(rows.count == Set(rows).count, "\(table) repeats an order")
                #expect(Set(rows) == completed, "\(table) disagrees with the completed orders")
            }
            let matched = try await db.query("SELECT COUNT(*) FROM settlement_records WHERE state = 'matched'", [])
            #expect(Int(matched.first?.int(0) ?? 0) == completed.count, "each completed order has one matched settlement")
            // The week is not vacuous: licenses were extended and settlements held for several reasons.
            let codes = try await db.query("SELECT DISTINCT code FROM exceptions", []).map { $0.string(0) }
            #expect(completed.count >= 5, "only \(completed.count) orders completed")
            #expect(codes.count >= 6, "only \(codes) raised")
        }
    }

}
