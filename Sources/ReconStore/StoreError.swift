/// Why the store could not do what was asked. Its description names the store and the
/// problem, never a credential or a customer's data.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable {
        /// The store cannot be reached or opened (exit 69).
        case unavailable
        /// No store yet, or migrations pending: run `init` (exit 64).
        case notInitialised
        /// The store holds something the job cannot read.
        case corrupt
    }

    public let code: Code
    public let message: String
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}
