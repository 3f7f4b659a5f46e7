import NIOCore

/// Writes JSON text straight into a `ByteBuffer`, without Foundation's encoder on the hot path.
extension ByteBuffer {
    /// Writes `string` as a quoted JSON string, escaping quotes, backslashes and control characters.
    /// Everything else, including all non-ASCII text, is copied as UTF-8 unchanged.
    @inlinable
    public mutating func writeJSONString(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            self.writeJSONString(utf8Bytes: utf8)
        }
    }

    /// Writes UTF-8 `bytes` as a quoted JSON string (see ``writeJSONString(_:)``).
    ///
    /// Runs without escapes are found 32 bytes at a time and copied whole, so long text costs
    /// little more than a copy.
    @inlinable
    public mutating func writeJSONString(utf8Bytes bytes: UnsafeBufferPointer<UInt8>) {
        self.reserveCapacity(minimumWritableBytes: bytes.count + 2)
        self.writeInteger(UInt8(ascii: "\""))
        let raw = UnsafeRawBufferPointer(bytes)
        var runStart = 0
        var index = 0
        while index < bytes.count {
            // Skip clean stretches four words at a time, then one word at a time.
            while index + 32 <= bytes.count {
                let mask =
                    Self.escapeMask(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                    | Self.escapeMask(raw.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self))
                    | Self.escapeMask(raw.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self))
                    | Self.escapeMask(raw.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self))
                if mask != 0 { break }
                index += 32
            }
            while index + 8 <= bytes.count, Self.escapeMask(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) == 0 {
                index += 8
            }
            let end = min(index + 8, bytes.count)
            while index < end {
                let byte = bytes[index]
                if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    self.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart..<index])))
                    self.writeJSONEscape(byte)
                    runStart = index + 1
                }
                index += 1
            }
        }
        self.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count])))
        self.writeInteger(UInt8(ascii: "\""))
    }

    /// Non-zero when any of the eight bytes in `word` is a control character, a quote or a
    /// backslash ("Bit Twiddling Hacks": `(v - 0x01…) & ~v & 0x80…` marks the bytes of `v` below 1,
    /// that is the zero bytes; with `0x20…` it marks those below 0x20). Bytes of 0x80 and above,
    /// all of multi-byte UTF-8, never match.
    @inlinable
    static func escapeMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        return ((word &- ones &* 0x20) & ~word | (quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes)
            & 0x8080_8080_8080_8080
    }

    @usableFromInline
    mutating func writeJSONEscape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): self.writeStaticString("\\\"")
        case UInt8(ascii: "\\"): self.writeStaticString("\\\\")
        case UInt8(ascii: "\n"): self.writeStaticString("\\n")
        case UInt8(ascii: "\r"): self.writeStaticString("\\r")
        case UInt8(ascii: "\t"): self.writeStaticString("\\t")
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            self.writeStaticString("\\u00")
            self.writeInteger(hexDigits.utf8Start[Int(byte >> 4)])
            self.writeInteger(hexDigits.utf8Start[Int(byte & 0x0F)])
        }
    }

    /// Writes the bytes readable in `bytes` as a JSON array of integers, e.g. `[1,2,255]`.
    public mutating func writeJSONIntegerArray(_ bytes: ByteBuffer) {
        self.reserveCapacity(minimumWritableBytes: bytes.readableBytes * 4 + 2)
        self.writeInteger(UInt8(ascii: "["))
        var first = true
        for byte in bytes.readableBytesView {
            if !first { self.writeInteger(UInt8(ascii: ",")) }
            first = false
            self.writeByteDecimal(byte)
        }
        self.writeInteger(UInt8(ascii: "]"))
    }

    /// Writes the bytes readable in `bytes` as a quoted base64 JSON string.
    public mutating func writeJSONBase64(_ bytes: ByteBuffer) {
        self.writeInteger(UInt8(ascii: "\""))
        self.writeString(Base64.encode(bytes))
        self.writeInteger(UInt8(ascii: "\""))
    }

    /// Writes `value` in decimal digits, without making a string of it: every event's id goes
    /// through here.
    public mutating func writeDecimal(_ value: some BinaryInteger) {
        if value < 0 { self.writeInteger(UInt8(ascii: "-")) }
        var remaining = UInt64(value.magnitude)
        var digits = 1
        var probe = remaining
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        // The digits are set from the last to the first, in room written for them.
        let start = self.writerIndex
        self.writeRepeatingByte(UInt8(ascii: "0"), count: digits)
        var index = start + digits - 1
        repeat {
            self.setInteger(UInt8(ascii: "0") + UInt8(remaining % 10), at: index)
            remaining /= 10
            index -= 1
        } while remaining > 0
    }

    /// Writes one byte's value in decimal digits without allocating.
    private mutating func writeByteDecimal(_ byte: UInt8) {
        let zero = UInt8(ascii: "0")
        if byte >= 100 { self.writeInteger(zero + byte / 100) }
        if byte >= 10 { self.writeInteger(zero + (byte / 10) % 10) }
        self.writeInteger(zero + byte % 10)
    }
}

extension ByteBuffer {
    /// Writes `value` as compact JSON, with object keys in sorted order so output is stable.
    public mutating func writeJSON(_ value: JSONValue) {
        switch value {
        case .null: self.writeStaticString("null")
        case .bool(let flag): self.writeString(flag ? "true" : "false")
        case .integer(let number): self.writeDecimal(number)
        case .number(let number): self.writeString(number.isFinite ? "\(number)" : "null")
        case .string(let text): self.writeJSONString(text)
        case .array(let elements):
            self.writeStaticString("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { self.writeStaticString(",") }
                self.writeJSON(element)
            }
            self.writeStaticString("]")
        case .object(let fields):
            self.writeStaticString("{")
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { self.writeStaticString(",") }
                self.writeJSONString(key)
                self.writeStaticString(":")
                self.writeJSON(fields[key] ?? .null)
            }
            self.writeStaticString("}")
        }
    }
}
