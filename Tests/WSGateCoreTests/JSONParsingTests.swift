import NIOCore
import Testing
import WSGateCore

@Suite struct JSONParsingTests {
    private func parse(_ text: String) throws(JSONValue.SyntaxError) -> JSONValue {
        try JSONValue(parsing: ByteBuffer(string: text))
    }

    @Test func readsEveryKindOfValue() throws {
        let text = #" {"a": [1, -2, 3.5, "x\u00e9\ud83d\ude00", true, false, null], "b": {}, "c": [], "d": ""} "#
        let expected: JSONValue = [
            "a": [1, -2, .number(3.5), "xé😀", true, false, nil],
            "b": [:], "c": [], "d": "",
        ]
        #expect(try self.parse(text) == expected)
    }

    @Test func decodesEveryEscape() throws {
        #expect(try self.parse(#""\"\\\/\b\f\n\r\t\u0041""#) == "\"\\/\u{08}\u{0C}\n\r\tA")
        #expect(try self.parse(#""plain \u00e9 and raw é""#) == "plain é and raw é")
    }

    @Test func exactIntegersAreIntegersAndOtherNumbersAreNot() throws {
        #expect(try self.parse("3.0") == .integer(3))
        #expect(try self.parse("1e2") == .integer(100))
        #expect(try self.parse("-0") == .integer(0))
        #expect(try self.parse("9223372036854775807") == .integer(.max))
        #expect(try self.parse("1.5") == .number(1.5))
        #expect(try self.parse("99999999999999999999") == .number(1e20))
        #expect(try self.parse("-2.5E-3") == .number(-0.0025))
    }

    @Test(arguments: [
        "", " ", "[1,]", #"{"a":1,}"#, "01", "1.", "-", ".5", "1e", "+1", "tru", "nul", "[1] x", "{1:2}", "'a'",
        #"{"a" 1}"#, "[1 2]", #""\x""#, #""\u12""#, #""\ud800""#, #""\ud800\u0041""#, #""\udc00""#, "\"a\u{01}b\"",
        #""open"#, "1e400", "[", "{", "NaN", "Infinity",
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONValue.SyntaxError.self) { try self.parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONValue.SyntaxError.self) { try JSONValue(parsing: ByteBuffer(bytes: [0x22, 0xC3, 0x28, 0x22])) }
    }

    @Test func namesTheOffendingByte() {
        let error = #expect(throws: JSONValue.SyntaxError.self) { try self.parse("[1,]") }
        #expect(error?.description == "Unexpected character at byte 3")
    }

    @Test func nestingIsLimited() throws {
        let deepest = JSONValue.maximumNesting
        let allowed = String(repeating: "[", count: deepest) + String(repeating: "]", count: deepest)
        #expect(try self.parse(allowed) != .null)
        let tooDeep = String(repeating: "[", count: deepest + 1) + String(repeating: "]", count: deepest + 1)
        #expect(throws: JSONValue.SyntaxError.self) { try self.parse(tooDeep) }
        // A hostile body far deeper than the limit is refused, not a stack overflow.
        #expect(throws: JSONValue.SyntaxError.self) { try self.parse(String(repeating: "[", count: 1_000_000)) }
    }

    @Test func skipsALeadingByteOrderMark() throws {
        #expect(try self.parse("\u{FEFF}[1]") == [1])
    }

    @Test func readsBackWhatTheWriterWrites() throws {
        // Strings with every control character, quotes, backslashes and characters beyond the BMP.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let scalars = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                let pools: [ClosedRange<UInt32>] = [0...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
                return Unicode.Scalar(UInt32.random(in: pools.randomElement(using: &generator)!, using: &generator))!
            }
            let text = String(String.UnicodeScalarView(scalars))
            let value: JSONValue = ["text": .string(text), "list": [.integer(Int.random(in: .min ... .max, using: &generator)), .string(text)]]
            var buffer = ByteBuffer()
            buffer.writeJSON(value)
            #expect(try JSONValue(parsing: buffer) == value)
        }
    }
}
