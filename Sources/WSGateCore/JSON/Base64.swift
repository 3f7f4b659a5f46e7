import Foundation
import NIOCore

/// Base64 (RFC 4648, standard alphabet, padded) as used in the API's binary payloads.
public enum Base64 {
    /// Encodes `bytes` as base64 text.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Encodes the readable bytes of `buffer` as base64 text, copying them once.
    public static func encode(_ buffer: ByteBuffer) -> String {
        buffer.withUnsafeReadableBytes { Data($0) }.base64EncodedString()
    }

    /// Decodes base64 text, or returns nil when it is not valid base64.
    public static func decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { Array($0) }
    }
}
