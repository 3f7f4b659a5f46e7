import NIOCore

/// Writes bytes into memory reserved beforehand, for encoders that write a value in many small
/// pieces. `ByteBuffer`'s own writes check capacity, uniqueness and exclusive access on every
/// call, which made encoding a 64-byte event cost more than reading it; through this writer a
/// whole event is one `ByteBuffer` write. Whoever reserves the memory computes what will be
/// written with the `…Size` functions below; debug builds assert that it was exact.
struct ReservedBytesWriter {
    private let memory: UnsafeMutableRawBufferPointer
    /// The bytes written so far.
    private(set) var count = 0

    fileprivate init(_ memory: UnsafeMutableRawBufferPointer) {
        self.memory = memory
    }

    /// Writes one byte.
    mutating func write(byte: UInt8) {
        assert(self.count < self.memory.count)
        self.memory.storeBytes(of: byte, toByteOffset: self.count, as: UInt8.self)
        self.count += 1
    }

    /// Writes the bytes of `string`.
    mutating func write(_ string: StaticString) {
        self.write(UnsafeRawBufferPointer(start: string.utf8Start, count: string.utf8CodeUnitCount))
    }

    /// Writes `bytes`.
    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        assert(self.count + bytes.count <= self.memory.count)
        UnsafeMutableRawBufferPointer(rebasing: self.memory[self.count...]).copyMemory(from: bytes)
        self.count += bytes.count
    }

    /// The bytes ``writeDecimal(_:)`` writes for `value`.
    static func decimalSize(_ value: some BinaryInteger) -> Int {
        (value < 0 ? 1 : 0) + Self.digitCount(UInt64(value.magnitude))
    }

    private static func digitCount(_ value: UInt64) -> Int {
        var digits = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        return digits
    }

    /// Writes `value` in decimal digits.
    mutating func writeDecimal(_ value: some BinaryInteger) {
        if value < 0 { self.write(byte: UInt8(ascii: "-")) }
        var remaining = UInt64(value.magnitude)
        let digits = Self.digitCount(remaining)
        assert(self.count + digits <= self.memory.count)
        // The digits are set from the last to the first.
        var offset = self.count + digits - 1
        repeat {
            self.memory.storeBytes(of: UInt8(ascii: "0") + UInt8(remaining % 10), toByteOffset: offset, as: UInt8.self)
            remaining /= 10
            offset -= 1
        } while remaining > 0
        self.count += digits
    }

    /// The bytes ``writeJSONString(utf8:)`` writes for `text`.
    static func jsonStringSize(utf8 text: UnsafeRawBufferPointer) -> Int {
        var size = text.count + 2
        Self.forEachByteToEscape(in: text) { _, byte in size += Self.escape(byte).utf8CodeUnitCount - 1 }
        return size
    }

    /// The bytes ``writeJSONString(_:)-(String)`` writes for `text`.
    static func jsonStringSize(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { Self.jsonStringSize(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Writes UTF-8 `text` as a quoted JSON string, escaping quotes, backslashes and control
    /// characters. Everything else, including all non-ASCII text, is copied unchanged.
    mutating func writeJSONString(utf8 text: UnsafeRawBufferPointer) {
        self.write(byte: UInt8(ascii: "\""))
        var runStart = 0
        Self.forEachByteToEscape(in: text) { index, byte in
            self.write(UnsafeRawBufferPointer(rebasing: text[runStart..<index]))
            self.write(Self.escape(byte))
            runStart = index + 1
        }
        self.write(UnsafeRawBufferPointer(rebasing: text[runStart..<text.count]))
        self.write(byte: UInt8(ascii: "\""))
    }

    /// Calls `body` with the offset and value of every byte of `text` that JSON must escape.
    ///
    /// Runs without escapes are found 32 bytes at a time, so long clean text costs little.
    private static func forEachByteToEscape(in text: UnsafeRawBufferPointer, _ body: (Int, UInt8) -> Void) {
        var index = 0
        while index < text.count {
            // Skip clean stretches four words at a time, then one word at a time.
            while index + 32 <= text.count {
                let mask =
                    Self.escapeMask(text.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                    | Self.escapeMask(text.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self))
                    | Self.escapeMask(text.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self))
                    | Self.escapeMask(text.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self))
                if mask != 0 { break }
                index += 32
            }
            while index + 8 <= text.count, Self.escapeMask(text.loadUnaligned(fromByteOffset: index, as: UInt64.self)) == 0 {
                index += 8
            }
            let end = min(index + 8, text.count)
            while index < end {
                let byte = text[index]
                if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { body(index, byte) }
                index += 1
            }
        }
    }

    /// Writes `text` as a quoted JSON string (see ``writeJSONString(utf8:)``).
    mutating func writeJSONString(_ text: String) {
        var text = text
        text.withUTF8 { self.writeJSONString(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Non-zero when any of the eight bytes in `word` is a control character, a quote or a
    /// backslash ("Bit Twiddling Hacks": `(v - 0x01…) & ~v & 0x80…` marks the bytes of `v` below 1,
    /// that is the zero bytes; with `0x20…` it marks those below 0x20). Bytes of 0x80 and above,
    /// all of multi-byte UTF-8, never match.
    static func escapeMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        return ((word &- ones &* 0x20) & ~word | (quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes)
            & 0x8080_8080_8080_8080
    }

    /// The JSON escape of `byte`, one that must be escaped.
    private static func escape(_ byte: UInt8) -> StaticString {
        switch byte {
        case UInt8(ascii: "\""): "\\\""
        case UInt8(ascii: "\\"): "\\\\"
        case UInt8(ascii: "\n"): "\\n"
        case UInt8(ascii: "\r"): "\\r"
        case UInt8(ascii: "\t"): "\\t"
        default: Self.controlEscapes[Int(byte)]
        }
    }

    /// `\u0000` to `\u001f`, by the control character's value.
    private static let controlEscapes: [StaticString] = [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\u0008", "\\u0009", "\\u000a", "\\u000b", "\\u000c", "\\u000d", "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    ]

    /// The bytes ``writeJSONIntegerArray(_:)`` writes for `bytes`.
    static func jsonIntegerArraySize(_ bytes: UnsafeRawBufferPointer) -> Int {
        var size = 2 + max(0, bytes.count - 1)
        for byte in bytes { size += byte >= 100 ? 3 : byte >= 10 ? 2 : 1 }
        return size
    }

    /// Writes `bytes` as a JSON array of integers, e.g. `[1,2,255]`.
    mutating func writeJSONIntegerArray(_ bytes: UnsafeRawBufferPointer) {
        self.write(byte: UInt8(ascii: "["))
        let zero = UInt8(ascii: "0")
        for (index, byte) in bytes.enumerated() {
            if index > 0 { self.write(byte: UInt8(ascii: ",")) }
            if byte >= 100 { self.write(byte: zero + byte / 100) }
            if byte >= 10 { self.write(byte: zero + (byte / 10) % 10) }
            self.write(byte: zero + byte % 10)
        }
        self.write(byte: UInt8(ascii: "]"))
    }

    /// The bytes ``writeJSONBase64(_:)`` writes for `count` bytes.
    static func jsonBase64Size(count: Int) -> Int { (count + 2) / 3 * 4 + 2 }

    /// Writes `bytes` as a quoted base64 JSON string (RFC 4648, standard alphabet, padded).
    mutating func writeJSONBase64(_ bytes: UnsafeRawBufferPointer) {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let symbols = alphabet.utf8Start
        self.write(byte: UInt8(ascii: "\""))
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let group = Int(bytes[index]) << 16
                | (remaining > 1 ? Int(bytes[index + 1]) << 8 : 0)
                | (remaining > 2 ? Int(bytes[index + 2]) : 0)
            self.write(byte: symbols[group >> 18])
            self.write(byte: symbols[(group >> 12) & 0x3F])
            self.write(byte: remaining > 1 ? symbols[(group >> 6) & 0x3F] : UInt8(ascii: "="))
            self.write(byte: remaining > 2 ? symbols[group & 0x3F] : UInt8(ascii: "="))
            index += 3
        }
        self.write(byte: UInt8(ascii: "\""))
    }
}

extension ByteBuffer {
    /// Reserves `size` bytes and lets `body` write them through a ``ReservedBytesWriter``, as one
    /// write of the buffer.
    mutating func write(reserving size: Int, _ body: (inout ReservedBytesWriter) -> Void) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: max(1, size)) { memory in
            var writer = ReservedBytesWriter(memory)
            body(&writer)
            assert(writer.count == size, "\(size) bytes reserved, \(writer.count) written")
            return writer.count
        }
    }

    /// Writes `string` as a quoted JSON string (see ``ReservedBytesWriter/writeJSONString(utf8:)``).
    public mutating func writeJSONString(_ string: String) {
        self.write(reserving: ReservedBytesWriter.jsonStringSize(string)) { $0.writeJSONString(string) }
    }

    /// Writes `value` in decimal digits, without making a string of it.
    public mutating func writeDecimal(_ value: some BinaryInteger) {
        self.write(reserving: ReservedBytesWriter.decimalSize(value)) { $0.writeDecimal(value) }
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
