import Foundation
import NIOCore
import Testing
import WSGateCore

@Suite struct MessageJSONTests {
    private func decode(_ json: JSONValue) throws -> Message {
        try Message(json: json)
    }

    private func encode(_ message: Message, binary: BinaryEncoding = .integerArray) -> String {
        var buffer = ByteBuffer()
        message.writeJSON(into: &buffer, binary: binary)
        return String(buffer: buffer)
    }

    @Test func readsEveryFormOfTheSeedsMessage() throws {
        #expect(try self.decode("hello") == .text("hello"))
        #expect(try self.decode([1, 2, 255]) == .binary(ByteBuffer(bytes: [1, 2, 255])))
        #expect(try self.decode(["type": "Text", "data": "x"]) == .text("x"))
        #expect(try self.decode(["type": "Binary", "data": [0, 9]]) == .binary(ByteBuffer(bytes: [0, 9])))
        #expect(try self.decode(["type": "Binary", "data": "AAk="]) == .binary(ByteBuffer(bytes: [0, 9])))
        #expect(try self.decode(["type": "Ping", "data": [7]]) == .ping(ByteBuffer(bytes: [7])))
        #expect(try self.decode(["type": "Pong", "data": "Bw=="]) == .pong(ByteBuffer(bytes: [7])))
        #expect(try self.decode(["type": "Close", "data": nil]) == .close(nil))
        #expect(try self.decode(["type": "Close"]) == .close(nil))
        #expect(try self.decode(["type": "Close", "data": ["code": 4000, "reason": "bye"]]) == .close(CloseFrame(code: 4000, reason: "bye")))
    }

    @Test(arguments: [
        JSONValue.integer(3), [256], [-1], [.number(1.5)], ["a"],
        ["type": "Texts", "data": "x"], ["type": "Text", "data": [1]], ["type": "Text", "data": "x", "extra": 1],
        ["type": "Binary", "data": "not base64!"], ["type": "Ping", "data": .array(Array(repeating: 1, count: 126))],
        ["type": "Close", "data": ["code": 1005]], ["type": "Close", "data": ["code": 999]], ["type": "Close", "data": ["code": 2000]],
        ["type": "Close", "data": ["code": 1000, "reason": .string(String(repeating: "x", count: 124))]],
        ["type": "Close", "data": ["reason": "no code"]],
    ])
    func refusesInvalidMessages(_ json: JSONValue) {
        #expect(throws: InvalidInputError.self) { try self.decode(json) }
    }

    @Test func writesTheJSONTheSeedsListenerReceives() {
        #expect(self.encode(.text("a\"b\\c\nd\u{1}é😀")) == #"{"type":"Text","data":"a\"b\\c\nd\u0001é😀"}"#)
        #expect(self.encode(.binary(ByteBuffer(bytes: [0, 10, 100, 255]))) == #"{"type":"Binary","data":[0,10,100,255]}"#)
        #expect(self.encode(.binary(ByteBuffer(bytes: [0, 10, 100, 255])), binary: .base64) == #"{"type":"Binary","data":"AApk/w=="}"#)
        #expect(self.encode(.binary(ByteBuffer(bytes: [0, 10])), binary: .base64) == #"{"type":"Binary","data":"AAo="}"#)
        #expect(self.encode(.binary(ByteBuffer(bytes: [0, 10, 100])), binary: .base64) == #"{"type":"Binary","data":"AApk"}"#)
        #expect(self.encode(.binary(ByteBuffer()), binary: .base64) == #"{"type":"Binary","data":""}"#)
        #expect(self.encode(.ping(ByteBuffer())) == #"{"type":"Ping","data":[]}"#)
        #expect(self.encode(.pong(ByteBuffer(bytes: [1]))) == #"{"type":"Pong","data":[1]}"#)
        #expect(self.encode(.close(nil)) == #"{"type":"Close","data":null}"#)
        #expect(self.encode(.close(CloseFrame(code: 1001, reason: "Going Away"))) == #"{"type":"Close","data":{"code":1001,"reason":"Going Away"}}"#)
        #expect(self.encode(.text("\u{0}\r\t\u{1F}")) == #"{"type":"Text","data":"\u0000\r\t\u001f"}"#)
    }

    @Test func escapesAreFoundAtEveryOffsetOfLongText() throws {
        for special in ["\"", "\\", "\n", "\u{0}", "\u{1F}"] {
            for offset in 0..<20 {
                let text = String(repeating: "é", count: offset / 2) + String(repeating: "a", count: offset % 2) + special
                    + String(repeating: "z", count: 17)
                var buffer = ByteBuffer()
                buffer.writeJSONString(text)
                let decoded = try JSONDecoder().decode(String.self, from: Data(buffer.readableBytesView))
                #expect(decoded == text)
                #expect(!String(buffer: buffer).dropFirst().dropLast().contains(where: { $0.asciiValue.map { $0 < 0x20 } ?? false }))
            }
        }
    }

    @Test(arguments: [0, 7, 10, 99, 100, 1009, 65535, Int.max, -1, -42, Int.min + 1])
    func decimalsAreWrittenAsSwiftPrintsThem(value: Int) {
        var buffer = ByteBuffer(string: "x")
        buffer.writeDecimal(value)
        buffer.writeDecimal(UInt16(1000))
        #expect(String(buffer: buffer) == "x\(value)1000")
    }

    @Test func errorEventsAreBareJSONStringsInOneSSERecord() {
        let record = ConnectionEvent.error("line one\nline two").serverSentEvent(id: 12, binary: .integerArray)
        #expect(String(buffer: record) == "id: 12\ndata: \"line one\\nline two\"\n\n")
    }
}
