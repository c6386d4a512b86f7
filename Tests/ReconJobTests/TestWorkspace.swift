import Foundation
import Logging
import ReconCore
import ReconTestSupport
@testable import renewal_recon

/// A throwaway folder holding a config, with helpers to open the job on it.
struct TestWorkspace {
    let root: URL

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var samples: URL { repository.appendingPathComponent("samples") }

    init(yaml: String = "database_url: sqlite:var/recon.sqlite\nmin_file_age_s: 0\n") throws {
        root = Scratch.path("recon-job")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("inbox"), withIntermediateDirectories: true)
        try write(yaml, to: "recon.yaml")
    }

    /// A workspace whose store is of `kind`: SQLite in the folder, or a fresh PostgreSQL database.
    init(store kind: TestStore, yaml: String = "min_file_age_s: 0\n") async throws {
        try self.init(yaml: yaml)
        try await use(kind)
    }

    /// A workspace holding a copy of samples/ (config, orders, licenses, inbox).
    static func samplesCopy(store kind: TestStore = .sqlite) async throws -> TestWorkspace {
        let workspace = try TestWorkspace()
        try FileManager.default.removeItem(at: workspace.root)
        try FileManager.default.copyItem(at: samples, to: workspace.root)
        for leftover in ["var", "out"] {
            try? FileManager.default.removeItem(at: workspace.root.appendingPathComponent(leftover))
        }
        try await workspace.use(kind)
        return workspace
    }

    /// Points the workspace's config at a fresh store of `kind`.
    func use(_ kind: TestStore) async throws {
        guard kind == .postgres else { return }
        let database = try await TestStore.freshPostgresDatabase()
        let yaml = try String(contentsOf: root.appendingPathComponent("recon.yaml"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("database_url:") }.joined(separator: "\n")
        try write(yaml + "\ndatabase_url: \(database)\n", to: "recon.yaml")
    }

    var configPath: String { root.appendingPathComponent("recon.yaml").path }

    func write(_ text: String, to name: String) throws {
        let url = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func url(_ name: String) -> URL { root.appendingPathComponent(name) }

    func config(environment: [String: String] = [:]) throws -> ReconConfig {
        try ConfigLoader.load(path: configPath, environment: environment)
    }

    func store(_ purpose: StoreOpener.Purpose = .createIfMissing) async throws -> any ReconStore {
        try await StoreOpener.open(try config(), for: purpose)
    }

    func job() async throws -> ReconJob {
        ReconJob(config: try config(), store: try await store(), logger: Logger(label: "test"))
    }

    /// Every output file under out/, by relative path; summary.json without its `run` object,
    /// the one part that may differ between two runs of the same state (SPEC §5).
    func outputs() throws -> [String: Data] {
        let out = root.appendingPathComponent("out")
        var files: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(at: out, includingPropertiesForKeys: nil) else { return files }
        for case let url as URL in walker where !url.hasDirectoryPath {
            var data = try Data(contentsOf: url)
            if url.lastPathComponent == "summary.json" {
                var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
                object["run"] = nil
                data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            }
            files[String(url.path.dropFirst(out.path.count + 1))] = data
        }
        return files
    }
}
