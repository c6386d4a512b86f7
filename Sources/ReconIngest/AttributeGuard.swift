import Foundation

/// Refuses a start tag of very many attributes before libxml2 reads it: libxml2 2.9 checks each
/// attribute (or namespace declaration) against every one before it, so one element of 800,000
/// attributes (9 MB) held the parser 385 s, and a file of them the job's lock for hours. libxml2
/// has no limit of its own for this, so the chunks are scanned first. Each attribute holds an
/// `=`, and no `<` may stand inside a tag, so more than `limit` `=` between two `<` refuse the
/// file (a text, comment or CDATA section of as many `=` too); a camt element has a handful.
/// Only the rare `=` are visited (memchr), at a cost the bench cannot tell from its noise.
struct AttributeGuard {
    static let limit = 1_000
    /// Where a code unit's ASCII byte sits: UTF-16 (known by its byte order mark, or by a
    /// first `<?` of two-byte units) writes `<` as `3C 00` or `00 3C`, and `3C` stands in other
    /// characters too (`ļ` is `3C 01`); every other encoding the job reads
    /// (`unreadEncoding(of:)`) writes ASCII as one byte that no multi-byte character uses.
    private var utf16ASCIIPlace: Int?
    /// The bytes of the file before the chunk.
    private var offset = 0
    private var equalsSinceMarkup = 0

    /// nil where the chunk is admitted; else how many of its bytes to parse: those up to the `<`
    /// that opened the element (or text) of too many `=`, which give the parser's position (a
    /// start tag is not parsed before its `>`).
    mutating func refusal(in chunk: UnsafeBufferPointer<UInt8>) -> Int? {
        defer { offset += chunk.count }
        if offset == 0 { utf16ASCIIPlace = Self.utf16ASCIIPlace(of: chunk) }
        var position = 0
        while let equals = find("=", position..<chunk.count, in: chunk) {
            if find("<", position..<equals, in: chunk) != nil { equalsSinceMarkup = 0 }
            equalsSinceMarkup += 1
            if equalsSinceMarkup > Self.limit {
                let open = (0..<equals).reversed().first { isASCII("<", at: $0, in: chunk) }
                return open.map { $0 + (utf16ASCIIPlace == nil ? 1 : 2 - utf16ASCIIPlace!) } ?? 0
            }
            position = equals + 1
        }
        // A tag opened after the chunk's last `=` begins the count again.
        if find("<", position..<chunk.count, in: chunk) != nil { equalsSinceMarkup = 0 }
        return nil
    }

    /// Where UTF-16 writes an ASCII byte in its units (little-endian 0, big-endian 1), as told by
    /// the byte order mark or a first `<?`; nil for any other encoding.
    private static func utf16ASCIIPlace(of start: UnsafeBufferPointer<UInt8>) -> Int? {
        if start.starts(with: [0xFF, 0xFE]) || start.starts(with: [0x3C, 0x00, 0x3F, 0x00]) { return 0 }
        if start.starts(with: [0xFE, 0xFF]) || start.starts(with: [0x00, 0x3C, 0x00, 0x3F]) { return 1 }
        return nil
    }

    /// Why the file's first chunk names an encoding the job does not read, or nil. libxml2
    /// reads many more (through iconv), but in some of them `<` or `=` is no single byte of its
    /// own (UTF-7 writes `=` as `+AD0-`; ISO-2022-JP's kanji hold `3C`), which the count above
    /// could not see; no settlement file is written in them.
    func unreadEncoding(of chunk: [UInt8]) -> String? {
        guard offset == 0 else { return nil }
        if chunk.starts(with: [0x00, 0x00, 0x00, 0x3C]) || chunk.starts(with: [0x3C, 0x00, 0x00, 0x00])
            || chunk.starts(with: [0x00, 0x00, 0xFE, 0xFF]) || chunk.starts(with: [0xFF, 0xFE, 0x00, 0x00]) {
            return "the file is in UCS-4, which the job does not read"
        }
        // The declaration, in an encoding that writes ASCII as single bytes.
        guard chunk.withUnsafeBufferPointer(Self.utf16ASCIIPlace) == nil,
              let close = chunk.prefix(1024).firstRange(of: Array("?>".utf8)) else { return nil }
        let declaration = String(decoding: chunk[..<close.lowerBound], as: UTF8.self)
        guard declaration.drop(while: { $0 == "\u{FEFF}" }).hasPrefix("<?xml"),
              let name = declaration.firstMatch(of: /encoding\s*=\s*["']([^"']*)["']/)?.output.1 else { return nil }
        let encoding = name.uppercased().replacingOccurrences(of: "_", with: "-")
        let read = ["UTF-8", "UTF8", "US-ASCII", "ASCII", "UTF-16", "SHIFT-JIS", "SJIS", "CP932", "WINDOWS-31J", "EUC-JP"]
        if read.contains(encoding) || encoding.wholeMatch(of: /ISO-?8859-\d{1,2}|LATIN-?\d|WINDOWS-125\d|CP125\d/) != nil {
            return nil
        }
        return "the XML declares the encoding \(name), which the job does not read (UTF-8, UTF-16, ISO-8859, windows-125x, Shift_JIS, EUC-JP)"
    }

    private func find(_ character: Unicode.Scalar, _ range: Range<Int>, in chunk: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = chunk.baseAddress else { return nil }
        var start = range.lowerBound
        while start < range.upperBound, let hit = memchr(base + start, Int32(character.value), range.upperBound - start) {
            let index = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
            if isASCII(character, at: index, in: chunk) { return index }
            start = index + 1
        }
        return nil
    }

    private func isASCII(_ character: Unicode.Scalar, at index: Int, in chunk: UnsafeBufferPointer<UInt8>) -> Bool {
        guard chunk[index] == UInt8(character.value) else { return false }
        guard let place = utf16ASCIIPlace else { return true }
        guard (offset + index) % 2 == place else { return false }
        let partner = place == 0 ? index + 1 : index - 1
        // A unit split across two chunks is taken as the character.
        return !chunk.indices.contains(partner) || chunk[partner] == 0
    }
}
