import Crypto
import Foundation
import ReconCore

/// What reading one settlement file gave, besides its records.
public struct FileSummary: Sendable {
    public var format: String
    public var version: String
    public var records: Int
    /// Records of a status (camt) or type (CSV) that is not a settlement.
    public var skipped: Int
    public var mismatches: [BatchMismatch]
}

/// Detects a settlement file's format from its content and reads it (SPEC §3.1).
public struct SettlementFileReader: Sendable {
    public let options: ReadOptions
    /// User profiles first, then the built-in ones: the first whose columns the header holds wins.
    public let csvProfiles: [CSVProfile]
    static let chunkSize = 256 * 1024

    public init(options: ReadOptions, csvProfiles: [CSVProfile] = []) {
        self.options = options
        self.csvProfiles = csvProfiles + [.adyenSettlementDetails]
    }

    /// Reads the file at `url`, handing each record to `emit` as soon as it is complete
    /// (camt: when its entry closes, so memory stays bounded per entry).
    /// - Throws: `FileRejection` when the file is refused whole.
    public func read(_ url: URL, emit: (SettlementRecord) -> Void) throws(FileRejection) -> FileSummary {
        let size: Int
        do {
            size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        } catch {
            throw FileRejection(reason: "cannot read the file (\(error.systemReason))")
        }
        try checkSize(size)
        let chunks: FileChunks
        do {
            chunks = try FileChunks(url, size: Self.chunkSize)
        } catch {
            throw FileRejection(reason: "cannot open the file (\(error.systemReason))")
        }
        var iterator = chunks
        let summary: FileSummary
        do {
            summary = try read(&iterator, emit: emit)
        } catch {
            // A read that failed ends the chunks early: that, not the truncated content, is why.
            throw chunks.failure.map(Self.unreadable) ?? error
        }
        if let failure = chunks.failure { throw Self.unreadable(failure) }
        return summary
    }

    private static func unreadable(_ failure: FileChunks.Failure) -> FileRejection {
        FileRejection(reason: "cannot read the file (\(failure.reason))")
    }

    /// Reads a settlement file held in memory (the fuzz harness feeds it this way).
    public func read(bytes: [UInt8], emit: (SettlementRecord) -> Void) throws(FileRejection) -> FileSummary {
        try checkSize(bytes.count)
        var offset = 0
        var chunks = AnyIterator<[UInt8]> {
            guard offset < bytes.count else { return nil }
            defer { offset += Self.chunkSize }
            return Array(bytes[offset..<min(offset + Self.chunkSize, bytes.count)])
        }
        return try read(&chunks, emit: emit)
    }

    private func checkSize(_ size: Int) throws(FileRejection) {
        guard size <= options.maxFileBytes else {
            // Refused whole before a byte is read: the position is the file's start, as for
            // the other refusals of a whole file.
            throw FileRejection(reason: "the file is \(size) bytes, more than max_file_mb (\(options.maxFileBytes / 1_048_576)) allows",
                                line: 1, column: 1)
        }
        guard size > 0 else { throw FileRejection(reason: "the file is empty", line: 1, column: 1) }
    }

    /// Reads the chunks one at a time, as they are needed (internal for the streaming tests).
    func read(_ chunks: inout some IteratorProtocol<[UInt8]>, emit: (SettlementRecord) -> Void) throws(FileRejection) -> FileSummary {
        guard let first = chunks.next() else { throw FileRejection(reason: "the file is empty", line: 1, column: 1) }
        if Self.looksLikeXML(first) {
            let rest = chunks
            let camt = CamtReader()
            var builder = CamtRecordBuilder(options: options)
            try camt.read(PrependedChunks(first: first, rest: rest)) { events in
                for event in events { builder.take(event, emit: emit) }
            }
            return FileSummary(format: camt.kind ?? "camt", version: camt.version ?? "", records: builder.recordCount,
                               skipped: builder.skippedStatus, mismatches: builder.mismatches)
        }
        return try readCSV(first: first, rest: &chunks, emit: emit)
    }

    /// A CSV, a chunk at a time: the first line with text picks the profile (and with it the
    /// encoding), then each row becomes a record as soon as it is read.
    private func readCSV(first: [UInt8], rest chunks: inout some IteratorProtocol<[UInt8]>,
                         emit: (SettlementRecord) -> Void) throws(FileRejection) -> FileSummary {
        var head = first
        var headerLine = Self.firstTextLine(of: head)
        // No profile's header is a mebibyte long: a first line that is, is no header.
        while !headerLine.complete, head.count < 1 << 20, let chunk = chunks.next() {
            head += chunk
            headerLine = Self.firstTextLine(of: head)
        }
        let header = head[headerLine.range]
        // Binary content where a header should be; a NUL further on is refused at its line.
        if head[..<headerLine.range.upperBound].contains(0) {
            throw FileRejection(reason: "unknown format: binary content (a NUL byte)", line: 1, column: 1)
        }
        var sawText = false
        for profile in Self.candidates(csvProfiles, utf8: head.starts(with: UTF8.byteOrderMark) || Self.isUTF8WithThreeByteCharacters(head)) {
            guard let text = CSVTextDecoder.text(header, profile.encoding) else { continue }
            sawText = true
            guard Self.header(of: text, delimiter: profile.delimiter).map({ Set($0).isSuperset(of: profile.requiredColumns) }) == true else {
                continue
            }
            return try readCSV(through: profile, head: head, rest: &chunks, emit: emit)
        }
        guard sawText else {
            throw FileRejection(reason: "unknown format: not UTF-8 text, and no CSV profile reads its encoding", line: 1, column: 1)
        }
        let text = CSVTextDecoder.text(header, .utf8) ?? CSVTextDecoder.text(header, .cp932) ?? ""
        throw FileRejection(reason: "unknown format: neither camt.053/054 XML nor a CSV whose header matches a profile (first line: \(Self.quoted(firstLine: text)))",
                            line: 1, column: 1)
    }

    /// The profiles to try, in order. A file that is `utf8` (it begins with UTF-8's byte order
    /// mark, or its first chunk is UTF-8 of Japanese text) is read as UTF-8, whatever its profile
    /// says its source sends (a cp932 report saved again by a spreadsheet, or by a tool that
    /// writes no mark): the UTF-8 profiles first (one written for such saves keeps its place),
    /// then the others read as UTF-8, then as they are.
    static func candidates(_ profiles: [CSVProfile], utf8: Bool) -> [CSVProfile] {
        guard utf8 else { return profiles }
        let others = profiles.filter { $0.encoding != .utf8 }
        return profiles.filter { $0.encoding == .utf8 } + others.map { profile in
            var profile = profile
            profile.encoding = .utf8
            return profile
        } + others
    }

    /// Whether `bytes` (a file's first chunk) are valid UTF-8, up to a character the chunk may
    /// cut, holding a character of three bytes or more (as kana and kanji are in UTF-8). cp932
    /// text is hardly ever so: most of its two-byte characters begin with a byte UTF-8 uses
    /// only inside a character (0x81–0x9F) or end with an ASCII one, and its one-byte kana
    /// (0xA1–0xDF) pair at most into two-byte UTF-8 (`ﾏｲ` is 0xCF 0xB2).
    static func isUTF8WithThreeByteCharacters(_ bytes: [UInt8]) -> Bool {
        var end = bytes.count
        var continuation = 0
        while continuation < 3, end - continuation > 0, bytes[end - continuation - 1] & 0xC0 == 0x80 { continuation += 1 }
        if end - continuation > 0, bytes[end - continuation - 1] >= 0xC0 { end -= continuation + 1 }
        let text = bytes[..<end]
        guard text.contains(where: { $0 >= 0xE0 }) else { return false }
        return String(bytes: text, encoding: .utf8) != nil
    }

    /// The first line of a file of unknown format, for its rejection, which the store, the
    /// reports, the quarantine's reason file and the log keep: a header (column names, such as
    /// "Address Line 2") is quoted, to compare with the profiles; a line with an `@` or three
    /// digits in a row (an amount, a date, a card) is a headerless export's row, whose names,
    /// addresses and card numbers no redaction can be sure to find, so only its shape is told.
    public static func quoted(firstLine text: String) -> String {
        var digits = 0, longest = 0
        for character in text {
            let isDigit = character.unicodeScalars.count == 1 && character.unicodeScalars.first!.properties.numericType == .decimal
            digits = isDigit ? digits + 1 : 0
            longest = max(longest, digits)
        }
        guard longest >= 3 || text.contains("@") else { return String(text.prefix(120)) }
        let cells = CSVTable.delimiters.map { delimiter in text.split(separator: delimiter, omittingEmptySubsequences: false).count }.max() ?? 1
        return "a data row of \(cells) cell(s), not quoted: it holds figures or an @"
    }

    private func readCSV(through profile: CSVProfile, head: [UInt8], rest chunks: inout some IteratorProtocol<[UInt8]>,
                         emit: (SettlementRecord) -> Void) throws(FileRejection) -> FileSummary {
        var decoder = CSVTextDecoder(encoding: profile.encoding)
        var rows = CSVRowReader(delimiter: profile.delimiter.asciiValue ?? UInt8(ascii: ","))
        var reader = CSVSettlementReader(profile: profile, options: options,
                                         references: OrderReferenceFinder(pattern: options.orderIDPattern))
        let notText = "not \(profile.encoding == .utf8 ? "UTF-8" : "cp932") text, as the CSV profile \(profile.name) reads it"
        do throws(CSVError) {
            var next: [UInt8]? = head
            while let chunk = next {
                let decoded = decoder.decode(chunk)
                try rows.feed(decoded.text) { reader.take($0, emit: emit) }
                guard decoded.valid else {
                    throw CSVError(reason: notText, line: rows.line, column: rows.column + decoded.charactersBeforeInvalid + 1)
                }
                next = chunks.next()
            }
            guard decoder.finish() else { throw CSVError(reason: notText, line: rows.line, column: rows.column + 1) }
            try rows.finish { reader.take($0, emit: emit) }
        } catch {
            throw FileRejection(reason: "not well-formed CSV: \(error.reason)", line: error.line, column: error.column)
        }
        try reader.finish()
        return FileSummary(format: "csv", version: profile.name, records: reader.records, skipped: reader.skipped,
                           mismatches: [])
    }

    /// The first line with text in `bytes`, and whether its line break is there too (or the
    /// bytes end there); a UTF-8 byte order mark before it is left out. A line of white space
    /// and delimiters only (`CSVTable.blankLineBytes`) holds no text, whatever the delimiter:
    /// the CSV reader skips the same lines before its header.
    static func firstTextLine(of bytes: [UInt8]) -> (range: Range<Int>, complete: Bool) {
        var start = bytes.starts(with: UTF8.byteOrderMark) ? UTF8.byteOrderMark.count : 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex { $0 == 0x0A || $0 == 0x0D } ?? bytes.count
            if !bytes[start..<end].allSatisfy(CSVTable.blankLineBytes.contains) {
                return (start..<end, end < bytes.count)
            }
            start = end + 1
        }
        return (bytes.count..<bytes.count, false)
    }

    /// The cells of a header line.
    static func header(of line: String, delimiter: Character) -> [String]? {
        guard let table = try? CSVTable(text: line, delimiter: delimiter) else { return nil }
        return table.rows.first?.cells.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// XML starts, after an optional BOM and white space, with `<`.
    static func looksLikeXML(_ bytes: [UInt8]) -> Bool {
        // UTF-16 XML (its byte order mark, then `<`): libxml2 reads its encoding from the mark.
        if bytes.starts(with: [0xFE, 0xFF, 0x00, UInt8(ascii: "<")]) || bytes.starts(with: [0xFF, 0xFE, UInt8(ascii: "<"), 0x00]) {
            return true
        }
        var index = 0
        if bytes.starts(with: UTF8.byteOrderMark) { index = UTF8.byteOrderMark.count }
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index < bytes.count && bytes[index] == UInt8(ascii: "<")
    }

    /// SHA-256 of the file's bytes as lower-case hex, read in chunks.
    public static func sha256(of url: URL) throws -> String {
        let chunks = try FileChunks(url, size: chunkSize)
        var hasher = SHA256()
        while let chunk = try chunks.read() {
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

struct PrependedChunks<Rest: IteratorProtocol<[UInt8]>>: Sequence, IteratorProtocol {
    var first: [UInt8]?
    var rest: Rest

    mutating func next() -> [UInt8]? {
        if let chunk = first {
            first = nil
            return chunk
        }
        return rest.next()
    }
}
