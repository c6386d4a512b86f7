import Foundation
import Logging
import Testing
import ReconCore
import ReconTestSupport
@testable import renewal_recon

/// The samples' outputs, byte for byte, against Golden/samples (summary.json without its `run`
/// object). `RECON_UPDATE_GOLDEN=1 swift test --filter GoldenOutputTests` rewrites them after
/// a deliberate change; review the diff before committing it.
@Suite struct GoldenOutputTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/samples")
    /// Apply instants (the .eml Date) come from this clock: 2026-11-20 23:30 in Tokyo.
    static let pinnedNow = Date(timeIntervalSince1970: 1_795_185_000)

    func samplesRun(_ kind: TestStore = .sqlite) async throws -> TestWorkspace {
        let workspace = try await TestWorkspace.samplesCopy(store: kind)
        let config = try workspace.config()
        let store = try await StoreOpener.open(config, for: .createIfMissing)
        let importer = Importer(store: store, config: config)
        _ = try await importer.importOrders(from: workspace.url("orders.csv"))
        _ = try await importer.importLicenses(from: workspace.url("licenses.csv"), allowEarlier: false)
        var job = ReconJob(config: config, store: store, logger: Logger(label: "test"))
        job.now = { Self.pinnedNow }
        for day in ["2026-11-20", "2026-11-23"] { _ = try await job.run(date: BusinessDate(iso: day)!) }
        return workspace
    }

    /// Both stores write the same bytes: the SQL is shared, and every order is fixed in Swift.
    @Test(arguments: TestStore.available)
    func theSamplesWriteTheGoldenOutputs(_ kind: TestStore) async throws {
        let outputs = try await samplesRun(kind).outputs()
        if ProcessInfo.processInfo.environment["RECON_UPDATE_GOLDEN"] == "1", kind == .sqlite {
            try? FileManager.default.removeItem(at: Self.golden)
            for (path, data) in outputs {
                let url = Self.golden.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url)
            }
        }
        var expected: [String: Data] = [:]
        let walker = try #require(FileManager.default.enumerator(at: Self.golden, includingPropertiesForKeys: nil))
        for case let url as URL in walker where !url.hasDirectoryPath {
            expected[String(url.path.dropFirst(Self.golden.path.count + 1))] = try Data(contentsOf: url)
        }
        #expect(Set(outputs.keys) == Set(expected.keys))
        for (path, data) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(outputs[path] == data, "\(path) differs from Golden/samples/\(path)")
        }
        #expect(outputs.keys.contains("reports/2026-11-20/report.html"))
        #expect(outputs.keys.contains("mail/2026-11-20/eml/RN20261108-0001.eml"))
    }

    @Test(arguments: TestStore.available)
    func aSecondRunAndReportReproduceTheOutputs(_ kind: TestStore) async throws {
        let workspace = try await samplesRun(kind)
        let first = try workspace.outputs()
        let config = try workspace.config()
        var job = ReconJob(config: config, store: try await StoreOpener.open(config, for: .existing), logger: Logger(label: "test"))
        job.now = { Self.pinnedNow.addingTimeInterval(86_400 * 5) }
        _ = try await job.run(date: BusinessDate(iso: "2026-11-23")!)
        for day in ["2026-11-20", "2026-11-23"] {
            _ = try await job.writeOutputs(for: [BusinessDate(iso: day)!],
                                           run: job.runInfo("report", RunOutcome(runID: "r", date: BusinessDate(iso: day)!), Date(), PhaseClock()))
        }
        #expect(try workspace.outputs() == first)
    }

    @Test func outputFilesAreReadableByOwnerAndGroupOnly() async throws {
        let workspace = try await samplesRun()
        let out = workspace.url("out")
        let walker = try #require(FileManager.default.enumerator(at: out, includingPropertiesForKeys: nil))
        var checked = 0
        for case let url as URL in walker {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int)
            #expect(mode == (url.hasDirectoryPath ? 0o750 : 0o640), "\(url.path): \(String(mode, radix: 8))")
            checked += 1
        }
        #expect(checked > 10)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }
}
