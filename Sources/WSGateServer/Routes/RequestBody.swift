import HTTPTypes
import Hummingbird
import NIOCore
import WSGateCore

extension HTTPFields {
    /// The media type in a `Content-Type` value, lowercased and without parameters such as `charset`.
    /// Works on the UTF-8 bytes: every send reads it.
    static func mediaType(of contentType: String?) -> String? {
        guard let contentType else { return nil }
        let essence = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = essence.firstIndex(where: { !isBlank($0) }), let last = essence.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(decoding: essence[first...last], as: UTF8.self).lowercased()
    }
}

extension JSONValue {
    /// Parses JSON text, or throws the error `invalid` makes of what is wrong with it.
    static func parse(_ bytes: ByteBuffer, invalid: (SyntaxError) -> APIError) throws(APIError) -> JSONValue {
        do {
            return try JSONValue(parsing: bytes)
        } catch {
            throw invalid(error)
        }
    }
}
