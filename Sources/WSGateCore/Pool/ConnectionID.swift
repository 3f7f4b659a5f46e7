/// An opaque, unguessable connection id: 128 random bits in URL-safe base64 (22 characters).
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    /// The id as it appears in URLs.
    public let description: String

    /// Draws a new random id from the system's secure generator.
    public static func random() -> ConnectionID {
        var generator = BufferedSecureRandom()
        let bits = (generator.next(), generator.next())
        return ConnectionID(description: withUnsafeBytes(of: bits) { Base64.encodeURLSafe($0) })
    }

    /// Wraps an id taken from a request path; unknown ids simply find no connection.
    public init(_ text: String) {
        self.description = text
    }

    private init(description: String) {
        self.description = description
    }
}
