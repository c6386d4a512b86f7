import Foundation
import Testing
import ReconTestSupport
@testable import renewal_recon

@Suite struct StoreOpenerTests {
    /// A command's store is closed however the command ends: the next command, started as this
    /// one returns or fails, finds the lock free; a held lock still refuses it.
    @Test(arguments: TestStore.available)
    func aCommandLeavesTheLockFreeHoweverItEnds(_ kind: TestStore) async throws {
        let workspace = try await TestWorkspace(store: kind)
        let config = try workspace.config()
        try await StoreOpener.with(config, for: .migrate, lock: .some(nil)) { _ in }
        struct Failed: Error {}
        await #expect(throws: Failed.self) {
            try await StoreOpener.with(config, for: .existing, lock: .some(nil)) { _ in throw Failed() }
        }
        let holder = try await StoreOpener.open(config, for: .existing, lock: .some(nil))
        await #expect(throws: JobLock.Held.self) {
            try await StoreOpener.with(config, for: .existing, lock: .some(nil)) { _ in }
        }
        await holder.close()
        try await StoreOpener.with(config, for: .existing, lock: .some(nil)) { _ in }
    }
}
