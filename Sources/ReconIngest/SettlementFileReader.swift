import Foundation
import ReconCore

/// A settlement file read whole: its format, records, and what was skipped.
public struct ParsedSettlementFile: Sendable {
    public var format: String
    public var version: String
    public var records: [SettlementRecord]
    public var skippedStatus: Int
    public var exceptions: [ExceptionFacts]
}

/// Detects a settlement file's format from its content and reads it (SPEC §3.1).
public struct SettlementFileReader: Sendable {
    public let options: ReadOptions
    static let chunkSize = 256 * 1024

    public init(options: ReadOptions) {
        self.options = options
    }

    /// Reads the file at `url`, handing each record to `emit` as soon as its entry closes.
    /// - Returns: the format, version, record count and skipped-status count.
    /// - Throws: `FileRejection` when the file is refused whole.
    public func read(_ url: URL, emit: @escaping (SettlementRecord) -> Void) throws(FileRejection) -> (format: String, version: String, records: Int, skipped: Int) {
        let size: Int
        do {
            size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        } catch {
            throw FileRejection(reason: "cannot read the file: \(error.localizedDescription)")
        }
        guard size <= options.maxFileBytes else {
            throw FileRejection(reason: "the file is \(size) bytes, larger than max_file_mb allows")
        }
        guard size > 0 else { throw FileRejection(reason: "the file is empty", line: 1, column: 1) }
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw FileRejection(reason: "cannot open the file")
        }
        defer { try? handle.close() }
        var chunks = FileChunks(handle: handle, size: SettlementFileReader.chunkSize)
        let camt = CamtReader(options: options, emit: emit)
        guard let first = chunks.next() else { throw FileRejection(reason: "the file is empty") }
        guard SettlementFileReader.looksLikeXML(first) else {
            throw FileRejection(reason: "unknown format: neither camt.053/054 XML nor a known CSV report", line: 1, column: 1)
        }
        try camt.read(PrependedChunks(first: first, rest: chunks))
        return (camt.kind ?? "camt", camt.version ?? "", camt.recordCount, camt.skippedStatus)
    }

    /// Reads the whole file into memory (for `run`, which stores a file's records in one transaction).
    public func readAll(_ url: URL) throws(FileRejection) -> ParsedSettlementFile {
        var records: [SettlementRecord] = []
        let summary = try read(url) { records.append($0) }
        return ParsedSettlementFile(format: summary.format, version: summary.version, records: records,
                                    skippedStatus: summary.skipped, exceptions: [])
    }

    /// XML starts, after an optional BOM and white space, with `<`.
    static func looksLikeXML(_ bytes: [UInt8]) -> Bool {
        var index = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index < bytes.count && bytes[index] == UInt8(ascii: "<")
    }
}

/// A file as a sequence of fixed-size chunks, read lazily.
struct FileChunks: Sequence, IteratorProtocol {
    let handle: FileHandle
    let size: Int

    mutating func next() -> [UInt8]? {
        guard let data = try? handle.read(upToCount: size), !data.isEmpty else { return nil }
        return [UInt8](data)
    }
}

struct PrependedChunks: Sequence, IteratorProtocol {
    var first: [UInt8]?
    var rest: FileChunks

    mutating func next() -> [UInt8]? {
        if let chunk = first {
            first = nil
            return chunk
        }
        return rest.next()
    }
}

import Crypto

extension SettlementFileReader {
    /// SHA-256 of the file's bytes as lower-case hex, read in chunks.
    public static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let data = try handle.read(upToCount: chunkSize), !data.isEmpty {
            hasher.update(data: data)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
