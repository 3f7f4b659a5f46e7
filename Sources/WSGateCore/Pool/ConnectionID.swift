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

    /// Whether `text` is made of the characters an id has (URL-safe base64), so that a list of ids
    /// can refuse what cannot be one.
    public static func isWellFormed(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"):
                true
            default: false
            }
        }
    }

    /// Wraps an id taken from a request path; unknown ids simply find no connection.
    public init(_ text: String) {
        self.description = text
    }

    private init(description: String) {
        self.description = description
    }
}
