import Foundation
import Testing
import ReconCore
import ReconReports
@testable import renewal_recon

@Suite struct OutputWriterTests {
    /// A page of mails rendered in parts on several cores gives the lines of its mails, in the
    /// page's order, each as the renderer writes it alone.
    @Test(arguments: [1, 2, 3])
    func aPageRenderedInPartsKeepsItsOrder(cores: Int) async throws {
        let renderer = try CompletionMailRenderer(settings: MailTemplateTests.settings, templateDirectory: nil)
        let samples = MailTemplateTests.mails()
        let page = (0..<1_700).map { index in
            var mail = samples[index % samples.count]
            mail.order.orderID = "RN20261115-\(100_000 + index)"
            return mail
        }
        let parts = await ReconJob.rendered(page, by: renderer, cores: cores)
        #expect(parts.count == cores)
        let lines = String(decoding: Array(parts.joined()), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == page.count)
        let unlike = zip(lines, page).enumerated().first { _, pair in Array(pair.0.utf8) + [0x0A] != renderer.jsonLine(pair.1) }?.offset
        #expect(unlike == nil, "first line unlike its mail's: \(unlike.map(String.init) ?? "")")
    }

    /// A run writes the mail and feed files of a day at the same time: files streamed at once
    /// into folders that do not exist yet all land, with their modes, and nothing else is left.
    @Test func filesStreamedAtOnceIntoNewFoldersAllLand() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let writer = OutputWriter(root: root)
        let names = (0..<16).map { "day/\($0 % 2 == 0 ? "mail" : "licenses")/file-\($0).jsonl" }
        let written = try await withThrowingTaskGroup(of: URL.self) { group in
            for name in names {
                group.addTask {
                    try await writer.stream(to: name) { sink in
                        for line in 0..<100 { try sink.append(Array("\(name) \(line)\n".utf8)) }
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(written.map(\.lastPathComponent)) == Set(names.map { ($0 as NSString).lastPathComponent }))
        for name in names {
            let text = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
            #expect(text == (0..<100).map { "\(name) \($0)\n" }.joined())
        }
        for folder in ["day", "day/mail", "day/licenses"] {
            let mode = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(folder).path)[.posixPermissions]
            #expect(mode as? Int == 0o750, "\(folder)")
            let left = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            #expect(left.allSatisfy { !$0.hasSuffix(".tmp") }, "\(folder): \(left)")
        }
        let fileMode = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(names[0]).path)[.posixPermissions]
        #expect(fileMode as? Int == 0o640)
    }

    /// A killed run's temporaries are removed by the next writer into their folder, once: the
    /// folder is listed before the writer's first file there, not again for each (a night's
    /// `.eml` files, a file per mail, took time in the square of their number). A temporary
    /// that appears later is no killed run's, and is left.
    @Test func aFolderIsCleanedOfStaleTemporariesOnceBeforeItsFirstFile() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let eml = root.appendingPathComponent("mail/eml")
        try FileManager.default.createDirectory(at: eml, withIntermediateDirectories: true)
        for stale in [".RN-1.eml.4242.tmp", ".RN-9.eml.77.tmp"] {
            try Data("half".utf8).write(to: eml.appendingPathComponent(stale))
        }
        try Data("kept".utf8).write(to: eml.appendingPathComponent(".notes.tmp"))
        let writer = OutputWriter(root: root)
        try writer.write(Data("one".utf8), to: "mail/eml/RN-1.eml")
        try Data("another's".utf8).write(to: eml.appendingPathComponent(".RN-3.eml.4243.tmp"))
        try writer.write(Data("two".utf8), to: "mail/eml/RN-2.eml")
        #expect(try FileManager.default.contentsOfDirectory(atPath: eml.path).sorted()
                == [".RN-3.eml.4243.tmp", ".notes.tmp", "RN-1.eml", "RN-2.eml"])
        #expect(try OutputWriter(root: root).write(Data("three".utf8), to: "mail/eml/RN-3.eml").lastPathComponent == "RN-3.eml")
        #expect(try FileManager.default.contentsOfDirectory(atPath: eml.path).sorted() == [".notes.tmp", "RN-1.eml", "RN-2.eml", "RN-3.eml"])
    }

    /// A command killed while it wrote a past date's files (`report --date`) left a temporary
    /// there, a mail file's with addresses, which stayed until that date was written again.
    /// Every command that writes outputs now removes those of every date's folder first.
    @Test func theStaleTemporariesOfEveryDateAreRemoved() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let stale = ["mail/2026-11-01/.completion-mails.jsonl.4242.tmp", "reports/2026-11-02/.summary.json.77.tmp"]
        let kept = ["mail/2026-11-01/completion-mails.jsonl", "mail/notes/.draft.1.tmp"]
        for file in stale + kept {
            let url = root.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("x".utf8).write(to: url)
        }
        OutputWriter(root: root).removeStaleTemporaries()
        for file in stale { #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent(file).path), "\(file)") }
        for file in kept { #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(file).path), "\(file)") }
    }

    /// The feed's read starts over from the sink it was given when its second connection is
    /// lost mid-read: what the set-aside copy wrote, past a full buffer, is not in the file.
    @Test func aSinkSetAsideLeavesNothingInTheFile() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let line = Array(repeating: UInt8(ascii: "x"), count: 999) + [0x0A]
        let url = try await OutputWriter(root: root).stream(to: "feed.jsonl") { sink in
            try sink.append(Array("kept\n".utf8))
            var setAside = sink
            for _ in 0..<3_000 { try setAside.append { $0 += line } }
            var startedOver = sink
            try startedOver.append { $0 += Array("again\n".utf8) }
            sink = startedOver
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "kept\nagain\n")
    }
}
