import NIOConcurrencyHelpers
import NIOWebSocket

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's secure random generator, read 4 KiB at a time.
///
/// Every frame the gateway sends needs a fresh masking key (RFC 6455, section 5.3), every
/// connection an id and a handshake key, and `SystemRandomNumberGenerator` makes one `getrandom`
/// system call per value: on the send path that call cost more than the rest of the framing,
/// and a connection setup made 18 of them. The bytes come from the same source,
/// `arc4random_buf`, once per 512 values.
struct BufferedSecureRandom: RandomNumberGenerator {
    private static let pool = NIOLockedValueBox(Pool())

    private struct Pool {
        var words = [UInt64](repeating: 0, count: 512)
        var next = 512

        mutating func take() -> UInt64 {
            if self.next == self.words.count {
                self.words.withUnsafeMutableBytes { bytes in
                    if let base = bytes.baseAddress { arc4random_buf(base, bytes.count) }
                }
                self.next = 0
            }
            defer { self.next += 1 }
            return self.words[self.next]
        }
    }

    mutating func next() -> UInt64 {
        Self.pool.withLockedValue { $0.take() }
    }
}

extension WebSocketMaskingKey {
    /// A masking key for the next frame, from ``BufferedSecureRandom``.
    static func fresh() -> WebSocketMaskingKey {
        var generator = BufferedSecureRandom()
        return .random(using: &generator)
    }
}
