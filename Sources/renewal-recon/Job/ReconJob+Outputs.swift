import Foundation
import ReconCore
import ReconReports

/// SPEC §5: the mail and feed files, and the reports of each date.
extension ReconJob {
    /// The mail and feed files of `dates` and of any date with unwritten rows, and the reports
    /// (exceptions CSV, summary JSON, HTML page) of each of `dates`.
    func writeOutputs(for dates: [BusinessDate], run: SummaryJSON.RunInfo) async throws -> [URL] {
        let outputsStarted = ContinuousClock.now
        let writer = OutputWriter(root: config.outDirectory)
        writer.removeStaleTemporaries()
        let mails = try CompletionMailRenderer(
            settings: .init(from: config.mailFrom, statementDescriptors: config.statementDescriptors,
                            catalog: config.rules.catalog),
            templateDirectory: config.mailTemplateDirectory)
        var written: [URL] = []
        // SIGTERM stops them between files and pages, as it stops a run between transactions:
        // what is not written yet, the run started again writes (a night of `.eml` files takes minutes).
        for day in Set(try await store.datesWithUnwrittenOutputs()).union(dates).sorted() {
            try Interruption.check()
            // Streamed from the store to the files: a day may hold a million mails. The feed is
            // written while the mails are (and read on the store's second connection, if it has
            // one), and the next page of mails is read while one renders, so the store's reads
            // and the rendering share the cores.
            async let feedFile = writer.stream(to: "licenses/\(day)/license-extensions.jsonl") { [store] sink in
                sink = try await store.feed(on: day, into: sink) { sink, item in
                    try sink.append { LicenseFeed.appendLine(item, to: &$0) }
                }
            }
            written.append(try await writer.stream(to: "mail/\(day)/completion-mails.jsonl") { [store] sink in
                var next = Task { try await store.outbox(on: day, after: nil, limit: Self.outputPage) }
                defer { next.cancel() }
                while true {
                    let page = try await next.value
                    guard let last = page.last else { break }
                    try Interruption.check()
                    next = Task { try await store.outbox(on: day, after: last.order.orderID, limit: Self.outputPage) }
                    for lines in await Self.rendered(page, by: mails) { try sink.append(lines) }
                    if config.mailEML {
                        for mail in page {
                            try writer.write(mails.eml(mail, timeZone: config.timeZone), to: "mail/\(day)/eml/\(CompletionMailRenderer.token(mail.order.orderID)).eml")
                        }
                    }
                }
            })
            written.append(try await feedFile)
            CrashPoint.reach("outputs.mail")
            try await store.markOutputsWritten(on: day)
            Allocator.returnFreedMemory()
        }
        for day in Set(dates).sorted() {
            try Interruption.check()
            // The exception report, queued once, is read twice a page at a time: for the CSV and
            // the tallies the summary needs, then for the HTML page, whose table follows the summary.
            let queued = try await store.queueExceptionReport(on: day)
            // The day's facts stream its records on the store's second connection, if it has
            // one, while the exception report is read on the session.
            async let dayFacts = store.dayFacts(on: day, settlementTimeZone: config.settlementTimeZone)
            let csv = ExceptionsCSV(texts: config.exceptionTexts)
            var tally = ExceptionTally(date: day)
            let csvFile = try await writer.stream(to: "reports/\(day)/exceptions.csv") { sink in
                try sink.append(ExceptionsCSV.head)
                try await store.forEachExceptionReportPage(on: day, queued: queued) { page in
                    for entry in page {
                        tally.add(entry)
                        try sink.append(csv.line(entry.row))
                    }
                }
            }
            let facts = try await dayFacts
            let summary = DaySummary(facts: facts, exceptions: tally, windowDays: config.rules.windowDays)
            var finished = run
            finished.finished = now().formatted(.iso8601)
            finished.phasesMs["outputs"] = PhaseClock.milliseconds(ContinuousClock.now - outputsStarted)
            written.append(csvFile)
            CrashPoint.reach("outputs.report")
            written.append(try writer.write(try SummaryJSON.render(summary, run: finished), to: "reports/\(day)/summary.json"))
            let html = ReportHTML(texts: config.exceptionTexts)
            written.append(try await writer.stream(to: "reports/\(day)/report.html") { sink in
                try sink.append(html.head(summary, tableLines: tally.lines))
                var table = ReportHTML.ExceptionTable(texts: config.exceptionTexts)
                try await store.forEachExceptionReportPage(on: day, queued: queued) { page in
                    for entry in page { try sink.append(table.add(entry.row)) }
                }
                try sink.append(table.end())
            })
        }
        return written
    }

    /// The JSON lines of `page`, in order, rendered on `cores` cores: a buffer of lines per part.
    static func rendered(_ page: [OutboxMail], by mails: CompletionMailRenderer,
                         cores: Int = ProcessInfo.processInfo.activeProcessorCount) async -> [[UInt8]] {
        let parts = max(1, min(cores, page.count / 500))
        let size = (page.count + parts - 1) / parts
        return await withTaskGroup(of: (Int, [UInt8]).self) { group in
            for part in 0..<parts {
                let slice = page[min(part * size, page.count)..<min((part + 1) * size, page.count)]
                group.addTask {
                    // One buffer for the part's lines: a line apart grew, and was freed, a few times per mail.
                    var lines: [UInt8] = []
                    lines.reserveCapacity(slice.count * mailLineBytes)
                    for mail in slice { mails.appendJSONLine(mail, to: &lines) }
                    return (part, lines)
                }
            }
            var lines = [[UInt8]](repeating: [], count: parts)
            for await (part, rendered) in group { lines[part] = rendered }
            return lines
        }
    }

    /// About the size of a mail's JSON line (a reserve, not a limit).
    static let mailLineBytes = 1_536

    /// Mails read from the store at a time while writing.
    static let outputPage = 5_000
}
