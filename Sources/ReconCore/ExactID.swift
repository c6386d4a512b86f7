/// An order id or serial as the store and SPEC compare it: by its UTF-8 bytes.
///
/// Swift's `String` compares canonically equivalent texts as equal: "RN-é" written precomposed
/// (`C3 A9`) and decomposed (`65 CC 81`) are one dictionary key, and two rows of the store. A
/// ledger keyed by `String` took one order for the other, and one license for the other: a
/// settlement paid one customer's order and extended another's license. Keys of this type
/// are equal, ordered and hashed by bytes, as the store's are.
public struct ExactID: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let text: String

    public init(_ text: String) { self.text = text }
    public init(stringLiteral value: String) { text = value }

    public static func == (a: ExactID, b: ExactID) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }
    public static func < (a: ExactID, b: ExactID) -> Bool { a.text.utf8.lexicographicallyPrecedes(b.text.utf8) }

    public func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    public var description: String { text }
}
