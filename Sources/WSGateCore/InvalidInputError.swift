/// Input from a client (a URL, a connection config or a message) that the gateway cannot use.
public struct InvalidInputError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, as one sentence that names the offending key or value.
    public var description: String

    /// Creates the error with its explanation.
    public init(_ description: String) {
        self.description = description
    }
}
