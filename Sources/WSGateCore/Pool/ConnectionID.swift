import Foundation

/// An opaque, unguessable connection id: 128 random bits in URL-safe base64 (22 characters).
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    /// The id as it appears in URLs.
    public let description: String

    /// Draws a new random id from the system's secure generator.
    public static func random() -> ConnectionID {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Base64.encode(bytes)
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return ConnectionID(description: text)
    }

    /// Wraps an id taken from a request path; unknown ids simply find no connection.
    public init(_ text: String) {
        self.description = text
    }

    private init(description: String) {
        self.description = description
    }
}
