import Foundation

/// Where tests keep their files: one folder per test process in the system's temporary
/// folder, removed when the process exits. A test run that crashes leaves it to be looked at.
public enum Scratch {
    public static let root: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("renewal-recon-tests-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return root
    }()

    /// A new path in the scratch folder, named `prefix-UUID`; nothing is created there.
    public static func path(_ prefix: String) -> URL {
        root.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    }
}
