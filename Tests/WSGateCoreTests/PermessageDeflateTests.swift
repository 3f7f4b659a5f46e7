import CompressNIO
import NIOCore
import NIOWebSocket
import Testing
import WSGateCore
import WSGateTestSupport

/// permessage-deflate against scripted servers: negotiation, both directions, and the limit on
/// the inflated size.
@Suite(.timeLimit(.minutes(1)))
struct PermessageDeflateTests {
    private var compressed: ConnectionConfig {
        var config = ConnectionConfig()
        config.compression = true
        return config
    }

    /// `text` deflated as a permessage-deflate sender does: raw deflate, sync flush, tail removed.
    private static func deflate(_ bytes: [UInt8]) throws -> ByteBuffer {
        let compressor = try ZlibCompressor(algorithm: .deflate)
        var input = ByteBuffer(bytes: bytes)
        var output = ByteBuffer()
        output.reserveCapacity(compressor.maxSize(from: input) + 16)
        try compressor.deflate(from: &input, to: &output, flush: .sync)
        output.moveWriterIndex(to: output.writerIndex - 4)
        return output
    }

    private static func inflate(_ payload: ByteBuffer) throws -> [UInt8] {
        let decompressor = try ZlibDecompressor(algorithm: .deflate)
        var input = payload
        input.writeBytes([0, 0, 0xFF, 0xFF])
        var output = ByteBuffer()
        output.reserveCapacity(1 << 20)
        do {
            try decompressor.inflate(from: &input, to: &output)
        } catch let error as CompressNIOError where error == .inputBufferOverflow {
            // All input consumed: the normal end of a sync-flushed message.
        }
        return Array(output.readableBytesView)
    }

    @Test func compressionIsOfferedOnlyWhenAskedFor() async throws {
        let server = try await UpstreamServer()
        _ = try await makePool().open(WebSocketURL(server.url()), config: self.compressed)
        _ = try await makePool().open(WebSocketURL(server.url()), config: ConnectionConfig())
        #expect(server.requests.map { $0.headers["Sec-WebSocket-Extensions"] } == [["permessage-deflate; client_max_window_bits"], []])
    }

    @Test func compressedMessagesAreInflatedAndSentMessagesDeflated() async throws {
        let server = try await UpstreamServer(extensions: "permessage-deflate")
        let (connection, peer) = try await connect(to: server, config: self.compressed)
        let text = String(repeating: "compress me, ", count: 200)
        let fragmented = try Self.deflate(Array(text.utf8))
        let half = fragmented.readableBytes / 2
        try await peer.send(WebSocketFrame(fin: false, rsv1: true, opcode: .text, data: fragmented.getSlice(at: 0, length: half)!))
        try await peer.send(WebSocketFrame(fin: true, opcode: .continuation, data: fragmented.getSlice(at: half, length: fragmented.readableBytes - half)!))
        try await peer.send(.binary, [1, 2, 3])
        let events = try SubscriptionReader(connection.history)
        #expect(await events.nextJSON() == ["type": "Text", "data": .string(text)])
        #expect(await events.nextJSON() == ["type": "Binary", "data": [1, 2, 3]])

        try await connection.send([.text(text), .binary(ByteBuffer())])
        let sent = try #require(await peer.receive())
        #expect(sent.rsv1)
        #expect(sent.length < text.utf8.count / 4)
        #expect(try Self.inflate(sent.data) == Array(text.utf8))
        let empty = try #require(await peer.receive())
        #expect(!empty.rsv1 && empty.length == 0)
    }

    @Test func aDecompressionBombIsCutOffAtTheLimitWith1009() async throws {
        var config = self.compressed
        config.maxMessageSize = 64 * 1024
        let server = try await UpstreamServer(extensions: "permessage-deflate")
        let (connection, peer) = try await connect(to: server, config: config)
        let bomb = try Self.deflate(Array(repeating: 0, count: 32 << 20))
        #expect(bomb.readableBytes < 64 * 1024)
        try await peer.send(WebSocketFrame(fin: true, rsv1: true, opcode: .binary, data: bomb))
        let close = try #require(await peer.receiveDataOrClose())
        var payload = close.data
        #expect(payload.readInteger(as: UInt16.self) == 1009)
        let events = try SubscriptionReader(connection.history)
        guard case .string(let error)? = await events.nextJSON() else {
            Issue.record("no error event")
            return
        }
        // Inflating stopped one scratch buffer past the limit, not at the bomb's 32 MiB.
        let size = Int(error.split(separator: " ")[6]) ?? 0
        #expect(error.hasPrefix("Space limit exceeded: Message too long: ") && error.hasSuffix(" > 65536"))
        #expect(size > 65536 && size <= 65536 + 64 * 1024)
    }

    /// Found by the inflater fuzz target: a final DEFLATE block, then the sync-flush tail the
    /// gateway appends, spun the event loop for ever on bytes zlib would no longer take.
    @Test func bytesAfterAFinalDeflateBlockAreAProtocolErrorNotASpin() async throws {
        let server = try await UpstreamServer(extensions: "permessage-deflate")
        let (connection, peer) = try await connect(to: server, config: self.compressed)
        try await peer.send(WebSocketFrame(fin: true, rsv1: true, opcode: .text, data: ByteBuffer(bytes: [0x03, 0x00])))
        var close = try #require(await peer.receiveDataOrClose()).data
        #expect(close.readInteger(as: UInt16.self) == 1002)
        let events = try SubscriptionReader(connection.history)
        #expect(await events.nextJSON() == "WebSocket protocol error: Invalid compressed data: bytes after the end of the DEFLATE stream")
    }

    @Test func rsv1WithoutTheExtensionIsStillAProtocolError() async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server, config: self.compressed)
        try await peer.send(WebSocketFrame(fin: true, rsv1: true, opcode: .text, data: ByteBuffer(string: "x")))
        let events = try SubscriptionReader(connection.history)
        #expect(await events.nextJSON() == "WebSocket protocol error: Reserved bits are non-zero")
    }

    @Test(arguments: [
        "permessage-deflate; server_max_window_bits=16", "permessage-deflate; client_max_window_bits",
        "permessage-deflate; unknown", "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "x-webkit-deflate-frame", "permessage-deflate, permessage-deflate",
    ])
    func anUnacceptableAnswerFailsTheHandshake(extensions: String) async throws {
        let server = try await UpstreamServer(extensions: extensions)
        await #expect {
            try await makePool().open(WebSocketURL(server.url()), config: self.compressed)
        } throws: { error in
            if case .handshakeFailed(101, _)? = error as? UpstreamConnectError { true } else { false }
        }
    }

    @Test func negotiatedParametersAreHonoured() async throws {
        let server = try await UpstreamServer(
            extensions: "permessage-deflate; client_no_context_takeover; server_no_context_takeover; client_max_window_bits=9"
        )
        let (connection, peer) = try await connect(to: server, config: self.compressed)
        let text = String(repeating: "abcdefgh", count: 100)
        // Without context takeover each message stands alone, so the same text compresses the same.
        try await connection.send([.text(text), .text(text)])
        let first = try #require(await peer.receive())
        let second = try #require(await peer.receive())
        #expect(first.data == second.data)
        #expect(try Self.inflate(second.data) == Array(text.utf8))
        for _ in 0..<2 { try await peer.send(WebSocketFrame(fin: true, rsv1: true, opcode: .text, data: try Self.deflate(Array(text.utf8)))) }
        let events = try SubscriptionReader(connection.history)
        #expect(await events.nextJSON() == ["type": "Text", "data": .string(text)])
        #expect(await events.nextJSON() == ["type": "Text", "data": .string(text)])
    }
}
