import Foundation
import Testing
import ReconCore
@testable import ReconStore
@testable import renewal_recon
import ReconIngest

/// The job as cron sees it: exit statuses, one clear stderr line, logs without personal data.
@Suite struct OperationsTests {
    func recon(_ workspace: TestWorkspace, _ arguments: [String], environment: [String: String] = [:])
        throws -> TestProcess.Result {
        try TestProcess.run(CrashTests.binary, arguments, in: workspace.root, environment: environment)
    }

    /// A copy of samples/ with its store made and its exports imported, and the arguments that
    /// select its config and JSON logs.
    func importedSamples() async throws -> (TestWorkspace, [String]) {
        let workspace = try await TestWorkspace.samplesCopy()
        let config = ["--config", workspace.configPath, "--log-format", "json"]
        #expect(try recon(workspace, config + ["init"]).status == 0)
        #expect(try recon(workspace, config + ["import", "orders", "orders.csv"]).status == 0)
        #expect(try recon(workspace, config + ["import", "licenses", "licenses.csv"]).status == 0)
        return (workspace, config)
    }

    /// A settlement file the job may not open (another user's upload, mode 600) is left in the
    /// inbox and named, exit 2, and the night goes on without it: the run used to stop there
    /// with an internal error, before any evaluation or output.
    @Test(.enabled(if: getuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                   "as root, the job runs through setpriv without the capabilities that read every file"))
    func aFileTheJobMayNotReadIsLeftAndNamedWhileTheNightGoesOn() async throws {
        let (workspace, config) = try await importedSamples()
        let unreadable = workspace.url("inbox/unreadable.xml")
        try FileManager.default.copyItem(at: workspace.url("inbox/reach-settlement-20261113.xml"), to: unreadable)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: unreadable.path)
        let result = try reconHeldToModes(workspace, config + ["run", "--date", "2026-11-20"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("unreadable.xml: cannot read the file (Permission denied): left in the inbox for the next run"),
                "\(result.stderr)")
        #expect(result.stderr.contains("settlement file(s) quarantined (left in the inbox, tried again by each run: no archive_dir) "
                                       + "or could not be read, the rest is done"), "the samples' truncated file too: \(result.stderr)")
        #expect(result.stdout.contains("1 not readable (left in the inbox)"), "\(result.stdout)")
        #expect(FileManager.default.fileExists(atPath: unreadable.path))
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: workspace.url("out/reports/2026-11-20/summary.json"))) as? [String: Any])
        #expect((summary["licenses_extended"] as? Int ?? 0) > 0, "the night went on")
    }

    /// `exceptions list` prints a header and a line per exception, in the reports' order (code,
    /// order, transaction, id) with or without `--date`, filtered by status and code.
    @Test func exceptionsAreListedInTheReportsOrder() async throws {
        let (workspace, config) = try await importedSamples()
        #expect(try recon(workspace, config + ["run", "--date", "2026-11-20"]).status == 2)
        let all = try recon(workspace, config + ["exceptions", "list"])
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(lines.first == ["exception_id", "status", "severity", "code", "order_id", "transaction_id", "first_seen", "last_seen"])
        let rows = lines.dropFirst()
        #expect(rows.count > 10)
        let keys: [[String]] = rows.map { row in [row[3], row[4] == "-" ? "" : row[4], row[5] == "-" ? "" : row[5], row[0]] }
        let sorted = keys.sorted { a, b in a.lexicographicallyPrecedes(b) { x, y in Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8)) } }
        #expect(keys == sorted)
        let dated = try recon(workspace, config + ["exceptions", "list", "--date", "2026-11-20"])
        #expect(dated.stdout == all.stdout, "the date's report lists the same, in the same order")
        let code = try #require(rows.first?[3])
        let filtered = try recon(workspace, config + ["exceptions", "list", "--status", "open", "--code", code])
        let expected: [String] = rows.filter { $0[3] == code && $0[1] == "open" }.map { $0.joined(separator: "\t") }
        let listed: [String] = filtered.stdout.split(separator: "\n").dropFirst().map(String.init)
        #expect(!listed.isEmpty && listed == expected)
    }

    /// `exceptions show` prints one exception's facts and its history, with each support
    /// decision's note and who made it (kept in the history only, until this command), each on
    /// its line, and no e-mail address; an unknown id is a usage error.
    @Test func anExceptionIsShownWithItsHistoryAndTheNotesOfItsDecisions() async throws {
        let (workspace, config) = try await importedSamples()
        #expect(try recon(workspace, config + ["run", "--date", "2026-11-20"]).status == 2)
        let listed = try recon(workspace, config + ["exceptions", "list", "--status", "open"]).stdout
        let rows: [[String]] = listed.split(separator: "\n").dropFirst().map { line in
            line.split(separator: "\t").map(String.init)
        }
        let held = try #require(rows.first { $0[2] == "error" && $0[4] != "-" })
        let id = held[0]
        let dismissed = try recon(workspace, config + ["exceptions", "resolve", id, "--dismiss",
                                                       "--note", "refunded by the processor,\tticket 4711\nsee its mail", "--by", "sato"])
        #expect(dismissed.status == 0, "\(dismissed.stderr)")
        let shown = try recon(workspace, config + ["exceptions", "show", id])
        #expect(shown.status == 0, "\(shown.stderr)")
        let lines = shown.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("exception_id: \(id)") && lines.contains("code: \(held[3])")
                && lines.contains("order_id: \(held[4])") && lines.contains("status: dismissed"), "\(shown.stdout)")
        let history = try #require(lines.firstIndex(of: "history:")).advanced(by: 1)
        let entries: [[String]] = lines[history...].map { line in
            line.trimmingCharacters(in: .whitespaces).split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(entries.first?[3] == "opened", "\(shown.stdout)")
        #expect(entries.last.map { Array($0[2...]) } == ["sato", "dismissed", "dismissed", #"refunded by the processor,\tticket 4711\nsee its mail"#],
                "\(shown.stdout)")
        #expect(!shown.stdout.contains("@"), "no e-mail address: \(shown.stdout)")
        let unknown = try recon(workspace, config + ["exceptions", "show", "EX-nothing"])
        #expect(unknown.status == 64 && unknown.stderr.contains("no exception EX-nothing"), "\(unknown.stderr)")
    }

    /// A support decision killed after it was stored and before its files: retried, it is
    /// refused as done, and writes today's mail and reports then, where the mail used to wait
    /// for the night's run (and a dismissal's report, too).
    @Test func aSupportDecisionStoppedBeforeItsFilesWritesThemWhenRetried() async throws {
        let (workspace, config) = try await importedSamples()
        #expect(try recon(workspace, config + ["run", "--date", "2026-11-20"]).status == 2)
        func firstOpen(_ code: String) throws -> String? {
            try recon(workspace, config + ["exceptions", "list", "--code", code, "--status", "open"]).stdout
                .split(separator: "\n").dropFirst().first?.split(separator: "\t").first.map(String.init)
        }
        let today = try workspace.config().today()
        let report = workspace.url("out/reports/\(today)/exceptions.csv")
        let dismissed = try #require(try firstOpen("late_settlement"))
        let dismiss = config + ["exceptions", "resolve", dismissed, "--dismiss", "--note", "refunded", "--by", "sato"]
        #expect(try recon(workspace, dismiss, environment: ["RECON_CRASH_AT": "decision.recorded:1"]).status != 0)
        #expect(!FileManager.default.fileExists(atPath: report.path), "stopped before its files")
        let dismissedAgain = try recon(workspace, dismiss)
        #expect(dismissedAgain.status == 64 && dismissedAgain.stderr.contains(
            "\(dismissed) is already dismissed (by a command stopped before its files, which are written now)"), "\(dismissedAgain.stderr)")
        #expect(try String(contentsOf: report, encoding: .utf8).contains("\(dismissed),late_settlement,dismissed,"))

        let applied = try #require(try firstOpen("amount_mismatch"))
        let apply = config + ["exceptions", "resolve", applied, "--apply", "--note", "price agreed", "--by", "sato"]
        #expect(try recon(workspace, apply, environment: ["RECON_CRASH_AT": "decision.recorded:1"]).status != 0)
        let mails = workspace.url("out/mail/\(today)/completion-mails.jsonl")
        #expect((try? String(contentsOf: mails, encoding: .utf8))?.contains("RN20261116-0001") != true, "stopped before its files")
        let appliedAgain = try recon(workspace, apply)
        #expect(appliedAgain.status == 64 && appliedAgain.stderr.contains(
            "\(applied) is already resolved (by a command stopped before its files, which are written now)"), "\(appliedAgain.stderr)")
        #expect(try String(contentsOf: mails, encoding: .utf8).contains("RN20261116-0001"))
        // Its run is finished now: the next refusal writes nothing.
        let written = try Data(contentsOf: workspace.url("out/reports/\(today)/summary.json"))
        let refused = try recon(workspace, apply)
        #expect(refused.status == 64 && refused.stderr.contains("refused: \(applied) is already resolved\n"), "\(refused.stderr)")
        #expect(try Data(contentsOf: workspace.url("out/reports/\(today)/summary.json")) == written)
    }

    /// Each value `exceptions show` prints stays on its line, whatever it holds; an expected
    /// amount in another currency than the settlement's names it (exceptions.csv's amounts are
    /// bare decimals, under the settlement's one currency).
    @Test func aShownExceptionKeepsEachValueOnItsLineAndNamesEachCurrency() throws {
        #expect(Console.oneLine("a\tb\nc\\d\u{1B}[31m\u{2028}é\u{85}") == #"a\tb\nc\\d\u{1b}[31m\u{2028}é\u{85}"#)
        var facts = ExceptionFacts(code: .currencyMismatch, subject: "TX-1", orderID: "RN-1", amountMinor: 3980,
                                   expectedAmountMinor: 5980, currency: "USD")
        facts.expectedCurrency = "JPY"
        let row = ExceptionRow(facts: facts, exceptionID: "EX-1", status: "open", firstSeen: BusinessDate(iso: "2026-11-20")!,
                               lastSeen: BusinessDate(iso: "2026-11-20")!, email: "a@example.com")
        let lines = ExceptionSheet(row: row, history: [], texts: [:]).text.split(separator: "\n").map(String.init)
        #expect(lines.contains("amount: 39.80") && lines.contains("expected_amount: 5980 JPY") && lines.contains("currency: USD"),
                "\(lines)")
        #expect(!lines.contains { $0.contains("@") })
    }

    /// The job run so that files' modes bind it: as root, through `setpriv`, without the
    /// capabilities that let root read and write any file.
    func reconHeldToModes(_ workspace: TestWorkspace, _ arguments: [String], environment: [String: String] = [:])
        throws -> TestProcess.Result {
        guard getuid() == 0 else { return try recon(workspace, arguments, environment: environment) }
        let capabilities = "-dac_override,-dac_read_search"
        return try TestProcess.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                   ["--bounding-set=\(capabilities)", "--inh-caps=\(capabilities)", CrashTests.binary.path] + arguments,
                                   in: workspace.root, environment: environment)
    }

    /// A run that moves its files (`archive_dir`) out of an inbox it may read but not write
    /// (an upload folder of another user) is refused before the store changes: it used to
    /// commit each file, fail to move it, and stop there every night.
    @Test(.enabled(if: getuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                   "as root, the job runs through setpriv without the capabilities that write every file"))
    func anInboxTheJobMayNotWriteIsRefusedBeforeTheStoreChanges() async throws {
        let (workspace, config) = try await importedSamples()
        let inbox = workspace.url("inbox")
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: inbox.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: inbox.path) }
        let result = try reconHeldToModes(workspace, config + ["run", "--date", "2026-11-20"], environment: ["RECON_ARCHIVE_DIR": "archive"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("inbox_dir \(inbox.path) cannot be written (Permission denied); nothing was changed"),
                "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.url("out").path))
    }

    /// A file that cannot be written mid-run (here a folder stands where the mails file goes;
    /// a full disk would do the same) ends the run with one line naming it and the system's
    /// reason, after what the store committed; once it can be written, the run again finishes.
    @Test func aFileThatCannotBeWrittenMidRunIsNamed() async throws {
        let (workspace, config) = try await importedSamples()
        let mails = workspace.url("out/mail/2026-11-20/completion-mails.jsonl")
        try FileManager.default.createDirectory(at: mails, withIntermediateDirectories: true)
        let failed = try recon(workspace, config + ["run", "--date", "2026-11-20"])
        #expect(failed.status == 70, "\(failed.stderr)")
        let line = try #require(failed.stderr.split(separator: "\n").last)
        #expect(line.contains("cannot use \(mails.path) (Is a directory); what the store committed stands"), "\(line)")
        try FileManager.default.removeItem(at: mails)
        #expect(try recon(workspace, config + ["run", "--date", "2026-11-20"]).status == 2, "the samples' cut file")
        #expect(FileManager.default.fileExists(atPath: mails.path))
    }

    /// Another process holding the SQLite file's write lock (a backup, a `sqlite3` shell in a
    /// transaction) past the 5 s busy timeout is the store unavailable (exit 69), not an
    /// internal error (70); the run, run again once it lets go, goes through.
    @Test func aStoreLockedByAnotherProcessIsUnavailable() async throws {
        let (workspace, config) = try await importedSamples()
        let holder = try SQLiteDatabase(path: workspace.url("var/recon.sqlite").path, create: false)
        let session = holder.session()
        try await session.execute("BEGIN IMMEDIATE")
        let locked = try recon(workspace, config + ["run", "--date", "2026-11-20"])
        try await session.execute("ROLLBACK")
        await holder.close()
        #expect(locked.status == 69, "\(locked.stderr)")
        #expect(locked.stderr.contains("store unavailable: another process held the SQLite store locked for 5 s"), "\(locked.stderr)")
        #expect(try recon(workspace, config + ["run", "--date", "2026-11-20"]).status == 2, "the samples' truncated file")
    }

    @Test func aSamplesRunLogsJSONWithoutPersonalData() async throws {
        let (workspace, config) = try await importedSamples()
        let run = try recon(workspace, config + ["run", "--date", "2026-11-20"])
        #expect(run.status == 2, "the samples hold a truncated file on purpose")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count > 5)
        for line in lines.dropLast() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["level"] != nil && object["message"] != nil)
            for key in object.keys where !["time", "level", "message"].contains(key) {
                #expect(key.contains("."), "metadata key \(key) is not dotted")
            }
        }
        #expect(lines.last?.hasPrefix("renewal-recon: ") == true, "the exit-2 summary line")
        let addresses = try String(contentsOf: workspace.url("orders.csv"), encoding: .utf8)
            .split(whereSeparator: { $0 == "," || $0 == "\n" }).filter { $0.contains("@") }
        #expect(addresses.count > 20)
        for address in addresses { #expect(!run.stderr.contains(address), "\(address) in the logs") }
        #expect(!run.stderr.contains("@example.com"))
        #expect(!run.stderr.contains("\r"), "no progress line off a terminal")
    }

    /// A file replaced in the inbox while the job reads it (an upload renamed over it, here
    /// while the job is stopped) is left for the next run, which reads the new content. Its
    /// hash and records used to come from two opens: the store kept the new content's records
    /// under the old content's hash, the old content sent again counted as a duplicate, and
    /// the archive got the new file unread. Stopped after the hash, nothing of the file is
    /// stored; stopped after the commit, the old content is, and the new one is not archived.
    @Test(arguments: [("ingest.hashed", false), ("ingest.committed", false), ("ingest.hashed", true)])
    func aFileReplacedWhileItIsReadIsLeftForTheNextRun(_ point: String, inPlace: Bool) async throws {
        let (workspace, config) = try await importedSamplesWithArchive()
        let name = "adyen-settlement-details-20261120.csv" // the first file read
        let inboxFile = workspace.url("inbox/\(name)")
        let old = try Data(contentsOf: inboxFile)
        // In place: the same size, and the modification time set back, as `cp -p` or `rsync -t` do.
        let new = inPlace ? Data(String(decoding: old, as: UTF8.self).replacing("WithReachJP", with: "WithReachJQ", maxReplacements: 1).utf8)
            : old + Data("\n".utf8)

        let process = try await stoppedRun(workspace, config, at: point)
        if inPlace {
            var status = stat()
            #expect(stat(inboxFile.path, &status) == 0)
            let handle = try FileHandle(forUpdating: inboxFile)
            try handle.write(contentsOf: new)
            try handle.close()
            let times = [status.st_atim, status.st_mtim]
            #expect(times.withUnsafeBufferPointer { utimensat(AT_FDCWD, inboxFile.path, $0.baseAddress, 0) } == 0)
        } else {
            // The sender's upload: written beside, renamed over.
            try new.write(to: workspace.url("inbox/.upload"))
            #expect(rename(workspace.url("inbox/.upload").path, inboxFile.path) == 0)
        }
        kill(process.processIdentifier, SIGCONT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2, "the samples' truncated file")

        let oldHash = try SettlementFileReader.sha256(of: workspace.url("old.csv").writing(old))
        let newHash = try SettlementFileReader.sha256(of: inboxFile)
        #expect(try Data(contentsOf: inboxFile) == new, "the new content is left in the inbox")
        #expect(!FileManager.default.fileExists(atPath: workspace.url("archive/\(name)").path), "and not archived unread")
        let store = try await workspace.store()
        #expect((try await store.settlementFile(sha256: oldHash) != nil) == (point == "ingest.committed"))
        #expect(try await store.settlementFile(sha256: newHash) == nil)

        #expect(try recon(workspace, config + ["run", "--date", "2026-11-20"]).status == 0, "the truncated file was quarantined by the first run")
        #expect(try await store.settlementFile(sha256: newHash)?.status == .ingested)
        #expect(try Data(contentsOf: workspace.url("archive/\(name)")) == new)
    }

    /// A file name holding a line break writes no line of its own into the text log or the
    /// exit-2 line: it used to forge a well-formed event ("run finished files.ingested=99").
    @Test func aFileNameCannotForgeALogLine() async throws {
        let (workspace, _) = try await importedSamples()
        let forged = "forge.xml\n2026-11-20T21:30:00Z info run finished files.ingested=99"
        try workspace.write("<Document>broken", to: "inbox/\(forged)")
        let plan = try recon(workspace, ["--config", workspace.configPath, "run", "--dry-run", "--date", "2026-11-20"])
        #expect(plan.stdout.contains(#"would quarantine forge.xml\n2026-11-20T21:30:00Z info run finished"#), "\(plan.stdout)")
        #expect(!plan.stdout.split(separator: "\n").contains { $0.hasPrefix("2026-11-20T21:30:00Z") }, "\(plan.stdout)")
        let run = try recon(workspace, ["--config", workspace.configPath, "--log-format", "text", "run", "--date", "2026-11-20"])
        #expect(run.status == 2, "\(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.contains { $0.contains(#"forge.xml\n2026-11-20T21:30:00Z info run finished"#) }, "\(run.stderr)")
        #expect(!lines.contains { $0.hasPrefix("2026-11-20T21:30:00Z") }, "\(run.stderr)")
        #expect(lines.last?.hasPrefix("renewal-recon: ") == true && lines.last?.contains(#"forge.xml\n"#) == true)
    }

    /// A text log line's value that is not one plain word is quoted, as logfmt writes it: a
    /// file named with a space and an `=` used to add a field of its own to the line.
    @Test func aTextLogValueIsQuotedWhereItIsNotOneWord() async throws {
        #expect(Console.logValue("camt054-1.xml") == "camt054-1.xml")
        #expect(Console.logValue("") == #""""#)
        #expect(Console.logValue(#"a "b"\c"#) == #""a \"b\"\\c""#)
        #expect(Console.logValue("x\ny=1") == #""x\ny=1""#)
        let (workspace, _) = try await importedSamples()
        let name = "a.xml files.ingested=99"
        try workspace.write("<Document>broken", to: "inbox/\(name)")
        let run = try recon(workspace, ["--config", workspace.configPath, "--log-format", "text", "run", "--date", "2026-11-20"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(#"settlement.file="a.xml files.ingested=99""#), "\(run.stderr)")
        #expect(!run.stderr.contains(" files.ingested=99 "), "\(run.stderr)")
    }

    /// The samples imported, with an archive and a quarantine folder; the command line's config.
    func importedSamplesWithArchive() async throws -> (TestWorkspace, [String]) {
        let workspace = try await TestWorkspace.samplesCopy()
        let yaml = try String(contentsOf: workspace.url("recon.yaml"), encoding: .utf8)
        try workspace.write(yaml + "archive_dir: archive\nquarantine_dir: quarantine\n", to: "recon.yaml")
        let config = ["--config", workspace.configPath]
        for step in [["init"], ["import", "orders", "orders.csv"], ["import", "licenses", "licenses.csv"]] {
            #expect(try recon(workspace, config + step).status == 0)
        }
        return (workspace, config)
    }

    /// `run --date 2026-11-20`, stopped (SIGSTOP) the first time it reaches `point`.
    func stoppedRun(_ workspace: TestWorkspace, _ config: [String], at point: String) async throws -> Process {
        let process = Process()
        process.executableURL = CrashTests.binary
        process.currentDirectoryURL = workspace.root
        process.arguments = config + ["run", "--date", "2026-11-20"]
        process.environment = ProcessInfo.processInfo.environment.merging(["RECON_CRASH_AT": "\(point):1:STOP"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let processState = "/proc/\(process.processIdentifier)/stat"
        for _ in 0..<1000 where (try? String(contentsOfFile: processState, encoding: .utf8))?.split(separator: " ")[2] != "T" {
            try await Task.sleep(for: .milliseconds(10))
        }
        return process
    }

    /// The other two ends of a file's reading: a copy of a file already ingested, and a file
    /// refused, each replaced after it was hashed. The copy used to go to the archive as a
    /// duplicate, and the refused file to the quarantine, with the new content unread.
    @Test(arguments: ["known", "refused"])
    func aKnownOrRefusedFileReplacedAfterItsHashIsLeftForTheNextRun(_ kind: String) async throws {
        let (workspace, config) = try await importedSamplesWithArchive()
        let sample = try Data(contentsOf: workspace.url("inbox/adyen-settlement-details-20261120.csv"))
        if kind == "known" {
            _ = try recon(workspace, config + ["run", "--date", "2026-11-20"])
            try workspace.write(String(decoding: sample, as: UTF8.self), to: "inbox/resent.csv")
        } else {
            for file in try FileManager.default.contentsOfDirectory(atPath: workspace.url("inbox").path) {
                try FileManager.default.removeItem(at: workspace.url("inbox/\(file)"))
            }
            try workspace.write("<Document>cut", to: "inbox/resent.csv")
        }
        let process = try await stoppedRun(workspace, config, at: "ingest.hashed")
        let new = kind == "known" ? sample + Data("\n".utf8) : Data("<Document>cut again".utf8)
        try new.write(to: workspace.url("inbox/.upload"))
        #expect(rename(workspace.url("inbox/.upload").path, workspace.url("inbox/resent.csv").path) == 0)
        kill(process.processIdentifier, SIGCONT)
        process.waitUntilExit()
        #expect(try Data(contentsOf: workspace.url("inbox/resent.csv")) == new, "the new content is left in the inbox")
        for folder in ["archive", "quarantine"] {
            #expect(!FileManager.default.fileExists(atPath: workspace.url("\(folder)/resent.csv").path), "not in \(folder)")
        }
    }

    /// A console that went away (a log reader that died leaves a closed pipe) does not stop the
    /// night: its lines are lost, not its work. SIGPIPE used to end the run half done, with exit
    /// 141 and not a word. python3 starts the job as a shell would, SIGPIPE at its default.
    @Test func aRunWhoseConsoleIsGoneFinishesTheNight() async throws {
        let (workspace, config) = try await importedSamples()
        let env = URL(fileURLWithPath: "/usr/bin/env")
        let closedPipe = """
            import os, signal, subprocess, sys
            read, write = os.pipe()
            os.close(read)
            job = subprocess.run(sys.argv[1:], stdout=write, stderr=write, restore_signals=True)
            print(job.returncode)
            """
        let result = try TestProcess.run(env, ["python3", "-c", closedPipe, CrashTests.binary.path] + config + ["run", "--date", "2026-11-20"],
                                         in: workspace.root)
        #expect(result.stdout == "2\n", "the samples' truncated file, and no other failure: \(result.stdout) \(result.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: workspace.url("out/reports/2026-11-20/summary.json"))) as? [String: Any])
        #expect((summary["licenses_extended"] as? Int ?? 0) > 0, "the night went on")
        #expect(try recon(workspace, config + ["status"]).stdout.contains("unfinished") == false)
    }

    /// On a terminal, a run shows its progress on stderr, each line written over the last, and
    /// a log line erases it first rather than run on from it (off a terminal no progress is
    /// written: the test above). script(1) gives the run a terminal and copies what it shows.
    @Test func aRunOnATerminalShowsItsProgress() async throws {
        let script = URL(fileURLWithPath: "/usr/bin/script")
        guard FileManager.default.isExecutableFile(atPath: script.path) else {
            print("note: /usr/bin/script is absent; the progress on a terminal is not tested")
            return
        }
        let (workspace, config) = try await importedSamples()
        let command = ([CrashTests.binary.path] + config + ["run", "--date", "2026-11-20"])
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let result = try TestProcess.run(script, ["-qec", command, "/dev/null"], in: workspace.root)
        #expect(result.status == 2, "the samples hold a truncated file on purpose: \(result.stderr)")
        let shown = result.stdout.components(separatedBy: Progress.eraseLine).dropFirst()
        #expect(shown.contains { $0.hasPrefix("ingest: files 1/") }, "\(result.stdout.suffix(500))")
        #expect(shown.contains { $0.hasPrefix("evaluate: round 1, booked on ") }, "\(result.stdout.suffix(500))")
        #expect(shown.contains { $0.hasPrefix("{\"") && $0.hasSuffix("}\r\n") }, "a log line of its own")
        let progress = shown.filter { $0.hasPrefix("ingest") || $0.hasPrefix("evaluate") }
        #expect(!progress.isEmpty && progress.allSatisfy { !$0.contains("{") }, "no log line runs on from a progress line")
    }

    /// A rerun logs under its run id, today's date and its range, and says when it was dry.
    @Test func aRerunLogsItsRangeAndWhetherItWasDry() async throws {
        let (workspace, config) = try await importedSamples()
        _ = try recon(workspace, config + ["run", "--date", "2026-11-20"])
        func finished(_ arguments: [String]) throws -> [String: Any] {
            let result = try recon(workspace, config + ["rerun", "--from", "2026-11-15", "--to", "2026-11-20"] + arguments)
            #expect(result.status == 0, "\(result.stderr)")
            let objects = try result.stderr.split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            return try #require(objects.last { ($0["message"] as? String)?.hasSuffix("rerun finished") == true })
        }
        let dry = try finished(["--dry-run"])
        #expect(dry["message"] as? String == "dry rerun finished")
        #expect(dry["run.dry"] as? String == "true")
        #expect(dry["run.range"] as? String == "2026-11-15..2026-11-20")
        #expect(dry["run.id"] is String && dry["licenses.extended"] is String)
        let real = try finished([])
        #expect(real["message"] as? String == "rerun finished")
        #expect(real["run.dry"] == nil)
        #expect(real["run.id"] as? String != dry["run.id"] as? String)
    }

    /// Run ids sort as the runs began, to the millisecond: `finished_at` keeps whole seconds,
    /// and `status` names the last completed run of two finished within one by its id.
    @Test func runIDsSortAsTheRunsBeganToTheMillisecond() {
        let begun = Date(timeIntervalSince1970: 1_795_210_200.042)
        let id = ReconJob.runID(begun)
        #expect(id.hasPrefix("run-20261120T213000042Z-"), "\(id)")
        #expect(ReconJob.runID(begun.addingTimeInterval(0.3)).hasPrefix("run-20261120T213000342Z-"))
        #expect(ReconJob.runID(begun.addingTimeInterval(0.3)) > id && ReconJob.runID(begun.addingTimeInterval(1)) > id)
        #expect(ReconJob.runID(Date(timeIntervalSince1970: 1_795_210_200.9996)).hasPrefix("run-20261120T213001000Z-"))
        #expect(Redaction.apply(id) == id)
    }

    @Test func redactionHidesAddressesAndCardNumbers() {
        #expect(Redaction.apply("first line: taro.yamada@example.com,4111 1111 1111 1111") == "first line: <e-mail>,<card>")
        #expect(Redaction.apply("RN20261110-0001 5980 JPY") == "RN20261110-0001 5980 JPY")
        // A card between the cells of a CSV row, next to a number.
        #expect(Redaction.apply("RN20261119-0003,4111111111111111,5980,JPY") == "RN20261119-0003,<card>,5980,JPY")
        #expect(Redaction.apply("q,4111-1111-1111-1111,5980") == "q,<card>,5980")
        // Beside an underscore, grouped by dots, two in a row; an order id's digits stay.
        #expect(Redaction.apply("pan_4111111111111111,4111.1111.1111.1111 4111111111111111")
                == "pan_<card>,<card> <card>")
        #expect(Redaction.apply("order RN20261115-0000001 (TM-0000001), 2026-11-20 10:42:13")
                == "order RN20261115-0000001 (TM-0000001), 2026-11-20 10:42:13")
        // Addresses an import accepts, in any script or with an address literal.
        #expect(Redaction.apply("years 'taro@例え.jp' is not 1-3") == "years '<e-mail>' is not 1-3")
        #expect(Redaction.apply("line 6: たろう@example.jp; line 7: o'brien@example.com, x@[192.0.2.1]")
                == "line 6: <e-mail>; line 7: <e-mail>, <e-mail>")
        #expect(Redaction.apply("\"taro\"@example.jp a@b.c x,http://a,taro@example.jp")
                == "\"<e-mail> <e-mail> x,http://a,<e-mail>")
        // A store's URL keeps its user and host; only a password goes.
        #expect(Redaction.apply("cannot reach postgres://recon@db.internal:5432/recon: refused")
                == "cannot reach postgres://recon@db.internal:5432/recon: refused")
        #expect(Redaction.apply("postgres://recon:s3cret@db.example.com/x") == "postgres://recon@db.example.com/x")
    }

    /// `--by` defaults to the login name: the terminal's, else `sudo`'s caller, else the
    /// environment's login name.
    @Test func aDecisionIsByTheLoginNameUnlessSaidOtherwise() {
        let sudo = ["SUDO_USER": "sato", "LOGNAME": "recon", "USER": "recon"]
        #expect(ExceptionsCommand.Resolve.loginName(terminal: "suzuki", environment: sudo) == "suzuki")
        #expect(ExceptionsCommand.Resolve.loginName(terminal: nil, environment: sudo) == "sato")
        #expect(ExceptionsCommand.Resolve.loginName(terminal: "", environment: ["LOGNAME": "tanaka", "USER": "recon"]) == "tanaka")
        #expect(ExceptionsCommand.Resolve.loginName(terminal: nil, environment: ["USER": "recon"]) == "recon")
    }

    @Test func everyFailureHasItsStatusAndOneClearLine() async throws {
        let workspace = try TestWorkspace(yaml: "min_file_age_s: 0\n")
        let config = ["--config", workspace.configPath]
        // A store that is not there yet: run init first.
        var result = try recon(workspace, config + ["status"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("run `renewal-recon init`"))
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(try recon(workspace, config + ["init"]).status == 0)
        // An inbox that is not there (a path named wrong) is no quiet night, and leaves no run behind.
        result = try recon(workspace, config + ["run", "--date", "2026-11-20"], environment: ["RECON_INBOX_DIR": "inbx"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("inbox_dir") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        // So is an out_dir the job cannot write into (a file stands in its way): found before
        // the store changes, where it used to end the night with exit 70 after its commits.
        try workspace.write("not a folder", to: "outfile")
        for command in [["run", "--date", "2026-11-20"], ["rerun", "--from", "2026-11-20", "--to", "2026-11-20"],
                        ["report", "--date", "2026-11-20"], ["exceptions", "resolve", "EX-1", "--dismiss", "--note", "x"]] {
            result = try recon(workspace, config + command, environment: ["RECON_OUT_DIR": "outfile/out"])
            #expect(result.status == 64, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("/outfile is not a folder; nothing was changed"), "\(command): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        // A link to nothing (a share not mounted) is no folder the job could make.
        try FileManager.default.createSymbolicLink(atPath: workspace.url("outlink").path, withDestinationPath: "/nonexistent/out")
        result = try recon(workspace, config + ["report", "--date", "2026-11-20"], environment: ["RECON_OUT_DIR": "outlink"])
        #expect(result.status == 64 && result.stderr.contains("outlink is a link to nothing; nothing was changed"), "\(result.stderr)")
        // Nor is a date's folder that is something else (made by another user, it may be no
        // folder the job may write either).
        try workspace.write("not a folder", to: "out/reports/2026-11-20")
        result = try recon(workspace, config + ["run", "--date", "2026-11-20"])
        #expect(result.status == 64 && result.stderr.contains("reports/2026-11-20 is not a folder; nothing was changed"), "\(result.stderr)")
        try FileManager.default.removeItem(at: workspace.url("out"))
        let runs = try await (workspace.store(.existing) as? SQLReconStore)?.database.read { db in
            try await db.query("SELECT COUNT(*) FROM runs", []).first?.int(0)
        }
        #expect(runs == 0)
        // A refused import.
        try workspace.write("serial,product,expires_on,auto_renew,email\nTM-1,VBC,2026-02-30,false,a@example.com\n", to: "bad.csv")
        result = try recon(workspace, config + ["import", "licenses", "bad.csv"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("line 2: expires_on"))
        #expect(!result.stderr.contains("a@example.com"))
        // Usage errors.
        result = try recon(workspace, config + ["rerun", "--from", "2026-11-20", "--to", "2026-11-01"])
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("reversed"), "\(result.stderr)")
        result = try recon(workspace, config + ["run", "--date", "2062-11-20"])
        #expect(result.status == 64 && result.stderr.contains("after today"), "\(result.stderr)")
        result = try recon(workspace, config + ["rerun", "--from", "2062-11-01", "--to", "2062-11-20"])
        #expect(result.status == 64 && result.stderr.contains("after today"), "\(result.stderr)")
        result = try recon(workspace, config + ["report", "--date", "2062-11-20"])
        #expect(result.status == 64 && result.stderr.contains("after today"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.url("out/reports/2062-11-20").path))
        result = try recon(workspace, config + ["run", "--date", "yesterday"])
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("yesterday"), "\(result.stderr)")
        #expect(try recon(workspace, ["--help"]).status == 0)
        result = try recon(workspace, config + ["exceptions", "resolve", "EX-1", "--dismiss", "--note", "x", "--by", " "])
        #expect(result.status == 64 && result.stderr.contains("--by"), "\(result.stderr)")
        // A command line without its command (a crontab line that lost `run`) is no success.
        for (arguments, commands) in [(config, "init, inspect, import, run, rerun, report, status, exceptions"),
                                      (config + ["import"], "orders, licenses"),
                                      (config + ["exceptions"], "list, show, resolve")] {
            result = try recon(workspace, arguments)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("one of \(commands)"), "\(result.stderr)")
        }
        // An unknown key names itself.
        try workspace.write("min_file_age_s: 0\nwindow_dayz: 5\n", to: "recon.yaml")
        result = try recon(workspace, config + ["status"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("'window_dayz'"))
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        // A file inspect rejects: exit 2, and the line says which file, why and where.
        try workspace.write("min_file_age_s: 0\n", to: "recon.yaml")
        try workspace.write("<?xml version=\"1.0\"?>\n<Document><broken>", to: "broken.xml")
        result = try recon(workspace, config + ["inspect", "broken.xml"])
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("1 settlement file(s) rejected: broken.xml: "), "\(result.stderr)")
        #expect(result.stderr.contains("line 2"), "\(result.stderr)")
        // A store whose folder cannot be made (a file stands in its way) is unavailable too.
        try workspace.write("not a folder", to: "blocker")
        try workspace.write("database_url: sqlite:blocker/var/recon.sqlite\n", to: "recon.yaml")
        result = try recon(workspace, config + ["init"])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("cannot create the store's folder"))
        // A password in the config is refused without being echoed: it belongs in the environment.
        try workspace.write("database_url: postgres://recon:secret@127.0.0.1:9/x\n", to: "recon.yaml")
        result = try recon(workspace, config + ["status"])
        #expect(result.status == 64 && result.stderr.contains("RECON_DATABASE_PASSWORD"), "\(result.stderr)")
        #expect(!result.stderr.contains("secret"))
        // A store that cannot be reached: within seconds, credentials redacted.
        try workspace.write("database_url: postgres://recon@127.0.0.1:9/x\n", to: "recon.yaml")
        let start = ContinuousClock.now
        result = try recon(workspace, config + ["status"], environment: ["RECON_DATABASE_PASSWORD": "hunter2"])
        #expect(result.status == 69)
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(!result.stderr.contains("hunter2"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("no connection: ") && result.stderr.contains("refused"), "what failed: \(result.stderr)")
        // A server that accepts the connection and then says nothing (a stalled pooler): 69
        // within seconds as well, not a hang.
        let silent = try SilentListener()
        try workspace.write("database_url: postgres://recon@127.0.0.1:\(silent.port)/x\n", to: "recon.yaml")
        let asked = ContinuousClock.now
        result = try withExtendedLifetime(silent) { try recon(workspace, config + ["status"]) }
        #expect(result.status == 69, "\(result.stderr)")
        #expect(ContinuousClock.now - asked < .seconds(30))
        #expect(result.stderr.contains("cannot reach the PostgreSQL store"), "\(result.stderr)")
    }

    /// A TCP port on loopback that takes connections (the kernel completes them) and never
    /// answers.
    final class SilentListener {
        let socketDescriptor: Int32
        let port: Int

        init() throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                    bind(descriptor, generic, length) == 0 && listen(descriptor, 8) == 0
                        && getsockname(descriptor, generic, &length) == 0
                }
            }
            guard bound else {
                close(descriptor)
                throw CocoaError(.fileWriteUnknown)
            }
            (socketDescriptor, port) = (descriptor, Int(UInt16(bigEndian: address.sin_port)))
        }

        deinit { close(socketDescriptor) }
    }
}

private extension URL {
    func writing(_ data: Data) throws -> URL {
        try data.write(to: self)
        return self
    }
}
