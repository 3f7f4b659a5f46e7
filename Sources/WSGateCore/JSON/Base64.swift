import Foundation

/// Base64 (RFC 4648): the standard alphabet of the binary payloads clients send, and the URL-safe
/// one of connection ids. Events encode their payloads with ``ReservedBytesWriter``.
public enum Base64 {
    /// Encodes `bytes` in the URL- and filename-safe alphabet (RFC 4648, section 5), unpadded.
    public static func encodeURLSafe(_ bytes: some Collection<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity((bytes.count * 4 + 2) / 3)
        // Bits not yet written, fewer than six of them between bytes.
        var pending = 0
        var pendingCount = 0
        for byte in bytes {
            pending = (pending & 0x3F) << 8 | Int(byte)
            pendingCount += 8
            while pendingCount >= 6 {
                pendingCount -= 6
                text.append(urlSafeAlphabet[(pending >> pendingCount) & 0x3F])
            }
        }
        if pendingCount > 0 {
            text.append(urlSafeAlphabet[(pending << (6 - pendingCount)) & 0x3F])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let urlSafeAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Decodes base64 text, or returns nil when it is not valid base64.
    public static func decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { Array($0) }
    }
}
