import NIOCore

extension JSONValue {
    /// Why a text is not JSON: what was wrong, and at which byte.
    public struct SyntaxError: Error, Equatable, CustomStringConvertible {
        /// What was wrong.
        public var reason: String
        /// The offset of the offending byte in the text.
        public var offset: Int

        /// "`reason` at byte `offset`".
        public var description: String { "\(self.reason) at byte \(self.offset)" }
    }

    /// The deepest nesting of arrays and objects read: deeper documents are refused, so that a
    /// hostile body cannot exhaust the stack of the recursive reader.
    public static let maximumNesting = 128

    /// Reads the readable bytes of `buffer` as one JSON text (RFC 8259), strictly: no trailing
    /// commas, no comments, no invalid UTF-8 or lone surrogates, nesting at most
    /// ``maximumNesting`` deep; a leading byte order mark is skipped. A number that is an exact
    /// integer within `Int`'s range, such as `3`, `3.0` or `3e0`, becomes `.integer`.
    ///
    /// Every connect and every JSON send is read here, on the event loop: a reader of our own
    /// over the bytes costs a fraction of Foundation's `JSONDecoder` with `Decodable` probing.
    public init(parsing buffer: ByteBuffer) throws(SyntaxError) {
        let parsed = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(SyntaxError) in
                var reader = JSONReader(bytes: bytes)
                return try reader.document()
            }
        }
        self = try parsed.get()
    }
}

/// A recursive-descent reader of JSON text, one byte offset at a time.
private struct JSONReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    var nesting = 0

    mutating func document() throws(JSONValue.SyntaxError) -> JSONValue {
        if self.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { self.offset = 3 }
        let value = try self.value()
        self.skipWhitespace()
        guard self.offset == self.bytes.count else { throw self.failure("Unexpected text after the value") }
        return value
    }

    private mutating func value() throws(JSONValue.SyntaxError) -> JSONValue {
        self.skipWhitespace()
        guard let first = self.peek() else { throw self.failure("The text ends where a value should be") }
        switch first {
        case UInt8(ascii: "{"): return try self.object()
        case UInt8(ascii: "["): return try self.array()
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "t"): return try self.literal("true", .bool(true))
        case UInt8(ascii: "f"): return try self.literal("false", .bool(false))
        case UInt8(ascii: "n"): return try self.literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try self.number()
        default: throw self.failure("Unexpected character")
        }
    }

    private mutating func object() throws(JSONValue.SyntaxError) -> JSONValue {
        try self.enterContainer()
        var fields: [String: JSONValue] = [:]
        self.skipWhitespace()
        if !self.consume(UInt8(ascii: "}")) {
            repeat {
                self.skipWhitespace()
                guard self.peek() == UInt8(ascii: "\"") else { throw self.failure("Expected a key in quotes") }
                let key = try self.string()
                self.skipWhitespace()
                guard self.consume(UInt8(ascii: ":")) else { throw self.failure("Expected ':' after the key") }
                fields[key] = try self.value()
                self.skipWhitespace()
            } while self.consume(UInt8(ascii: ","))
            guard self.consume(UInt8(ascii: "}")) else { throw self.failure("Expected ',' or '}'") }
        }
        self.nesting -= 1
        return .object(fields)
    }

    private mutating func array() throws(JSONValue.SyntaxError) -> JSONValue {
        try self.enterContainer()
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if !self.consume(UInt8(ascii: "]")) {
            repeat {
                elements.append(try self.value())
                self.skipWhitespace()
            } while self.consume(UInt8(ascii: ","))
            guard self.consume(UInt8(ascii: "]")) else { throw self.failure("Expected ',' or ']'") }
        }
        self.nesting -= 1
        return .array(elements)
    }

    /// Steps over an opening bracket or brace, one level deeper.
    private mutating func enterContainer() throws(JSONValue.SyntaxError) {
        guard self.nesting < JSONValue.maximumNesting else {
            throw self.failure("Nested deeper than \(JSONValue.maximumNesting) levels")
        }
        self.nesting += 1
        self.offset += 1
    }

    /// Reads a string from its opening quote. Text without escapes becomes a `String` in one
    /// validating step; text with escapes is decoded into a copy first.
    private mutating func string() throws(JSONValue.SyntaxError) -> String {
        self.offset += 1
        let start = self.offset
        var decoded: [UInt8] = []
        var hasEscapes = false
        while let byte = self.peek() {
            switch byte {
            case UInt8(ascii: "\""):
                let end = self.offset
                self.offset += 1
                let text =
                    hasEscapes ? String(validating: decoded, as: UTF8.self) : String(validating: self.bytes[start..<end], as: UTF8.self)
                guard let text else { throw JSONValue.SyntaxError(reason: "A string is not valid UTF-8", offset: start) }
                return text
            case UInt8(ascii: "\\"):
                if !hasEscapes {
                    decoded = Array(self.bytes[start..<self.offset])
                    hasEscapes = true
                }
                try self.escape(into: &decoded)
            case 0..<0x20:
                throw self.failure("A control character in a string must be escaped")
            default:
                if hasEscapes { decoded.append(byte) }
                self.offset += 1
            }
        }
        throw self.failure("A string is not closed")
    }

    /// Decodes the escape at the current backslash, appending its UTF-8 to `utf8`.
    private mutating func escape(into utf8: inout [UInt8]) throws(JSONValue.SyntaxError) {
        self.offset += 1
        guard let letter = self.peek() else { throw self.failure("A string is not closed") }
        self.offset += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(letter)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let first = try self.hexQuad()
            var value = UInt32(first)
            if (0xD800..<0xDC00).contains(first) {
                // A high surrogate: only a low one may follow, and the pair is one scalar.
                guard self.consume(UInt8(ascii: "\\")), self.consume(UInt8(ascii: "u")) else {
                    throw self.failure("A high surrogate escape is not followed by a low one")
                }
                let second = try self.hexQuad()
                guard (0xDC00..<0xE000).contains(second) else { throw self.failure("A high surrogate escape is not followed by a low one") }
                value = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(value) else { throw self.failure("A lone low surrogate escape") }
            UTF8.encode(scalar) { utf8.append($0) }
        default:
            throw self.failure("Unknown escape")
        }
    }

    /// The four hex digits of a `\u` escape.
    private mutating func hexQuad() throws(JSONValue.SyntaxError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = self.peek(), let digit = hexDigitValue(byte) else { throw self.failure("Expected four hex digits after \\u") }
            value = value << 4 | UInt16(digit)
            self.offset += 1
        }
        return value
    }

    private mutating func number() throws(JSONValue.SyntaxError) -> JSONValue {
        let start = self.offset
        _ = self.consume(UInt8(ascii: "-"))
        guard let first = self.peek(), isDigit(first) else { throw self.failure("Expected a digit") }
        self.offset += 1
        if first != UInt8(ascii: "0") { self.skipDigits() }
        var isWhole = true
        if self.consume(UInt8(ascii: ".")) {
            isWhole = false
            try self.requireDigits()
        }
        if self.consume(UInt8(ascii: "e")) || self.consume(UInt8(ascii: "E")) {
            isWhole = false
            if !self.consume(UInt8(ascii: "+")) { _ = self.consume(UInt8(ascii: "-")) }
            try self.requireDigits()
        }
        let text = String(decoding: self.bytes[start..<self.offset], as: UTF8.self)
        if isWhole, let integer = Int(text) { return .integer(integer) }
        guard let number = Double(text), number.isFinite else {
            throw JSONValue.SyntaxError(reason: "A number is out of range", offset: start)
        }
        if !isWhole, let integer = Int(exactly: number) { return .integer(integer) }
        return .number(number)
    }

    private mutating func requireDigits() throws(JSONValue.SyntaxError) {
        guard let byte = self.peek(), isDigit(byte) else { throw self.failure("Expected a digit") }
        self.skipDigits()
    }

    private mutating func skipDigits() {
        while let byte = self.peek(), isDigit(byte) { self.offset += 1 }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws(JSONValue.SyntaxError) -> JSONValue {
        let expected = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard self.bytes[self.offset...].starts(with: expected) else { throw self.failure("Unexpected character") }
        self.offset += expected.count
        return value
    }

    private mutating func skipWhitespace() {
        while let byte = self.peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { self.offset += 1 }
    }

    private func peek() -> UInt8? {
        self.offset < self.bytes.count ? self.bytes[self.offset] : nil
    }

    /// Steps over `byte` if it is next.
    private mutating func consume(_ byte: UInt8) -> Bool {
        guard self.peek() == byte else { return false }
        self.offset += 1
        return true
    }

    private func failure(_ reason: String) -> JSONValue.SyntaxError {
        JSONValue.SyntaxError(reason: reason, offset: self.offset)
    }
}

private func isDigit(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
}

private func hexDigitValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
