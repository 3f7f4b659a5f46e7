import NIOCore

extension ByteBuffer {
    /// The readable bytes as a `String` if they are valid UTF-8, else `nil`.
    /// Validates straight from the buffer's memory, the standard library's fast path.
    public func validatedUTF8String() -> String? {
        self.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) }
    }

    /// Whether the readable bytes from `offset` on could still begin valid UTF-8: complete
    /// characters are validated, and up to three last bytes that may be a character cut short are
    /// left for later. Returns the offset up to which the bytes are valid, or `nil` if they are not.
    func validUTF8Prefix(from offset: Int) -> Int? {
        self.withUnsafeReadableBytes { bytes -> Int? in
            var end = bytes.count
            // Step back over continuation bytes (10xxxxxx) to the last lead byte, if it is near the end.
            var lead = end - 1
            while lead > offset, lead > end - 4, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
            if lead >= offset, lead < end {
                let byte = bytes[lead]
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                if end - lead < length { end = lead }
            }
            guard offset <= end else { return offset }
            return String(validating: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), as: UTF8.self) == nil ? nil : end
        }
    }
}
