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
    @inlinable
    public mutating func writeJSONString(utf8Bytes bytes: UnsafeBufferPointer<UInt8>) {
        self.reserveCapacity(minimumWritableBytes: bytes.count + 2)
        self.writeInteger(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            self.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart..<index])))
            self.writeJSONEscape(byte)
            runStart = index + 1
        }
        self.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count])))
        self.writeInteger(UInt8(ascii: "\""))
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

    /// Writes `value` in decimal digits.
    public mutating func writeDecimal(_ value: some BinaryInteger) {
        self.writeString(String(value))
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
