import NIOCore
import NIOHTTP1
import Testing
@testable import WSGateCore

/// The response head reader that the WebSocket handshake and the proxy tunnel share.
struct HTTPResponseHeadReaderTests {
    private let switching = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection:Upgrade \r\nX-Empty:\r\n\r\n"

    @Test func aHeadSplitAtEveryByteIsReadWithTheBytesAfterIt() throws {
        let bytes = Array(self.switching.utf8) + [0x81, 2, UInt8(ascii: "h"), UInt8(ascii: "i")]
        for split in 1..<bytes.count {
            var reader = HTTPResponseHeadReader(maxSize: 1024)
            let second = ByteBuffer(bytes: bytes[split...])
            var answer = try reader.read(ByteBuffer(bytes: bytes[..<split]))
            // A head complete in the first read leaves the rest to what the channel reads next.
            if answer == nil { answer = try reader.read(second) } else { answer?.rest.writeImmutableBuffer(second) }
            let (head, rest) = try #require(answer)
            #expect(head.version == .http1_1)
            #expect(head.status == .switchingProtocols)
            #expect(head.status.reasonPhrase == "Switching Protocols")
            #expect(head.headers["upgrade"] == ["websocket"])
            #expect(head.headers["Connection"] == ["Upgrade"])
            #expect(head.headers["X-Empty"] == [""])
            #expect(Array(rest.readableBytesView) == [0x81, 2, UInt8(ascii: "h"), UInt8(ascii: "i")])
        }
    }

    @Test func aStatusLineWithoutAReasonIsRead() throws {
        var reader = HTTPResponseHeadReader(maxSize: 1024)
        let (head, rest) = try #require(try reader.read(ByteBuffer(string: "HTTP/1.0 200\r\n\r\n")))
        #expect(head.version == .http1_0)
        #expect(head.status.code == 200)
        #expect(rest.readableBytes == 0)
    }

    @Test(arguments: [
        "HTTP/2 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 1O1 Switching Protocols\r\n\r\n",
        "HTTP/1.1 101x\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade websocket\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUp grade: websocket\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n folded\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: web\u{0}socket\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: web\rsocket\r\n\r\n",
    ])
    func aMalformedHeadIsRefused(_ text: String) {
        var reader = HTTPResponseHeadReader(maxSize: 1024)
        #expect {
            try reader.read(ByteBuffer(string: text))
        } throws: { error in
            guard case .malformed? = error as? HTTPResponseHeadReader.Failure else { return false }
            return true
        }
    }

    @Test func aHeadLargerThanTheLimitIsRefusedBeforeItEnds() throws {
        var reader = HTTPResponseHeadReader(maxSize: 100)
        #expect(try reader.read(ByteBuffer(string: "HTTP/1.1 101 OK\r\n")) == nil)
        #expect(throws: HTTPResponseHeadReader.Failure.tooLarge(limit: 100)) {
            try reader.read(ByteBuffer(string: "X-Padding: " + String(repeating: "a", count: 100)))
        }
        var complete = HTTPResponseHeadReader(maxSize: 20)
        #expect(throws: HTTPResponseHeadReader.Failure.tooLarge(limit: 20)) {
            try complete.read(ByteBuffer(string: "HTTP/1.1 101 Switching Protocols\r\n\r\n"))
        }
    }
}
