import Foundation
import Testing
import ReconTestSupport

/// `scripts/bench`, the measuring tool of the performance figures, on a small day and with
/// the test build's binary: the generator makes the same day from the same seed, and the
/// report carries every figure it promises.
@Suite struct BenchScriptTests {
    let repository = TestWorkspace.repository

    /// Every file of `folder` (relative path to bytes).
    func contents(of folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let paths = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        for path in paths {
            let url = folder.appendingPathComponent(path)
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
                files[path] = try Data(contentsOf: url)
            }
        }
        return files
    }

    func generate(_ n: Int, seed: Int) throws -> [String: Data] {
        let folder = Scratch.path("bench-data")
        let result = try TestProcess.run(URL(fileURLWithPath: "/usr/bin/env"),
                                         ["python3", "scripts/bench-data.py", "\(n)", "\(seed)", folder.path], in: repository)
        #expect(result.status == 0, "\(result.stderr)")
        return try contents(of: folder)
    }

    @Test func theGeneratorMakesTheSameDayFromTheSameSeed() throws {
        let day = try generate(300, seed: 7)
        #expect(Set(day.keys).isSuperset(of: ["orders.csv", "licenses.csv", "inbox/settlement-001.xml"]))
        #expect(try generate(300, seed: 7) == day)
        #expect(try generate(300, seed: 8)["inbox/settlement-001.xml"] != day["inbox/settlement-001.xml"])
    }

    /// A license is renewed years after it was sold: the orders of a night name serials all
    /// over the range, not in the order of the order numbers (which would flatter the store).
    @Test func theOrdersOfANightRenewSerialsAllOverTheRange() throws {
        let orders = try #require(try generate(1000, seed: 7)["orders.csv"].map { String(decoding: $0, as: UTF8.self) })
        let serials = orders.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[1] }
        #expect(serials.count > 900)
        #expect(Set(serials).count == serials.count, "one order per license")
        let rising = zip(serials, serials.dropFirst()).filter { $0 < $1 }.count
        #expect(rising < serials.count * 3 / 4, "\(rising) of \(serials.count) orders follow the serial before")
        let spread = zip(serials, serials.dropFirst()).map { pair in
            abs((Int(pair.0.dropFirst(3)) ?? 0) - (Int(pair.1.dropFirst(3)) ?? 0))
        }
        #expect(spread.reduce(0, +) / spread.count > serials.count / 10, "neighbouring orders renew distant serials")
    }

    @Test func theBenchPrintsEveryFigureOfASmallDay() throws {
        let n = 400
        let result = try TestProcess.run(URL(fileURLWithPath: "/bin/bash"), ["scripts/bench", "\(n)", "--repeat", "1"],
                                         in: repository, environment: ["RECON_BENCH_BINARY": CrashTests.binary.path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Each measurement: wall s, MB/s (or "-"), records/s, peak RSS MB.
        for label in ["raw (libxml2 SAX2, no callbacks)", "inspect (job's parser)", "sqlite: init", "sqlite: import orders",
                      "sqlite: import licenses", "sqlite: run", "sqlite: whole (init+imports+run)",
                      "sqlite3: the run's writes in bulk"] {
            let line = try #require(lines.first { $0.hasPrefix(label) }, "no line for \(label)")
            let columns = line.dropFirst(label.count).split(separator: " ")
            #expect(columns.count == 4, "\(line)")
            #expect((Double(columns.first ?? "") ?? 0) > 0 && (Double(columns.last ?? "") ?? 0) > 0, "\(line)")
        }
        #expect(lines.contains { $0.hasPrefix("inspect/raw speed ratio: ") })
        // The store's floor wrote the run's rows (the bench checks them equal, or fails).
        #expect(lines.contains { $0.hasPrefix("sqlite run / store floor: ") })
        // Each phase's time and share of the run; match and apply are parts of evaluate.
        func share(_ phase: String) -> Double? {
            lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(phase + " ") && $0.hasSuffix("%") }
                .flatMap { Double($0.split(separator: " ").dropLast().last ?? "") }
        }
        for phase in ["match", "apply"] { #expect(share(phase) != nil, "no share of \(phase)") }
        let shares = ["ingest", "evaluate", "sweep", "outputs"].compactMap(share)
        #expect(shares.count == 4)
        #expect(abs(shares.reduce(0, +) - 100) <= 0.5, "the run's phases make up its whole: \(shares)")
        // About 95 % clean matches; the rest spread over the exception codes.
        let totals = try #require(lines.first { $0.contains("records.total") })
        #expect(totals.contains("records.total \(n) (N \(n))"))
        let matched = try #require(totals.firstMatch(of: /matched (\d+)/).flatMap { Int($0.output.1) })
        #expect(matched >= n * 85 / 100 && matched < n, "\(totals)")
        let exceptions = try #require(lines.first { $0.contains("exceptions:") })
        #expect(exceptions.split(separator: ",").count >= 5, "\(exceptions)")
        #expect(lines.contains { $0.hasPrefix("targets (N=1,000,000)") })
    }
}
