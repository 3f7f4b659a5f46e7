import NIOCore

extension ByteBuffer {
    /// The readable bytes as a `String` if they are valid UTF-8, else `nil`.
    /// Validates straight from the buffer's memory, the standard library's fast path.
    public func validatedUTF8String() -> String? {
        self.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) }
    }
}
