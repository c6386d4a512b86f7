/// Builds one JSON object as UTF-8 bytes, keys in the order given.
///
/// Hand-written because `inspect` prints a line per record (a million on a busy day) and
/// `JSONEncoder` costs more per record than parsing it; this only escapes and appends.
public struct JSONLineBuilder {
    public private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var first = true

    public init() {}

    /// A builder over `bytes`, its object not opened.
    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// Appends one object and a line feed to `out`, built by `body` in place: no line is
    /// built apart and copied.
    public static func appendLine(to out: inout [UInt8], _ body: (inout JSONLineBuilder) -> Void) {
        appendObject(to: &out, body)
        out.append(0x0A)
    }

    /// Appends the object `body` builds to `out`, in place: the builder takes `out` over for
    /// the while.
    private static func appendObject(to out: inout [UInt8], _ body: (inout JSONLineBuilder) -> Void) {
        var builder = JSONLineBuilder(bytes: [])
        swap(&builder.bytes, &out)
        builder.bytes.append(UInt8(ascii: "{"))
        body(&builder)
        builder.bytes.append(UInt8(ascii: "}"))
        swap(&builder.bytes, &out)
    }

    public mutating func string(_ key: String, _ value: String?) {
        self.key(key)
        guard let value else { return bytes.append(contentsOf: "null".utf8) }
        Self.appendQuoted(value, to: &bytes)
    }

    public mutating func int(_ key: String, _ value: Int?) {
        self.key(key)
        bytes.append(contentsOf: (value.map(String.init) ?? "null").utf8)
    }

    public mutating func bool(_ key: String, _ value: Bool) {
        self.key(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func strings(_ key: String, _ values: [String]) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendQuoted(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A value that `append` writes as JSON itself (a string it quotes and escapes).
    public mutating func json(_ key: String, _ append: (inout [UInt8]) -> Void) {
        self.key(key)
        append(&bytes)
    }

    /// A nested object, built by `body` in place.
    public mutating func object(_ key: String, _ body: (inout JSONLineBuilder) -> Void) {
        self.key(key)
        Self.appendObject(to: &bytes, body)
    }

    /// The finished object and a line feed.
    public mutating func line() -> [UInt8] {
        bytes.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
        return bytes
    }

    private mutating func key(_ key: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        Self.appendQuoted(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendEscaped(text, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// `text` as it reads between a JSON string's quotes.
    static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            // Runs that need no escape are copied whole.
            var run = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                run = index + 1
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
                case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                            hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
        }
    }
}
