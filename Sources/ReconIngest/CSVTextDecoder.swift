import Foundation

/// A CSV's bytes in its profile's encoding, turned into checked UTF-8 a chunk at a time, so a
/// large report is never held or decoded whole. A character split across two chunks waits
/// for the next one; an invalid byte stops the decoding at the start of its line.
///
/// Decoding bytes, not cells, is safe for cp932 as for UTF-8: no byte of a multi-byte
/// character is a line break or a quote, and the decoded text is split into cells as UTF-8,
/// where no such byte is a delimiter either (a cp932 second byte can be `|` or `\`).
struct CSVTextDecoder {
    /// The UTF-8 text of a chunk, up to the line that does not decode when `valid` is false.
    struct Decoded {
        var text: [UInt8]
        var valid: Bool
        /// When not valid: the characters of the failing line that decode before the byte that
        /// does not (counted from where the chunk took that line up).
        var charactersBeforeInvalid = 0
    }

    let encoding: CSVProfile.Encoding
    /// The start of a character the chunk ended in the middle of.
    private var held: [UInt8] = []
    /// Before the first byte of text: a UTF-8 byte order mark there is skipped.
    private var atStart = true

    init(encoding: CSVProfile.Encoding) { self.encoding = encoding }

    mutating func decode(_ chunk: [UInt8]) -> Decoded {
        var bytes = held + chunk
        if atStart, encoding == .utf8 {
            let mark = UTF8.byteOrderMark
            if bytes.count < mark.count, mark.starts(with: bytes) {
                held = bytes
                return Decoded(text: [], valid: true)
            }
            if bytes.starts(with: mark) { bytes.removeFirst(mark.count) }
        }
        atStart = false
        let whole = bytes.count - incompleteTail(of: bytes)
        held = Array(bytes[whole...])
        return decodeLines(bytes[..<whole])
    }

    /// The end of the file: a character left unfinished is invalid.
    func finish() -> Bool { held.isEmpty }

    /// The chunk whole when it decodes (the usual case); else its lines up to the first that
    /// does not, so that the caller can name that line.
    private func decodeLines(_ bytes: ArraySlice<UInt8>) -> Decoded {
        if let text = Self.decode(bytes, encoding) { return Decoded(text: text, valid: true) }
        var text: [UInt8] = []
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? bytes.endIndex
            guard let line = Self.decode(bytes[start..<end], encoding) else {
                return Decoded(text: text, valid: false, charactersBeforeInvalid: validCharacters(bytes[start..<end]))
            }
            text += line
            start = end
        }
        return Decoded(text: text, valid: false)
    }

    /// How many characters of `line` decode before its first invalid one: only for the line
    /// named in an error, so one character at a time is quick enough.
    private func validCharacters(_ line: ArraySlice<UInt8>) -> Int {
        var count = 0
        var index = line.startIndex
        while index < line.endIndex {
            let width = characterWidth(lead: line[index])
            guard index + width <= line.endIndex, Self.decode(line[index..<index + width], encoding) != nil else { break }
            count += 1
            index += width
        }
        return count
    }

    /// `bytes` as the text of `encoding`, nil when they are not.
    static func text(_ bytes: ArraySlice<UInt8>, _ encoding: CSVProfile.Encoding) -> String? {
        decode(bytes, encoding).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func decode(_ bytes: ArraySlice<UInt8>, _ encoding: CSVProfile.Encoding) -> [UInt8]? {
        switch encoding {
        case .utf8:
            return String(validating: bytes, as: UTF8.self) != nil ? Array(bytes) : nil
        case .cp932:
            if bytes.allSatisfy({ $0 < 0x80 }) { return Array(bytes) }
            return String(data: Data(bytes), encoding: .shiftJIS).map { Array($0.utf8) }
        }
    }

    /// How many bytes the character that `lead` starts takes in the encoding (its first byte
    /// says: UTF-8 by its high bits, cp932 by the ranges of its lead bytes).
    private func characterWidth(lead: UInt8) -> Int {
        switch encoding {
        case .utf8: lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        case .cp932: (0x81...0x9F).contains(lead) || (0xE0...0xFC).contains(lead) ? 2 : 1
        }
    }

    /// How many bytes at the end start a character that the next chunk finishes.
    private func incompleteTail(of bytes: [UInt8]) -> Int {
        switch encoding {
        case .utf8:
            // The last byte that starts a character, and how many bytes that character needs.
            guard let start = bytes.indices.reversed().prefix(4).first(where: { bytes[$0] & 0xC0 != 0x80 }) else { return 0 }
            let needs = characterWidth(lead: bytes[start])
            return bytes.count - start < needs ? bytes.count - start : 0
        case .cp932:
            // Walked from the chunk's start, which is always a character's: a lead byte takes two.
            var index = 0
            while index < bytes.count { index += characterWidth(lead: bytes[index]) }
            return index > bytes.count ? 1 : 0
        }
    }
}
