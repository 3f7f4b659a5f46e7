import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WSGateCore

extension HTTPFields {
    /// The media type in a `Content-Type` value, lowercased and without parameters such as `charset`.
    static func mediaType(of contentType: String?) -> String? {
        contentType.map { type in
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
