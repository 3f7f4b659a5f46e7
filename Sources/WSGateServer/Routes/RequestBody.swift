import Foundation
import Hummingbird
import NIOCore
import WSGateCore

/// Reading and checking request bodies.
extension Request {
    /// The media type of the body, lowercased and without parameters such as `charset`.
    var mediaType: String? {
        self.headers[.contentType].map { type in
            String(type.split(separator: ";", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        }
    }
}

extension JSONValue {
    /// Parses JSON text, or throws `invalid` with a message naming the problem.
    static func parse(_ bytes: ByteBuffer, invalid: (String) -> APIError) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes.readableBytesView))
        } catch {
            throw invalid("The body is not valid JSON.")
        }
    }
}
