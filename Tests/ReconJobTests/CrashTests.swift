import Foundation
import Logging
import Testing
import ReconCore
@testable import ReconStore
import ReconTestSupport
@testable import renewal_recon

/// SPEC §7 crash safety: a run killed with SIGKILL at any point, then run again, leaves the
/// same business state and output files as one uninterrupted run; and SPEC §6: one run at a time.
/// These tests start the built `renewal-recon` as a separate process.
@Suite(.serialized) struct CrashTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("renewal-recon")
    static let day = "2026-11-20"

    /// 2,000 settlements in four files for 1,600 orders: most match, some are late, unknown,
    /// short of money or sent twice.
    static func workload(_ workspace: TestWorkspace) throws {
        var orders = Shop.orderHeader
        var licenses = "serial,product,expires_on,auto_renew,email\n"
        for index in 0..<1_600 {
            let placed = "2026-11-\(String(format: "%02d", 14 + index % 5))"
            orders += Shop.orderRow("RN2026111-\(100_000 + index)", serial: "TM-\(index)", amount: 5980, placed: placed)
            licenses += Shop.licenseRow("TM-\(index)", expires: "2026-12-\(String(format: "%02d", 1 + index % 28))")
        }
        try workspace.write(orders, to: "orders.csv")
        try workspace.write(licenses, to: "licenses.csv")
        for file in 0..<4 {
            var entries = ""
            for item in 0..<500 {
                let index = file * 500 + item
                let order = index < 1_600 ? "RN2026111-\(100_000 + index)" : "RN2026111-\(900_000 + index)"
                let late = index % 37 == 0
                let booked = "2026-11-\(String(format: "%02d", late ? 27 : 19 + index % 2))"
                let amount = index % 53 == 0 ? 5900 : 5980
                entries += """
                    <Ntry><Amt Ccy="JPY">\(amount)</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>\(booked)</Dt></BookgDt>
                    <NtryDtls><TxDtls><Refs><AcctSvcrRef>TX-\(index)</AcctSvcrRef><EndToEndId>\(order)</EndToEndId></Refs>
                    <Amt Ccy="JPY">\(amount)</Amt><CdtDbtInd>CRDT</CdtDbtInd><RmtInf><Ustrd>RCH*TrendMicro \(order)</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>

                    """
            }
            try workspace.write("""
                <?xml version="1.0" encoding="UTF-8"?>
                <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn><Ntfctn>
                \(entries)</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>
                """, to: "inbox/settlement-\(file).xml")
        }
        try FileManager.default.copyItem(at: workspace.url("inbox/settlement-0.xml"), to: workspace.url("inbox/settlement-0-resent.xml"))
    }

    @discardableResult
    static func recon(_ workspace: TestWorkspace, _ arguments: [String], crashAt: String? = nil,
                      killAfter: Duration? = nil, signal: Int32 = SIGKILL,
                      environment extra: [String: String] = [:]) async throws -> (status: Int32, killed: Bool) {
        let process = Process()
        process.executableURL = binary
        process.currentDirectoryURL = workspace.root
        process.arguments = ["--config", workspace.configPath] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["RECON_CRASH_AT"] = crashAt
        // Small transactions, so the applies of a small day span several commits.
        environment["RECON_COMMIT_CHUNK"] = "500"
        process.environment = environment.merging(extra) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        if let killAfter {
            try await Task.sleep(for: killAfter)
            kill(process.processIdentifier, signal)
        }
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    static func prepared(_ kind: TestStore) async throws -> TestWorkspace {
        let workspace = try await TestWorkspace(store: kind, yaml: "min_file_age_s: 0\nmail:\n  eml: true\n")
        try workload(workspace)
        for step in [["init"], ["import", "orders", "orders.csv"], ["import", "licenses", "licenses.csv"]] {
            let status = try await recon(workspace, step).status
            if status != 0 { throw CrashTestSetupFailed(step: step.joined(separator: " "), status: status) }
        }
        return workspace
    }

    struct CrashTestSetupFailed: Error { let step: String; let status: Int32 }

    /// Outputs as the comparison sees them: the .eml `Date` is the stored apply instant, which
    /// a crash and a rerun may move (SPEC §5).
    static func comparable(_ workspace: TestWorkspace) throws -> [String: Data] {
        try workspace.outputs().mapValues { data in
            guard let text = String(data: data, encoding: .utf8), text.hasPrefix("From: ") else { return data }
            return Data(text.split(separator: "\r\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("Date: ") }.joined(separator: "\r\n").utf8)
        }
    }

    /// Checkpoints spread over ingestion, matching, applying, the sweep and the outputs, and
    /// kills from outside at moments inside transactions.
    static let crashes: [(point: String?, after: Duration?)] =
        (1...4).map { ("ingest.committed:\($0)", nil) } + [("evaluate.computed:1", nil)]
        + (1...4).map { ("apply.committed:\($0)", nil) }
        + [("sweep.committed:1", nil), ("outputs.mail:1", nil), ("outputs.report:1", nil)]
        + [50, 120, 200, 300, 420, 550, 700, 900, 1_150].map { (nil, .milliseconds($0)) }

    @Test(arguments: TestStore.available)
    func aKilledRunRerunGivesTheStateOfOneCleanRun(_ kind: TestStore) async throws {
        let reference = try await Self.prepared(kind)
        #expect(try await Self.recon(reference, ["run", "--date", Self.day]).status == 0)
        let state = try await BusinessState.dump(reference.store())
        let outputs = try Self.comparable(reference)
        #expect(try await reference.store().ledger().orders.values.filter { $0.status == .completed }.count > 1_000)
        #expect(Self.crashes.count >= 20)

        for crash in Self.crashes {
            let workspace = try await Self.prepared(kind)
            let killed = try await Self.recon(workspace, ["run", "--date", Self.day], crashAt: crash.point, killAfter: crash.after)
            if crash.point != nil { #expect(killed.killed, "\(crash.point ?? ""): the run was not killed there") }
            #expect(try await Self.recon(workspace, ["run", "--date", Self.day]).status == 0)
            let label = crash.point ?? "killed after \(crash.after ?? .zero)"
            #expect(try await BusinessState.dump(workspace.store()) == state, "\(kind) \(label): business state differs")
            let after = try Self.comparable(workspace)
            let differing = Set(after.keys).union(outputs.keys).filter { after[$0] != outputs[$0] }.sorted()
            #expect(differing.isEmpty, "\(kind) \(label): output files differ: \(differing.prefix(5))")
        }
    }

    /// The chain of `LifecycleTests.aLaterPassBeginsAfterTheWholePass`: TX-2's upgrade to
    /// TS-PRM waits for TX-3's renewal to TS-STD (the first pass), and TX-4, booked a day later,
    /// renews TS-STD as TS-STD before the second pass applies TX-2. One verdict a commit (with
    /// `oneByOne`): TX-2 held, TX-3 and TX-4 applied, then TX-2 applied. With
    /// `ordersAfterANight`, a night's run holds the three before their orders are imported.
    static func chainOfThree(_ kind: TestStore, ordersAfterANight: Bool = false) async throws -> Shop {
        let shop = try await Shop(store: kind, yaml: LifecycleTests.throughTSSTD)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try shop.deliver([.init(id: "TX-2", ref: "RN-B"), .init(id: "TX-3", ref: "RN-C"),
                          .init(id: "TX-4", ref: "RN-D", booked: "2026-11-13")], as: "a.xml")
        if ordersAfterANight { #expect(try await recon(shop.workspace, ["run", "--date", day]).status == 0) }
        try await shop.importOrders(Shop.orderRow("RN-B", serial: "TM-1", target: "TS-PRM")
                                    + Shop.orderRow("RN-C", serial: "TM-1", target: "TS-STD")
                                    + Shop.orderRow("RN-D", serial: "TM-1", target: "TS-STD"))
        return shop
    }

    /// A chain of one step a pass, VBC → TS-STD → TS-PRM → TS-ULT: TX-4 (to TS-STD) applies
    /// in the first pass, TX-2 (to TS-PRM) and TX-3 (TS-PRM renewed) in the second, TX-1 (to
    /// TS-ULT) in the third. One verdict a commit: TX-1, TX-2 and TX-3 held and TX-4 applied,
    /// then TX-1 held and TX-2 and TX-3 applied, then TX-1 applied.
    static func chainOfFour(_ kind: TestStore) async throws -> Shop {
        let shop = try await Shop(store: kind, yaml: """
            min_file_age_s: 0
            renewals:
              VBC: [VBC, TS-STD]
              TS-STD: [TS-STD, TS-PRM]
              TS-PRM: [TS-PRM, TS-ULT]
              TS-ULT: [TS-ULT]
            """)
        try await shop.importLicenses(Shop.licenseRow("TM-1"))
        try await shop.importOrders(Shop.orderRow("RN-1", serial: "TM-1", target: "TS-ULT"),
                                    Shop.orderRow("RN-2", serial: "TM-1", target: "TS-PRM"),
                                    Shop.orderRow("RN-3", serial: "TM-1", target: "TS-PRM"),
                                    Shop.orderRow("RN-4", serial: "TM-1", target: "TS-STD"))
        try shop.deliver((1...4).map { .init(id: "TX-\($0)", ref: "RN-\($0)") }, as: "a.xml")
        return shop
    }

    static let oneByOne = ["RECON_COMMIT_CHUNK": "1"]

    /// Runs `prepared`'s day once, and again after each list of kills (each at its crash
    /// point, with one verdict a commit), and expects the pass the kills left unfinished to be
    /// `round`; `status` to tell the run that stopped and the date whose mails wait, until a
    /// run finishes; and the state and files of the run after the kills to be those of the one
    /// run.
    static func expectKilledRunsFinishAsOne(_ kind: TestStore, _ prepared: (TestStore) async throws -> Shop,
                                            product: String, crashes: [(points: [String], round: Int)]) async throws {
        let reference = try await prepared(kind)
        #expect(try await recon(reference.workspace, ["run", "--date", day]).status == 0)
        #expect(try await reference.license("TM-1")?.product == product)
        let state = try await BusinessState.dump(reference.store())
        let outputs = try comparable(reference.workspace)
        for (points, round) in crashes {
            let shop = try await prepared(kind)
            for point in points {
                #expect(try await recon(shop.workspace, ["run", "--date", day], crashAt: point,
                                        environment: oneByOne).killed, "\(kind) \(point)")
            }
            #expect(try await shop.store().unfinishedPass()?.round == round, "\(kind) \(points)")
            func status() async throws -> String {
                try await StatusReport(store: shop.store(), today: shop.today, config: shop.workspace.config()).text
            }
            let stopped = try await status()
            #expect(stopped.contains("unfinished run: run-") && stopped.contains("run it again for \(day)"), "\(stopped)")
            // The killed run's applies wait for their mails and feed lines.
            #expect(stopped.contains("mail and feed files still to write for: \(day) "), "\(stopped)")
            #expect(try await recon(shop.workspace, ["run", "--date", day]).status == 0)
            let finished = try await status()
            #expect(!finished.contains("unfinished run") && !finished.contains("still to write"), "\(finished)")
            #expect(try await shop.store().unfinishedPass() == nil)
            #expect(try await BusinessState.dump(shop.store()) == state, "\(kind) \(points): business state differs")
            #expect(try comparable(shop.workspace) == outputs, "\(kind) \(points): output files differ")
        }
    }

    /// SPEC §7 down a chain of applies: killed after the first pass held TX-2's upgrade and
    /// applied TX-3, and killed again as the run after it goes on, the runs after finish that
    /// pass (TX-4's renewal to TS-STD) before deciding TX-2 again, as one clean run does.
    /// Deciding TX-2 first would apply it on TX-3's license and hold TX-4 (TS-PRM may not
    /// become TS-STD).
    @Test(arguments: TestStore.available)
    func aRunKilledMidPassFinishesThatPassFirst(_ kind: TestStore) async throws {
        try await Self.expectKilledRunsFinishAsOne(kind, { try await Self.chainOfThree($0) }, product: "TS-PRM", crashes: [
            (["apply.committed:2"], 1), (["apply.committed:2", "apply.committed:1"], 1),
        ])
    }

    /// Down a chain of one step a pass: killed in the second pass after TX-2's apply, the run
    /// after finishes that pass (TX-3 renews TS-PRM) before deciding TX-1 again, which would
    /// otherwise take TS-ULT first and hold TX-3. Killed as the first pass ends, the run after
    /// finishes it with nothing left to decide, and the next pass still holds provisionally:
    /// were it to record its holds, TX-1's `invalid_upgrade_path` would be raised, and then
    /// resolved as the third pass applies it, where one clean run records no such exception.
    @Test(arguments: TestStore.available)
    func aRunKilledInALaterPassOrAsOneEndsFinishesAsOneRun(_ kind: TestStore) async throws {
        try await Self.expectKilledRunsFinishAsOne(kind, Self.chainOfFour, product: "TS-ULT", crashes: [
            (["apply.committed:6"], 2), (["apply.committed:4"], 1),
        ])
    }

    /// The next night's run finishes a pass the night before left unfinished, before its own:
    /// the license ends as the two nights run through would leave it (the killed night's
    /// applies are dated the next night).
    @Test(arguments: TestStore.available)
    func theNextNightFinishesThePassAKilledNightLeft(_ kind: TestStore) async throws {
        let reference = try await Self.chainOfThree(kind)
        #expect(try await Self.recon(reference.workspace, ["run", "--date", Self.day]).status == 0)
        #expect(try await Self.recon(reference.workspace, ["run", "--date", "2026-11-21"]).status == 0)
        let shop = try await Self.chainOfThree(kind)
        #expect(try await Self.recon(shop.workspace, ["run", "--date", Self.day], crashAt: "apply.committed:2",
                                     environment: Self.oneByOne).killed)
        #expect(try await Self.recon(shop.workspace, ["run", "--date", "2026-11-21"]).status == 0)
        #expect(try await shop.license("TM-1") == reference.license("TM-1"))
        let open = try await shop.store().exceptions(code: nil, status: "open").map(\.facts.code)
        #expect(open == [.repeatRenewal, .repeatRenewal], "\(open)")
        // Each order mailed once; what the killed night had not applied is dated the next night.
        func mailed(_ shop: Shop) async throws -> [[String]] {
            var mails: [[String]] = []
            for day in [Self.day, "2026-11-21"] {
                mails.append(try await shop.store().outbox(on: BusinessDate(iso: day)!).map(\.order.orderID).sorted())
            }
            return mails
        }
        let (nights, killedNights) = (try await mailed(reference), try await mailed(shop))
        #expect(nights == [["RN-B", "RN-C", "RN-D"], []], "\(nights)")
        #expect(killedNights.joined().sorted() == ["RN-B", "RN-C", "RN-D"] && !killedNights[1].isEmpty, "\(killedNights)")
    }

    /// SPEC §7 for `rerun`: killed after its verdicts were reached, or once they committed,
    /// and run again, it gives the state and files of one rerun. Down the chain of
    /// `aRunKilledMidPassFinishesThatPassFirst`, a rerun reaches its verdicts in two passes
    /// (TX-3 and TX-4 apply, then TX-2), so they commit as one: committed a part at a time,
    /// the rerun after a kill that left TX-3 applied decided the rest anew, applied TX-2's
    /// upgrade first, and held TX-4. Until it is run again, `status` names the rerun stopped.
    @Test(arguments: TestStore.available)
    func aKilledRerunRunAgainGivesTheStateOfOneRerun(_ kind: TestStore) async throws {
        func prepared() async throws -> Shop { try await Self.chainOfThree(kind, ordersAfterANight: true) }
        let rerun = ["rerun", "--from", "2026-11-12", "--to", "2026-11-13"]
        let reference = try await prepared()
        #expect(try await Self.recon(reference.workspace, rerun).status == 0)
        #expect(try await reference.license("TM-1")?.product == "TS-PRM")
        // All three applied; the second and third on the same serial warn of a repeat renewal.
        let open = try await reference.store().exceptions(code: nil, status: "open").map(\.facts.code)
        #expect(open == [.repeatRenewal, .repeatRenewal], "\(open)")
        let state = try await BusinessState.dump(reference.store())
        let outputs = try Self.comparable(reference.workspace)
        for point in ["evaluate.computed:1", "apply.committed:1"] {
            let shop = try await prepared()
            #expect(try await Self.recon(shop.workspace, rerun, crashAt: point, environment: Self.oneByOne).killed,
                    "\(kind) \(point)")
            func status() async throws -> String {
                try await StatusReport(store: shop.store(), today: shop.today, config: shop.workspace.config()).text
            }
            let stopped = try await status()
            #expect(stopped.contains("unfinished rerun: run-") && stopped.contains("of 2026-11-12 to 2026-11-13")
                    && stopped.contains("run `rerun --from 2026-11-12 --to 2026-11-13` again"), "\(stopped)")
            #expect(try await Self.recon(shop.workspace, rerun).status == 0)
            #expect(try await !status().contains("unfinished rerun"))
            #expect(try await BusinessState.dump(shop.store()) == state, "\(kind) \(point): business state differs")
            #expect(try Self.comparable(shop.workspace) == outputs, "\(kind) \(point): output files differ")
        }
    }

    /// SPEC §7 with an archive on another file system: a run killed after a file's copy reached
    /// the archive and before the original left the inbox, then run again, gives the state and
    /// outputs of one clean run; the original left behind is no duplicate arrival. A copy of a
    /// file sent again under its name still is one.
    @Test(.enabled(if: FileManager.default.isWritableFile(atPath: "/dev/shm"), "an archive on another file system needs /dev/shm"))
    func aMoveAcrossFileSystemsStoppedBeforeRemovingTheOriginalIsFinishedSilently() async throws {
        let shm = URL(fileURLWithPath: "/dev/shm")
        func prepared() async throws -> (TestWorkspace, URL) {
            let workspace = try await Self.prepared(.sqlite)
            let archive = shm.appendingPathComponent("recon-archive-\(UUID().uuidString)")
            let yaml = try String(contentsOf: workspace.url("recon.yaml"), encoding: .utf8)
            try workspace.write(yaml + "archive_dir: \(archive.path)\nquarantine_dir: quarantine\n", to: "recon.yaml")
            return (workspace, archive)
        }
        let (reference, referenceArchive) = try await prepared()
        let (workspace, archive) = try await prepared()
        defer { for folder in [referenceArchive, archive] { try? FileManager.default.removeItem(at: folder) } }
        #expect(try await Self.recon(reference, ["run", "--date", Self.day]).status == 0)
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day], crashAt: "archive.copied:3").killed)
        #expect(try FileManager.default.contentsOfDirectory(atPath: archive.path).contains { $0.hasSuffix(".moving") })
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day]).status == 0)
        #expect(try await BusinessState.dump(workspace.store()) == BusinessState.dump(reference.store()))
        #expect(try Self.comparable(workspace) == Self.comparable(reference))
        #expect(try FileManager.default.contentsOfDirectory(atPath: archive.path).sorted()
                == FileManager.default.contentsOfDirectory(atPath: referenceArchive.path).sorted())
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.url("inbox").path).isEmpty)
        // The same file sent again is a duplicate arrival, as in the clean run.
        let resent = try FileManager.default.contentsOfDirectory(atPath: archive.path).sorted().first { $0.hasSuffix(".xml") }!
        try FileManager.default.copyItem(at: archive.appendingPathComponent(resent), to: workspace.url("inbox/\(resent)"))
        #expect(try await Self.recon(workspace, ["run", "--date", "2026-11-21"]).status == 0)
        let data = try #require(try workspace.outputs()["reports/2026-11-21/summary.json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((summary["files"] as? [String: Any])?["skipped_duplicates"] as? Int == 1)
    }

    /// SPEC §3.1: a quarantined file has its reason beside it. A run killed between writing the
    /// reason and moving the file, then run again, quarantines it as one clean run does (exit
    /// 2, the same reason file): the file, still in the inbox, is refused again. (Moved first,
    /// a file killed there was quarantined without its reason for good.)
    @Test func aRunKilledWhileQuarantiningAFileLeavesItWithItsReason() async throws {
        func prepared() async throws -> TestWorkspace {
            let workspace = try await Self.prepared(.sqlite)
            let yaml = try String(contentsOf: workspace.url("recon.yaml"), encoding: .utf8)
            try workspace.write(yaml + "archive_dir: archive\nquarantine_dir: quarantine\n", to: "recon.yaml")
            try workspace.write("<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\"><Amt>59",
                                to: "inbox/cut.xml")
            return workspace
        }
        let reference = try await prepared()
        #expect(try await Self.recon(reference, ["run", "--date", Self.day]).status == 2)
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: reference.url("quarantine").path).sorted()
        #expect(quarantined == ["cut.xml", "cut.xml.reason.txt"])
        let workspace = try await prepared()
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day], crashAt: "quarantine.reasoned:1").killed)
        #expect(FileManager.default.fileExists(atPath: workspace.url("inbox/cut.xml").path))
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day]).status == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.url("quarantine").path).sorted() == quarantined)
        #expect(try Data(contentsOf: workspace.url("quarantine/cut.xml.reason.txt"))
                == Data(contentsOf: reference.url("quarantine/cut.xml.reason.txt")))
        #expect(try await BusinessState.dump(workspace.store()) == BusinessState.dump(reference.store()))
    }

    /// SPEC §6, §7: a run killed once it had quarantined a file (out of the inbox now), then run
    /// again, exits 2 and names the file, as one clean run does; the run after it exits 0.
    @Test(arguments: TestStore.available)
    func theRunAfterAKilledOneReportsWhatTheKilledOneQuarantined(_ kind: TestStore) async throws {
        let workspace = try await Self.prepared(kind)
        let yaml = try String(contentsOf: workspace.url("recon.yaml"), encoding: .utf8)
        try workspace.write(yaml + "archive_dir: archive\nquarantine_dir: quarantine\n", to: "recon.yaml")
        try workspace.write("<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\"><Amt>59",
                            to: "inbox/cut.xml")
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day], crashAt: "evaluate.computed:1").killed)
        #expect(FileManager.default.fileExists(atPath: workspace.url("quarantine/cut.xml").path))
        let run = { (day: String) in
            try TestProcess.run(Self.binary, ["--config", workspace.configPath, "run", "--date", day], in: workspace.root)
        }
        let again = try run(Self.day)
        #expect(again.status == 2, "\(kind): \(again.stderr)")
        #expect(again.stderr.contains("1 settlement file(s) quarantined, the rest is done: cut.xml: not well-formed XML: the file ends inside <Amt>"),
                "\(again.stderr)")
        #expect(again.stderr.contains("which did not finish"), "\(again.stderr)")
        #expect(again.stdout.contains("1 quarantined"), "\(again.stdout)")
        let next = try run("2026-11-21")
        #expect(next.status == 0, "\(kind): \(next.stderr)")
    }

    /// SPEC §3.1: a known file sent again is counted once, on the date it arrived. A run killed
    /// after counting it and before taking it out of the inbox leaves it there; the next run,
    /// the next night's, does not count it again (it counted it on that night too).
    @Test(arguments: TestStore.available)
    func aFileSentAgainIsCountedOnceThoughARunStoppedBeforeMovingIt(_ kind: TestStore) async throws {
        let workspace = try await Self.prepared(kind)
        let yaml = try String(contentsOf: workspace.url("recon.yaml"), encoding: .utf8)
        try workspace.write(yaml + "archive_dir: archive\nquarantine_dir: quarantine\n", to: "recon.yaml")
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day]).status == 0)
        let sent = try #require(try FileManager.default.contentsOfDirectory(atPath: workspace.url("archive").path).sorted().first)
        try FileManager.default.copyItem(at: workspace.url("archive/\(sent)"), to: workspace.url("inbox/\(sent)"))
        let (arrived, next) = ("2026-11-21", "2026-11-22")
        #expect(try await Self.recon(workspace, ["run", "--date", arrived], crashAt: "arrival.counted:1").killed)
        #expect(FileManager.default.fileExists(atPath: workspace.url("inbox/\(sent)").path))
        #expect(try await Self.recon(workspace, ["run", "--date", next]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.url("inbox").path).isEmpty)
        #expect(try await Self.recon(workspace, ["report", "--date", arrived]).status == 0)
        let skipped = try [arrived, next].map { day in
            let data = try #require(try workspace.outputs()["reports/\(day)/summary.json"])
            let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return (summary["files"] as? [String: Any])?["skipped_duplicates"] as? Int
        }
        #expect(skipped == [1, 0], "\(kind)")
    }

    /// A run killed once it had refused a file, before it moved the file out of the inbox,
    /// followed by the next night's run, counts the quarantine once, on its night, as one clean
    /// run does: the file left behind is the one refused, not a file sent again.
    @Test(arguments: TestStore.available)
    func aFileRefusedByARunStoppedBeforeMovingItIsQuarantinedOnce(_ kind: TestStore) async throws {
        let workspace = try await Self.prepared(kind)
        let yaml = try String(contentsOf: workspace.url("recon.yaml"), encoding: .utf8)
        try workspace.write(yaml + "archive_dir: archive\nquarantine_dir: quarantine\n", to: "recon.yaml")
        try workspace.write("<Document><unclosed>", to: "inbox/broken.xml")
        let next = "2026-11-21"
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day], crashAt: "ingest.committed:1").killed)
        #expect(FileManager.default.fileExists(atPath: workspace.url("inbox/broken.xml").path))
        let after = try TestProcess.run(Self.binary, ["--config", workspace.configPath, "run", "--date", next], in: workspace.root)
        #expect(after.status == 2 && after.stderr.contains("1 settlement file(s) quarantined, the rest is done: broken.xml"),
                "\(kind): \(after.stderr)")
        #expect(FileManager.default.fileExists(atPath: workspace.url("quarantine/broken.xml").path))
        #expect(try await Self.recon(workspace, ["report", "--date", Self.day]).status == 0)
        let quarantined = try [Self.day, next].map { day in
            let data = try #require(try workspace.outputs()["reports/\(day)/summary.json"])
            let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return (summary["files"] as? [String: Any])?["quarantined"] as? Int
        }
        #expect(quarantined == [1, 0], "\(kind)")
    }

    /// SPEC §6: the lock dies with its process. On PostgreSQL a job killed while its statement
    /// waits on a row the shop holds left its backend waiting, and holding the job's advisory
    /// lock, until the shop let go: the next run found the lock taken (exit 75). The backend
    /// now looks at its client while it waits, and ends with it.
    @Test(.enabled(if: TestStore.available.contains(.postgres), "PostgreSQL only"))
    func aRunKilledWhileItWaitsOnTheShopLeavesNoLockBehind() async throws {
        let workspace = try await Self.prepared(.postgres)
        guard case .postgres(let url) = try workspace.config().store else { Issue.record("not PostgreSQL"); return }
        let shop = try await PostgresDatabase.connect(url: url, password: nil, logger: Logger(label: "test"))
        let holding = shop.session()
        try await holding.execute("BEGIN", [])
        try await holding.execute("UPDATE orders SET status = status", [])
        let job = Process()
        job.executableURL = Self.binary
        job.arguments = ["--config", workspace.configPath, "run", "--date", Self.day]
        (job.standardOutput, job.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
        try job.run()
        // Killed once it waits on the shop's rows, not at a guess.
        let waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        var blocked = false
        for _ in 0..<240 where !blocked && job.isRunning {
            try await Task.sleep(for: .milliseconds(250))
            blocked = try await holding.query(waiting, []).first?.int(0) ?? 0 > 0
        }
        #expect(blocked, "the job never waited on the shop's rows")
        kill(job.processIdentifier, SIGKILL)
        job.waitUntilExit()
        let advisoryLocks = """
            SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """
        var held = Int64(1)
        for _ in 0..<40 where held > 0 {
            try await Task.sleep(for: .milliseconds(250))
            held = try await holding.query(advisoryLocks, []).first?.int(0) ?? -1
        }
        #expect(held == 0, "the killed job's lock is still held")
        try await holding.execute("ROLLBACK", [])
        await shop.close()
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day]).status == 0)
    }

    /// A dry run is rehearsed in one transaction: killed inside it, or run to its end, it
    /// leaves the store as it was, and the run after it does what one clean run does.
    @Test(arguments: TestStore.available)
    func aDryRunKilledOrFinishedLeavesTheStoreAsItWas(_ kind: TestStore) async throws {
        let reference = try await Self.prepared(kind)
        #expect(try await Self.recon(reference, ["run", "--date", Self.day]).status == 0)
        let workspace = try await Self.prepared(kind)
        let before = try await BusinessState.dump(workspace.store())
        let killed = try await Self.recon(workspace, ["run", "--date", Self.day, "--dry-run"], crashAt: "apply.committed:2")
        #expect(killed.killed)
        #expect(try await BusinessState.dump(workspace.store()) == before)
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day, "--dry-run"]).status == 0)
        #expect(try await BusinessState.dump(workspace.store()) == before)
        #expect(try workspace.outputs().isEmpty)
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day]).status == 0)
        #expect(try await BusinessState.dump(workspace.store()) == BusinessState.dump(reference.store()))
    }

    /// Every idempotency key of the mail or feed files, with repeats.
    static func keys(_ outputs: [String: Data], under folder: String) -> [String] {
        outputs.filter { $0.key.hasPrefix(folder) && $0.key.hasSuffix(".jsonl") }.values.flatMap { data in
            data.split(separator: 0x0A).compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])?["idempotency_key"] as? String
            }
        }.sorted()
    }

    @Test(arguments: TestStore.available)
    func aKilledRunFollowedByTheNextDaysRunLosesNothing(_ kind: TestStore) async throws {
        let reference = try await Self.prepared(kind)
        try await Self.recon(reference, ["run", "--date", Self.day])
        try await Self.recon(reference, ["run", "--date", "2026-11-21"])
        let expected = try await reference.store().ledger()
        let expectedOutputs = try Self.comparable(reference)
        for point in ["apply.committed:2", "outputs.mail:1"] {
            let workspace = try await Self.prepared(kind)
            #expect(try await Self.recon(workspace, ["run", "--date", Self.day], crashAt: point).killed)
            // The next night finishes the killed night's work, its applies dated that night.
            try await Self.recon(workspace, ["run", "--date", "2026-11-21"])
            let ledger = try await workspace.store().ledger()
            #expect(ledger.orders.filter { $0.value.status == .completed }.keys.sorted()
                    == expected.orders.filter { $0.value.status == .completed }.keys.sorted(), "\(kind) \(point)")
            #expect(ledger.licenses == expected.licenses, "\(kind) \(point): licenses differ")
            let outputs = try Self.comparable(workspace)
            for folder in ["mail/", "licenses/"] {
                let keys = Self.keys(outputs, under: folder)
                #expect(keys == Self.keys(expectedOutputs, under: folder), "\(kind) \(point): \(folder) lines lost or doubled")
                #expect(Set(keys).count == keys.count)
            }
        }
    }

    @Test func sigtermStopsBetweenTransactionsAndTheNextRunFinishes() async throws {
        let reference = try await Self.prepared(.sqlite)
        try await Self.recon(reference, ["run", "--date", Self.day])
        let state = try await BusinessState.dump(reference.store())
        let workspace = try await Self.prepared(.sqlite)
        let stopped = try await Self.recon(workspace, ["run", "--date", Self.day], killAfter: .milliseconds(150), signal: SIGTERM)
        #expect(stopped.status == 75 && !stopped.killed, "SIGTERM ends the run with 75, not by the signal")
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day]).status == 0)
        #expect(try await BusinessState.dump(workspace.store()) == state)
    }

    /// SIGTERM while the outputs are written stops the run there (exit 75), as between
    /// transactions; run again, it writes every file as one clean run does.
    @Test func sigtermStopsTheOutputsAndTheNextRunWritesThem() async throws {
        let reference = try await Self.prepared(.sqlite)
        try await Self.recon(reference, ["run", "--date", Self.day])
        let workspace = try await Self.prepared(.sqlite)
        let stopped = try await Self.recon(workspace, ["run", "--date", Self.day], crashAt: "outputs.mail:1:TERM")
        #expect(stopped.status == 75 && !stopped.killed, "\(stopped)")
        #expect(try workspace.outputs()["reports/\(Self.day)/summary.json"] == nil, "stopped before the reports")
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day]).status == 0)
        #expect(try await BusinessState.dump(workspace.store()) == BusinessState.dump(reference.store()))
        #expect(try Self.comparable(workspace).filter { !$0.key.hasSuffix("summary.json") }
                == Self.comparable(reference).filter { !$0.key.hasSuffix("summary.json") })
    }

    /// Commands other than run and rerun end at a signal, as by default: an import stopped
    /// midway leaves nothing of its file (its transaction rolls back).
    @Test func sigtermEndsAnImportAndLeavesNothingOfIt() async throws {
        let workspace = try await Self.prepared(.sqlite)
        let rows = (0..<200_000).map { Shop.orderRow("RN-\(500_000 + $0)", serial: "TM-\($0 % 1_600)") }
        try workspace.write(Shop.orderHeader + rows.joined(), to: "big.csv")
        let stopped = try await Self.recon(workspace, ["import", "orders", "big.csv"], killAfter: .milliseconds(500), signal: SIGTERM)
        // Ended by the signal: killed by it, or (where the signal is held by the thread that
        // caught it) exited with the shell's status for it, 128 + 15.
        #expect(stopped.killed || stopped.status == 128 + SIGTERM, "\(stopped)")
        #expect(try await workspace.store(.existing).orders(ids: ["RN-500000"]).isEmpty)
    }

    /// A night stopped after its first file was stored, decided by the next night's run: the
    /// first night's summary counts that file's settlements as held at its end (still to be
    /// decided), not as foreign, nor as matched.
    @Test func aNightStoppedBeforeDecidingCountsItsSettlementsHeld() async throws {
        let workspace = try await Self.prepared(.sqlite)
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day], crashAt: "ingest.committed:1").killed)
        #expect(try await Self.recon(workspace, ["run", "--date", "2026-11-21"]).status == 0)
        // The next night wrote the stopped night's reports, as `report --date` writes them.
        let written = try workspace.outputs().filter { $0.key.hasPrefix("reports/\(Self.day)/") }
        #expect(written.keys.sorted() == ["exceptions.csv", "report.html", "summary.json"].map { "reports/\(Self.day)/\($0)" })
        #expect(try await Self.recon(workspace, ["report", "--date", Self.day]).status == 0)
        #expect(try workspace.outputs().filter { $0.key.hasPrefix("reports/\(Self.day)/") } == written)
        // Once a run has finished after it, the stopped night is no longer written (its summary
        // keeps the `run` object of `report`).
        let reported = try Data(contentsOf: workspace.url("out/reports/\(Self.day)/summary.json"))
        #expect(try await Self.recon(workspace, ["run", "--date", "2026-11-22"]).status == 0)
        #expect(try Data(contentsOf: workspace.url("out/reports/\(Self.day)/summary.json")) == reported)
        let data = try #require(try workspace.outputs()["reports/\(Self.day)/summary.json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let records = try #require(summary["records"] as? [String: Any])
        #expect(records["total"] as? Int == 500)
        #expect(records["foreign"] as? Int == 0 && records["matched"] as? Int == 0, "\(records)")
    }

    /// A night stopped in its outputs and run again the same date decided a settlement foreign;
    /// the next night's descriptors make it ours. The first night's summary counts it foreign,
    /// as it was at its end, though the run that stored it never finished.
    @Test func aSettlementDecidedForeignByTheRunThatFinishedTheNightCountsForeign() async throws {
        let workspace = try await Self.prepared(.sqlite)
        try workspace.write("""
            <?xml version="1.0" encoding="UTF-8"?>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn><Ntfctn>
            <Ntry><Amt Ccy="JPY">5980</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-19</Dt></BookgDt>
            <NtryDtls><TxDtls><Refs><AcctSvcrRef>TX-F</AcctSvcrRef><EndToEndId>RN2026111-999999</EndToEndId></Refs>
            <Amt Ccy="JPY">5980</Amt><CdtDbtInd>CRDT</CdtDbtInd><RmtInf><Ustrd>NEWBRAND*SHOP</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
            </Ntfctn></BkToCstmrDbtCdtNtfctn></Document>
            """, to: "inbox/foreign.xml")
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day], crashAt: "outputs.mail:1").killed)
        #expect(try await Self.recon(workspace, ["run", "--date", Self.day]).status == 0)
        let widened = ["RECON_DESCRIPTORS": "RCH*TrendMicro,NEWBRAND*SHOP"]
        #expect(try await Self.recon(workspace, ["run", "--date", "2026-11-21"], environment: widened).status == 0)
        #expect(try await Self.recon(workspace, ["report", "--date", Self.day]).status == 0)
        let data = try #require(try workspace.outputs()["reports/\(Self.day)/summary.json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((summary["records"] as? [String: Any])?["foreign"] as? Int == 1, "\(summary["records"] ?? "")")
    }

    /// A run waiting for the lock stops at SIGTERM too (exit 75), rather than wait on.
    @Test func sigtermStopsARunWaitingForTheLock() async throws {
        let workspace = try await Self.prepared(.sqlite)
        let holder = try await workspace.store(.existing)
        #expect(try await holder.tryLock())
        let process = Process()
        process.executableURL = Self.binary
        process.currentDirectoryURL = workspace.root
        process.arguments = ["--config", workspace.configPath, "run", "--date", Self.day, "--wait", "60"]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Signalled once it says it waits, so the signal finds it waiting, not starting.
        var said = Data()
        while !String(decoding: said, as: UTF8.self).contains("waiting for the lock") {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            said += chunk
        }
        let started = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(String(decoding: said, as: UTF8.self).contains("waiting for the lock"))
        #expect(process.terminationStatus == 75 && process.terminationReason == .exit)
        #expect(ContinuousClock.now - started < .seconds(30), "it stopped at the signal, not after its 60 s")
        await holder.close()
    }

    @Test(arguments: TestStore.available)
    func twoRunsAtOnceOneWorksTheOtherExits75(_ kind: TestStore) async throws {
        let reference = try await Self.prepared(kind)
        try await Self.recon(reference, ["run", "--date", Self.day])
        let state = try await BusinessState.dump(reference.store())

        let workspace = try await Self.prepared(kind)
        async let first = Self.recon(workspace, ["run", "--date", Self.day])
        async let second = Self.recon(workspace, ["run", "--date", Self.day])
        let statuses = try await [first.status, second.status].sorted()
        #expect(statuses == [0, 75])

        let waiting = try await Self.prepared(kind)
        async let one = Self.recon(waiting, ["run", "--date", Self.day, "--wait"])
        async let other = Self.recon(waiting, ["run", "--date", Self.day, "--wait", "120"])
        #expect(try await [one.status, other.status] == [0, 0])
        #expect(try await BusinessState.dump(waiting.store()) == state)
    }
}
