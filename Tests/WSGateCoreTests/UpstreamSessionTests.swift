import NIOCore
import NIOWebSocket
import Testing
import WSGateCore
import WSGateTestSupport

/// The upstream client's behaviour on real sockets against scripted servers.
@Suite(.timeLimit(.minutes(1)))
struct UpstreamSessionTests {
    @Test func everyMessageShapeBecomesAnEvent() async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        let events = try SubscriptionReader(connection.history)
        try await peer.sendText("héllo\nworld")
        try await peer.send(.binary, [0, 1, 255])
        try await peer.send(.pong, [4, 2])
        try await peer.sendClose(code: 4001, reason: "done")
        let records = await events.remaining()
        #expect(records.map(\.id) == [1, 2, 3, 4])
        #expect(records.map(\.json) == [
            ["type": "Text", "data": "héllo\nworld"],
            ["type": "Binary", "data": [0, 1, 255]],
            ["type": "Pong", "data": [4, 2]],
            ["type": "Close", "data": ["code": 4001, "reason": "done"]],
        ])
    }

    @Test func fragmentedMessagesAreReassembledAroundControlFrames() async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        let events = try SubscriptionReader(connection.history)
        try await peer.send(.text, Array("frag".utf8), fin: false)
        try await peer.send(.ping, [9])
        try await peer.send(.continuation, Array("men".utf8), fin: false)
        try await peer.send(.continuation, Array("ted".utf8), fin: true)
        try await peer.send(.binary, [1], fin: false)
        try await peer.send(.continuation, [2, 3], fin: true)
        #expect(await events.nextJSON() == ["type": "Ping", "data": [9]])
        #expect(await events.nextJSON() == ["type": "Text", "data": "fragmented"])
        #expect(await events.nextJSON() == ["type": "Binary", "data": [1, 2, 3]])
    }

    @Test func aPingIsShownAndAnsweredWithItsPayload() async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        let events = try SubscriptionReader(connection.history)
        try await peer.send(.ping, [1, 2, 3])
        #expect(await events.nextJSON() == ["type": "Ping", "data": [1, 2, 3]])
        let pong = await peer.receive()
        #expect(pong?.opcode == .pong)
        #expect(pong.map { Array($0.data.readableBytesView) } == [1, 2, 3])
    }

    @Test func aCloseWithoutPayloadIsAnsweredAndShownAsNull() async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        try await peer.sendClose(code: nil)
        let reply = await peer.receive()
        #expect(reply?.opcode == .connectionClose)
        #expect(reply?.data.readableBytes == 0)
        await peer.disconnect()
        let outcome = try await connection.ended.get()
        #expect(outcome.isClean)
        let events = try SubscriptionReader(connection.history)
        #expect(await events.remaining().map(\.json) == [["type": "Close", "data": nil]])
    }

    @Test func aCloseWithPayloadIsEchoed() async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        try await peer.sendClose(code: 1001, reason: "server restart")
        let reply = await peer.receive()
        #expect(reply?.opcode == .connectionClose)
        var payload = reply?.data ?? ByteBuffer()
        #expect(payload.readInteger(as: UInt16.self) == 1001)
        await peer.disconnect()
        #expect(try await connection.ended.get().received == CloseFrame(code: 1001, reason: "server restart"))
    }

    /// Invalid UTF-8 in a whole message, and in a first fragment of one that never ends (fail
    /// fast): whole characters, and a fragment ending in 0xF4 0x90, which begins a code point
    /// above U+10FFFF that no later fragment can complete.
    @Test(arguments: [
        (bytes: [0x68, 0xC3, 0x28] as [UInt8], fin: true),
        (bytes: [0xCE, 0xBA, 0xF4, 0x90, 0x80, 0x80], fin: false),
        (bytes: [0x61, 0xF4, 0x90], fin: false),
    ])
    func invalidUTF8ClosesWith1007AndAnErrorEvent(bytes: [UInt8], fin: Bool) async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        let events = try SubscriptionReader(connection.history)
        try await peer.send(.text, bytes, fin: fin)
        #expect(await self.closeCode(from: peer) == 1007)
        #expect(await events.nextJSON() == "UTF-8 encoding error")
        await peer.disconnect()
        #expect(await events.next() == nil)
    }

    @Test func aCharacterSplitAcrossFragmentsIsKept() async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        let events = try SubscriptionReader(connection.history)
        // "a€b" with the three bytes of "€" (E2 82 AC) spread over three fragments.
        try await peer.send(.text, [0x61, 0xE2], fin: false)
        try await peer.send(.continuation, [0x82], fin: false)
        try await peer.send(.continuation, [0xAC, 0x62], fin: true)
        #expect(await events.nextJSON() == ["type": "Text", "data": "a€b"])
        // U+10000 (F0 90 80 80) cut after its lead byte, whose smallest next byte is 0x90.
        try await peer.send(.text, [0xF0], fin: false)
        try await peer.send(.continuation, [0x90, 0x80, 0x80], fin: true)
        #expect(await events.nextJSON() == ["type": "Text", "data": "\u{10000}"])
    }

    @Test func aMessageOverMaxMessageSizeClosesWith1009() async throws {
        var config = ConnectionConfig()
        config.maxMessageSize = 10
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server, config: config)
        let events = try SubscriptionReader(connection.history)
        try await peer.send(.binary, Array(repeating: 1, count: 6), fin: false)
        try await peer.send(.continuation, Array(repeating: 2, count: 6), fin: true)
        #expect(await self.closeCode(from: peer) == 1009)
        #expect(await events.nextJSON() == "Space limit exceeded: Message too long: 12 > 10")
    }

    @Test func aFrameOverMaxFrameSizeIsRefusedOnItsHeader() async throws {
        var config = ConnectionConfig()
        config.maxFrameSize = 1000
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server, config: config)
        let events = try SubscriptionReader(connection.history)
        // Only the header of a 70,000,000-byte frame is sent: the limit must hold without the payload.
        try await peer.sendRaw([0x82, 127] + withUnsafeBytes(of: UInt64(70_000_000).bigEndian, Array.init))
        #expect(await self.closeCode(from: peer) == 1009)
        #expect(await events.nextJSON() == "Space limit exceeded: Message too long: 70000000 > 1000")
    }

    @Test func underNoneAnAbsurdFrameLengthMeetsTheGatewaysCeilingNotACrash() async throws {
        var config = ConnectionConfig()
        config.maxFrameSize = nil
        config.maxMessageSize = nil
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server, config: config)
        let events = try SubscriptionReader(connection.history)
        try await peer.sendRaw([0x82, 127, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(await self.closeCode(from: peer) == 1009)
        #expect(await events.nextJSON() == .string("Space limit exceeded: Message too long: \(UInt64.max) > \(ConnectionConfig.largestMessage)"))
    }

    @Test func noneLiftsTheLimitsPastTheirDefaults() async throws {
        var config = ConnectionConfig()
        config.maxFrameSize = nil
        config.maxMessageSize = nil
        let server = try await UpstreamServer()
        // The 22 MB record pauses the upstream; under a loaded debug build, the reader may take
        // longer than the default 3 s to come for it, and must not be cut off as stalled.
        let (connection, peer) = try await connect(to: server, config: config) { $0.history.stallTimeout = .seconds(120) }
        guard case .stream(let subscription) = try connection.history.subscribe(from: .beginning, binaryEncoding: .base64) else {
            Issue.record("no event stream")
            return
        }
        let size = (16 << 20) + 1
        try await peer.send(.binary, Array(repeating: 7, count: size))
        // Read the raw record: parsing 22 MB of JSON in a debug build would dominate the test.
        var record = ByteBuffer()
        for buffer in await SubscriptionReader(subscription).nextBatch() ?? [] { record.writeImmutableBuffer(buffer) }
        let prefix = "id: 1\ndata: {\"type\":\"Binary\",\"data\":\""
        #expect(record.readString(length: prefix.utf8.count) == prefix)
        let base64 = record.readString(length: record.readableBytes - 4) ?? ""
        #expect(record.readString(length: 4) == "\"}\n\n")
        #expect(Base64.decode(base64) == Array(repeating: 7, count: size))
    }

    @Test(arguments: [
        ([0x81, 0x82, 1, 2, 3, 4, 0x69, 0x6b] as [UInt8], "Received a masked frame from server"),
        ([0xC1, 0x00], "Reserved bits are non-zero"),
        ([0x83, 0x00], "Encountered invalid opcode: 3"),
        ([0x09, 0x00], "Fragmented control frame"),
        ([0x80, 0x00], "Continue frame but nothing to continue"),
        ([0x88, 0x01, 0x03], "Invalid close sequence: a close payload of one byte"),
        ([0x88, 0x02, 0x03, 0xED], "Invalid close sequence: close code 1005 may not be sent"),
    ])
    func protocolViolationsCloseWith1002(frame: [UInt8], error: String) async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        let events = try SubscriptionReader(connection.history)
        try await peer.sendRaw(frame)
        #expect(await self.closeCode(from: peer) == 1002)
        #expect(await events.nextJSON() == .string("WebSocket protocol error: \(error)"))
    }

    @Test func aControlFrameOver125BytesIsAProtocolError() async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        let events = try SubscriptionReader(connection.history)
        try await peer.sendRaw([0x89, 126, 0, 126] + Array(repeating: 0, count: 126))
        #expect(await self.closeCode(from: peer) == 1002)
        #expect(await events.nextJSON() == "WebSocket protocol error: Control frame too big (payload must be 125 bytes or less)")
    }

    @Test func aResetWithoutClosingHandshakeIsReported() async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        let events = try SubscriptionReader(connection.history)
        try await peer.sendText("last words")
        await peer.disconnect()
        #expect(await events.remaining().map(\.json) == [
            ["type": "Text", "data": "last words"],
            "WebSocket protocol error: Connection reset without closing handshake",
        ])
        #expect(try await connection.ended.get().isClean == false)
    }

    @Test func sentMessagesArriveMaskedAndIntact() async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        try await connection.send([.text("ünï"), .binary(ByteBuffer(bytes: [5, 6])), .ping(ByteBuffer(bytes: [1]))])
        let frames = [await peer.receive(), await peer.receive(), await peer.receive()]
        #expect(frames.map { $0?.opcode } == [.text, .binary, .ping])
        #expect(frames.map { $0.map { Array($0.data.readableBytesView) } } == [Array("ünï".utf8), [5, 6], [1]])
    }

    @Test func sendingAfterCloseFailsWithTheCloseFrame() async throws {
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server)
        try await connection.send([.close(CloseFrame(code: 4000, reason: "bye"))])
        #expect(await peer.receive()?.opcode == .connectionClose)
        await #expect(throws: SendError.connectionClosed(CloseFrame(code: 4000, reason: "bye"))) {
            try await connection.send([.text("too late")])
        }
    }

    @Test func theWriteBufferLimitRefusesWhatWouldOverflowIt() async throws {
        var config = ConnectionConfig()
        config.writeBufferSize = 0
        config.maxWriteBufferSize = 1 << 20
        let server = try await UpstreamServer()
        let (connection, peer) = try await connect(to: server, config: config)
        try await peer.stopReading()
        let chunk = Message.binary(ByteBuffer(repeating: 1, count: 256 * 1024))
        // 40 concurrent sends of 256 KiB: the socket's buffers take a few, the limit must refuse some.
        let refusals = await withTaskGroup(of: SendError?.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    do {
                        try await connection.send([chunk])
                        return nil
                    } catch {
                        return error as? SendError
                    }
                }
            }
            var refusals: [SendError] = []
            for await case let refusal? in group {
                guard case .writeBufferFull = refusal else { continue }
                refusals.append(refusal)
                // The sends still queued complete only when the connection goes away.
                if refusals.count == 1 { await peer.disconnect() }
            }
            return refusals
        }
        #expect(!refusals.isEmpty)
        for case .writeBufferFull(let queued, let limit) in refusals {
            #expect(limit == 1 << 20)
            #expect(queued > 0 && queued <= limit)
        }
    }

    private func closeCode(from peer: UpstreamPeer) async -> UInt16? {
        guard let frame = await peer.receiveDataOrClose(), frame.opcode == .connectionClose else { return nil }
        var payload = frame.data
        return payload.readInteger(as: UInt16.self)
    }
}
