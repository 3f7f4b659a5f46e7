import NIOCore

extension ByteBuffer {
    /// The readable bytes as a `String` if they are valid UTF-8, else `nil`.
    ///
    /// ASCII, valid UTF-8 as it is, is found a word at a time and decoded without the standard
    /// library's validating initializer: that one is generic over the encoding and, unspecialized,
    /// spent more time looking up type metadata than validating small messages.
    public func validatedUTF8String() -> String? {
        self.withUnsafeReadableBytes { bytes in
            Self.isASCII(bytes) ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
        }
    }

    /// Whether every byte of `bytes` is below 0x80.
    private static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        var highBits: UInt64 = 0
        while index + 8 <= bytes.count {
            highBits |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            highBits |= UInt64(bytes[index])
            index += 1
        }
        return highBits & 0x8080_8080_8080_8080 == 0
    }

    /// Whether the readable bytes from `offset` on can still begin valid UTF-8. Returns the offset
    /// up to which they hold whole valid characters (a character cut short at the end, itself a
    /// valid beginning, is left for the next call), or `nil` if no continuation can make them valid.
    func validUTF8Prefix(from offset: Int) -> Int? {
        self.withUnsafeReadableBytes { bytes -> Int? in
            var end = bytes.count
            // Step back over continuation bytes (10xxxxxx) to the last lead byte, if it is near the end.
            var lead = end - 1
            while lead > offset, lead > end - 4, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
            if lead >= offset, lead < end {
                let byte = bytes[lead]
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                if end - lead < length {
                    guard Self.canBeginCharacter(Array(bytes[lead..<end]), length: length) else { return nil }
                    end = lead
                }
            }
            let whole = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
            return String(validating: whole, as: UTF8.self) == nil ? nil : end
        }
    }

    /// Whether `start`, the first bytes of a `length`-byte character, can be completed to a valid
    /// one: it is completed with the smallest bytes allowed after its lead (RFC 3629, section 4)
    /// and validated.
    private static func canBeginCharacter(_ start: [UInt8], length: Int) -> Bool {
        var character = start
        if character.count == 1 {
            character.append(start[0] == 0xE0 ? 0xA0 : start[0] == 0xF0 ? 0x90 : 0x80)
        }
        while character.count < length { character.append(0x80) }
        return String(validating: character, as: UTF8.self) != nil
    }
}
