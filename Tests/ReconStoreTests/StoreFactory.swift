import Foundation
import ReconCore
import ReconStore

/// Every store the suite runs against: one test body, each store.
enum StoreFactory: String, CaseIterable, CustomStringConvertible {
    case sqlite

    var description: String { rawValue }

    /// A new, empty store of this kind, not yet migrated.
    func makeEmpty() throws -> (store: SQLReconStore, location: String) {
        switch self {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recon-store-\(UUID().uuidString)")
            let path = folder.appendingPathComponent("recon.sqlite").path
            return (SQLReconStore(database: try SQLiteDatabase(path: path, create: true)), path)
        }
    }
}
