import Foundation
import Testing
import ReconCore
import ReconTestSupport
@testable import renewal_recon

/// SPEC §3.1 identity, duplicates and files, through the job and a real store.
@Suite struct IngestionJobTests {
    let day = BusinessDate(iso: "2026-11-20")!

    static func camt(_ kind: String, _ transactions: [(id: String, ref: String, amount: Int)]) -> String {
        let message = kind == "053" ? "BkToCstmrStmt" : "BkToCstmrDbtCdtNtfctn"
        let report = kind == "053" ? "Stmt" : "Ntfctn"
        let details = transactions.map { tx in
            "<TxDtls><Refs><AcctSvcrRef>\(tx.id)</AcctSvcrRef><EndToEndId>\(tx.ref)</EndToEndId></Refs>"
                + "<Amt Ccy=\"JPY\">\(tx.amount)</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
                + "<RmtInf><Ustrd>RCH*TrendMicro \(tx.ref)</Ustrd></RmtInf></TxDtls>"
        }.joined(separator: "\n")
        let total = transactions.reduce(0) { $0 + $1.amount }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.\(kind).001.08"><\(message)><\(report)>
            <Ntry><Amt Ccy="JPY">\(total)</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
            <BookgDt><Dt>2026-11-12</Dt></BookgDt><NtryDtls>
            \(details)
            </NtryDtls></Ntry></\(report)></\(message)></Document>
            """
    }

    func counts(_ workspace: TestWorkspace) async throws -> (records: Int, duplicates: Int) {
        let store = try await workspace.store()
        let report = try await store.exceptionReport(on: day)
        return (try await store.openCandidates().count, report.filter { $0.facts.code == .duplicateSettlement }.count)
    }

    @Test(arguments: TestStore.available)
    func aFileLeftInPlaceIsSkippedSilentlyAndACopyIsCountedOnce(_ kind: TestStore) async throws {
        let workspace = try await TestWorkspace(store: kind)
        let text = Self.camt("054", [("TX-1", "RN-1", 5980)])
        try workspace.write(text, to: "inbox/a.xml")
        #expect(try await workspace.job().run(date: day).filesIngested == 1)
        let again = try await workspace.job().run(date: day)
        #expect(again.filesIngested == 0)
        #expect(again.filesSkipped == 0)
        try workspace.write(text, to: "inbox/a-resent.xml")
        #expect(try await workspace.job().run(date: day).filesSkipped == 1)
        #expect(try await workspace.job().run(date: day.adding(days: 1)).filesSkipped == 0)
        #expect(try await counts(workspace).records == 1)
    }

    /// Transaction ids that differ only in how an accent is written are two ids, as the store
    /// keeps them: a correction of the decomposed one is a duplicate_settlement, a record of the
    /// composed one, after it in the batch, is not.
    @Test(arguments: TestStore.available)
    func transactionIDsAreComparedAsBytes(_ kind: TestStore) async throws {
        let workspace = try await TestWorkspace(store: kind)
        let decomposed = "TX-e\u{0301}", composed = "TX-\u{00E9}"
        try workspace.write(Self.camt("054", [(decomposed, "RN-1", 5980)]), to: "inbox/a.xml")
        _ = try await workspace.job().run(date: day)
        try workspace.write(Self.camt("054", [(decomposed, "RN-1", 7980), (composed, "RN-1", 6980)]), to: "inbox/b.xml")
        _ = try await workspace.job().run(date: day)
        let store = try await workspace.store()
        let duplicates = try await store.exceptionReport(on: day).filter { $0.facts.code == .duplicateSettlement }
        #expect(duplicates.map { $0.facts.transactionID.map { Array($0.utf8) } } == [Array(decomposed.utf8)])
        #expect(duplicates.first?.facts.amountMinor == 7980)
    }

    @Test(arguments: TestStore.available)
    func aBatchRepeatingOneIDKeepsEveryLineButAResentFileAddsNothing(_ kind: TestStore) async throws {
        let workspace = try await TestWorkspace(store: kind)
        try workspace.write(Self.camt("054", [("B-1", "RN-1", 5980), ("B-1", "RN-1", 5980), ("B-1", "RN-2", 6980)]), to: "inbox/a.xml")
        _ = try await workspace.job().run(date: day)
        #expect(try await counts(workspace).records == 3)
        // The same records in another file (another hash): every key is already stored.
        let resent = Self.camt("054", [("B-1", "RN-1", 5980), ("B-1", "RN-1", 5980), ("B-1", "RN-2", 6980)])
        try workspace.write(resent.replacingOccurrences(of: "<NtryDtls>", with: "<NtryDtls><!-- re-sent -->"), to: "inbox/b.xml")
        let outcome = try await workspace.job().run(date: day)
        #expect(outcome.filesIngested == 1)
        #expect(outcome.recordsAdded == 0)
        #expect(try await counts(workspace).records == 3)
    }

    @Test(arguments: TestStore.available)
    func aStatementRelistingANotificationAddsNothing(_ kind: TestStore) async throws {
        let workspace = try await TestWorkspace(store: kind)
        try workspace.write(Self.camt("054", [("TX-1", "RN-1", 5980)]), to: "inbox/notification.xml")
        try workspace.write(Self.camt("053", [("TX-1", "RN-1", 5980)]), to: "inbox/statement.xml")
        let outcome = try await workspace.job().run(date: day)
        #expect(outcome.filesIngested == 2)
        #expect(outcome.recordsAdded == 1)
    }

    @Test(arguments: TestStore.available)
    func aCorrectedRecordIsHeldAsADuplicateSettlement(_ kind: TestStore) async throws {
        let workspace = try await TestWorkspace(store: kind)
        try workspace.write(Self.camt("054", [("TX-1", "RN-1", 5980)]), to: "inbox/a.xml")
        _ = try await workspace.job().run(date: day)
        try workspace.write(Self.camt("054", [("TX-1", "RN-1", 6980)]), to: "inbox/b.xml")
        _ = try await workspace.job().run(date: day)
        #expect(try await counts(workspace) == (records: 1, duplicates: 1))
    }

    @Test(arguments: TestStore.available)
    func aRejectedFileIsTriedAgainOnEveryRunWhileItStays(_ kind: TestStore) async throws {
        let workspace = try await TestWorkspace(store: kind)
        try workspace.write("<Document><unclosed></Document>", to: "inbox/broken.xml")
        let first = try await workspace.job().run(date: day)
        #expect(first.filesRejected == 1)
        #expect(try await workspace.job().run(date: day.adding(days: 1)).filesRejected == 1)
        let report = try await workspace.store().exceptionReport(on: day.adding(days: 1))
        let rejected = try #require(report.first { $0.facts.code == .fileRejected })
        #expect(report.filter { $0.facts.code == .fileRejected }.count == 1)
        #expect(rejected.facts.line == 1)
        #expect(rejected.facts.column != nil)
        #expect(rejected.lastSeen == day.adding(days: 1))
    }

    @Test func withAnArchiveFilesLeaveTheInboxAndRejectedOnesCarryTheirReason() async throws {
        let workspace = try TestWorkspace(yaml: "min_file_age_s: 0\narchive_dir: archive\nquarantine_dir: quarantine\n")
        try workspace.write(Self.camt("054", [("TX-1", "RN-1", 5980)]), to: "inbox/good.xml")
        try workspace.write("not a settlement file", to: "inbox/bad.txt")
        try workspace.write("partial", to: "inbox/upload.part")
        try workspace.write("hidden", to: "inbox/.hidden")
        let outcome = try await workspace.job().run(date: day)
        #expect(outcome.filesIngested == 1)
        #expect(outcome.filesRejected == 1)
        let inbox = try FileManager.default.contentsOfDirectory(atPath: workspace.url("inbox").path).sorted()
        #expect(inbox == [".hidden", "upload.part"])
        #expect(FileManager.default.fileExists(atPath: workspace.url("archive/good.xml").path))
        let reason = try String(contentsOf: workspace.url("quarantine/bad.txt.reason.txt"), encoding: .utf8)
        #expect(reason.contains("reason: unknown format"))
        #expect(reason.contains("line: 1"))
    }

    /// The inbox's entries the job leaves where an operator would not expect it to are named for
    /// the log: a link (never followed), a file dated in the future (it waits until it is old
    /// enough). One still being written (young, `.part`) or a folder is passed over in silence.
    @Test func theInboxNamesWhatItPassesOver() throws {
        let workspace = try TestWorkspace(yaml: "min_file_age_s: 60\n")
        let inbox = workspace.url("inbox")
        let now = Date()
        for (name, age) in [("old.xml", -600.0), ("young.xml", -10), ("ahead.xml", 3_600), ("upload.part", -600)] {
            try workspace.write("x", to: "inbox/\(name)")
            try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(age)],
                                                  ofItemAtPath: inbox.appendingPathComponent(name).path)
        }
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("link.xml").path,
                                                   withDestinationPath: inbox.appendingPathComponent("old.xml").path)
        try FileManager.default.createDirectory(at: inbox.appendingPathComponent("folder"), withIntermediateDirectories: true)
        #expect(mkfifo(inbox.appendingPathComponent("pipe.xml").path, 0o600) == 0)
        let old = now.addingTimeInterval(-600)
        try Self.writeFile(named: Array("Abrechnung_M".utf8) + [0xE4] + Array("rz.xml".utf8), in: inbox, modified: old)
        try Self.writeFile(named: Array("M".utf8) + [0xE4, 0x01] + Array("\\rz.xml".utf8), in: inbox, modified: old)
        try Self.writeFile(named: Array("M".utf8) + [0xE4] + Array("rz.xml.part".utf8), in: inbox, modified: old)
        try Self.writeFile(named: Array("Young".utf8) + [0xE4] + Array(".xml".utf8), in: inbox)
        let (ready, passedOver, misnamed) = try InboxScanner.readyFiles(in: inbox, minimumAge: 60, now: now)
        #expect(ready.map(\.url.lastPathComponent) == ["old.xml"])
        #expect(passedOver.map(\.name) == ["ahead.xml", "link.xml", "pipe.xml"])
        #expect(passedOver.first?.why.hasSuffix(" s in the future: left in the inbox until it is 60 s old") == true,
                "\(passedOver)")
        #expect(passedOver.dropFirst().map(\.why) == ["not a regular file (a link): left in the inbox",
                                                      "not a regular file (a FIFO, socket or device): left in the inbox"])
        #expect(misnamed == ["Abrechnung_M\\xE4rz.xml", #"M\xE4\x01\\rz.xml"#], "a Latin-1 name, named with its bytes; one still uploading (.part, or young) left in silence")
    }

    /// A file whose name is raw bytes (not UTF-8), written with `open(2)`: Foundation would
    /// decode the name first.
    static func writeFile(named name: [UInt8], in folder: URL, contents: [UInt8] = Array("x".utf8), modified: Date? = nil) throws {
        let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let descriptor = path.withUnsafeBufferPointer { path in
            path.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o640) }
        }
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        #expect(contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == contents.count)
        if let modified {
            let time = timespec(tv_sec: Int(modified.timeIntervalSince1970), tv_nsec: 0)
            #expect([time, time].withUnsafeBufferPointer { futimens(descriptor, $0.baseAddress) } == 0)
        }
    }

    /// A settlement file whose name is not UTF-8 is named, left in the inbox and the night is
    /// exit 2: it used to be passed over in silence, every night, with exit 0.
    @Test func aFileWhoseNameIsNotUTF8IsNamedAndLeft() async throws {
        let workspace = try TestWorkspace(yaml: "min_file_age_s: 0\narchive_dir: archive\nquarantine_dir: quarantine\n")
        let name = Array("Abrechnung_M".utf8) + [0xE4] + Array("rz.xml".utf8)
        try Self.writeFile(named: name, in: workspace.url("inbox"))
        let job = try await workspace.job()
        let outcome = try await job.run(date: BusinessDate(iso: "2026-11-20")!)
        #expect(outcome.unreadable == ["Abrechnung_M\\xE4rz.xml: its name is not UTF-8: left in the inbox (rename it, and the next run reads it)"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.url("inbox").path).count == 1, "still there")
    }

    /// SPEC §3.1: a file committed but not moved (the run stopped in between) is moved silently
    /// by the next run, even where the processor reuses the name and the archive holds an
    /// earlier file under it; the same content sent again is a duplicate.
    @Test func aFileNotMovedBesideAnEarlierOneOfItsNameIsMovedSilently() async throws {
        let workspace = try TestWorkspace(yaml: "min_file_age_s: 0\narchive_dir: archive\nquarantine_dir: quarantine\n")
        let second = Self.camt("054", [("TX-2", "RN-2", 5980)])
        try workspace.write(Self.camt("054", [("TX-1", "RN-1", 5980)]), to: "inbox/settlement.xml")
        #expect(try await workspace.job().run(date: day).filesIngested == 1)
        try workspace.write(second, to: "inbox/settlement.xml")
        #expect(try await workspace.job().run(date: day.adding(days: 1)).filesIngested == 1)
        let archived = try FileManager.default.contentsOfDirectory(atPath: workspace.url("archive").path)
            .filter { $0.hasPrefix("settlement.xml.") }
        #expect(archived.count == 1)
        // As if the run had stopped after its commit, before the move.
        try FileManager.default.moveItem(at: workspace.url("archive/\(try #require(archived.first))"),
                                         to: workspace.url("inbox/settlement.xml"))
        let resumed = try await workspace.job().run(date: day.adding(days: 1))
        #expect(resumed.filesIngested == 0)
        #expect(resumed.filesSkipped == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.url("inbox").path).isEmpty)
        // Sent again: counted as a duplicate.
        try workspace.write(second, to: "inbox/settlement.xml")
        #expect(try await workspace.job().run(date: day.adding(days: 2)).filesSkipped == 1)
    }

    /// An archive on another file system (here the memory file system, where the machine has
    /// one): the file is copied under a passing name and renamed once whole.
    @Test(.enabled(if: FileManager.default.isWritableFile(atPath: "/dev/shm"), "an archive on another file system needs /dev/shm"))
    func aFileMovesToAnArchiveOnAnotherFileSystem() async throws {
        let shm = URL(fileURLWithPath: "/dev/shm")
        let archive = shm.appendingPathComponent("recon-archive-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: archive) }
        let workspace = try TestWorkspace(yaml: "min_file_age_s: 0\narchive_dir: \(archive.path)\nquarantine_dir: quarantine\n")
        try workspace.write(Self.camt("054", [("TX-1", "RN-1", 5980)]), to: "inbox/good.xml")
        #expect(try await workspace.job().run(date: day).filesIngested == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: archive.path) == ["good.xml"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.url("inbox").path).isEmpty)
    }

    @Test func aFileStillBeingUploadedWaitsForTheNextRun() async throws {
        let workspace = try TestWorkspace(yaml: "min_file_age_s: 3600\n")
        try workspace.write(Self.camt("054", [("TX-1", "RN-1", 5980)]), to: "inbox/fresh.xml")
        #expect(try await workspace.job().run(date: day).filesIngested == 0)
    }
}
