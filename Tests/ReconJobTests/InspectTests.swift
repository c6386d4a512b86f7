import Foundation
import Testing
import ReconCore
@testable import renewal_recon

@Suite struct InspectTests {
    func inspect(_ workspace: TestWorkspace, _ names: [String]) throws -> (rejected: [String], lines: [[String: Any]]) {
        let output = workspace.url("inspect.jsonl")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let config = try workspace.config()
        let rejected = Inspector(options: config.readOptions, csvProfiles: config.csvProfiles)
            .inspect(names.map { workspace.url($0) }, to: handle)
        try handle.close()
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        return (rejected, lines)
    }

    @Test func recordsComeFirstThenOneLinePerFile() throws {
        let workspace = try TestWorkspace()
        try workspace.write(IngestionJobTests.camt("054", [("TX-1", "RN-1", 5980), ("TX-2", "RN-2", 6980)]), to: "a.xml")
        try workspace.write("<?xml version=\"1.0\"?><Document><broken>", to: "b.xml")
        let (rejected, lines) = try inspect(workspace, ["a.xml", "b.xml"])
        #expect(rejected.count == 1 && rejected[0].hasPrefix("b.xml: "), "\(rejected)")
        #expect(lines.map { $0["kind"] as? String } == ["record", "record", "file", "file"])
        #expect(lines[0]["transaction_id"] as? String == "TX-1")
        #expect(lines[0]["amount"] as? String == "5980")
        #expect(lines[0]["direction"] as? String == "credit")
        #expect(lines[0]["reversal"] as? Bool == false)
        #expect(lines[0]["booked_on"] as? String == "2026-11-12")
        #expect(lines[0]["value_on"] is NSNull)
        #expect(lines[0]["file"] as? String == "a.xml")
        #expect(lines[2]["status"] as? String == "parsed")
        #expect(lines[2]["format"] as? String == "camt.054")
        #expect(lines[2]["version"] as? String == "001.08")
        #expect(lines[2]["records"] as? Int == 2)
        #expect(lines[3]["status"] as? String == "rejected")
        #expect((lines[3]["error"] as? String)?.contains("not well-formed") == true)
    }

    /// A path that names no file, or a folder, is rejected with the system's reason.
    @Test func aMissingFileOrAFolderIsRejectedWithTheSystemsReason() throws {
        let workspace = try TestWorkspace()
        try FileManager.default.createDirectory(at: workspace.url("folder"), withIntermediateDirectories: true)
        let (rejected, _) = try inspect(workspace, ["missing.xml", "folder"])
        #expect(rejected == ["missing.xml: cannot read the file (No such file or directory)",
                             "folder: cannot read the file (Is a directory)"])
    }

    /// Records stream out as they are read: a file rejected after some were printed says how
    /// many in its `records`, as a parsed one does.
    @Test func aFileRejectedLateCountsTheRecordsItPrinted() throws {
        let workspace = try TestWorkspace()
        let transactions = (0..<2_500).map { (id: "TX-\($0)", ref: "RN-\($0)", amount: 5980) }
        let text = IngestionJobTests.camt("054", transactions)
        try workspace.write(String(text[..<text.range(of: "</Ntfctn>")!.lowerBound]) + "<broken", to: "late.xml")
        let (rejected, lines) = try inspect(workspace, ["late.xml"])
        #expect(rejected.count == 1)
        let records = lines.filter { $0["kind"] as? String == "record" }.count
        #expect(records > 0)
        #expect(lines.last?["status"] as? String == "rejected")
        #expect(lines.last?["records"] as? Int == records)
    }

    @Test func anInvalidRecordIsHeldNamingFileAndLineWhileTheRestGoesOn() async throws {
        let workspace = try TestWorkspace()
        let text = IngestionJobTests.camt("054", [("TX-1", "RN-1", 5980), ("TX-2", "RN-2", 6980)])
            .replacingOccurrences(of: ">6980<", with: ">6980.5<")
        try workspace.write(text, to: "inbox/a.xml")
        let outcome = try await workspace.job().run(date: BusinessDate(iso: "2026-11-20")!)
        #expect(outcome.filesIngested == 1)
        let report = try await workspace.store().exceptionReport(on: BusinessDate(iso: "2026-11-20")!)
        let invalid = try #require(report.first { $0.facts.code == .invalidRecord })
        #expect(invalid.facts.fileName == "a.xml")
        #expect(invalid.facts.transactionID == "TX-2")
        #expect(invalid.facts.line == 6)
        #expect(invalid.facts.detail == "amount '6980.5' has more decimals than JPY allows")
        #expect(report.contains { $0.facts.code == .unknownOrder && $0.facts.transactionID == "TX-1" })
    }
}
