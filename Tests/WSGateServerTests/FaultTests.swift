import Foundation
import NIOCore
import NIOWebSocket
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// Upstreams that misbehave and clients that vanish, on real sockets: each fault ends in an
/// event that says what happened (or in no harm at all), and the gateway serves on.
@Suite(.timeLimit(.minutes(2)))
struct FaultTests {
    private static let resetText = "WebSocket protocol error: Connection reset without closing handshake"

    /// Opens a connection to `server` with a subscriber, runs `fault` on its peer, and returns
    /// every event the subscriber got; checks that the connection ended and the gateway serves on.
    private func events(
        after fault: @Sendable (UpstreamPeer) async throws -> Void, client: GatewayClient, server: UpstreamServer
    ) async throws -> [SSERecord] {
        let id = try await client.connect(server.url())
        let peer = try await server.nextPeer()
        let stream = try await client.events(id)
        try await fault(peer)
        let events = try await stream.remainingEvents()
        // The stream ends with the final event; TCP may end a moment later.
        var state = try await client.request(.GET, "/connections/\(id)").json["state"]
        while state == "closing" { state = try await client.request(.GET, "/connections/\(id)").json["state"] }
        #expect(state == "closed")
        #expect(try await client.request(.GET, "/connections").json == ["connections": []])
        #expect(try await client.request(.GET, "/healthz").status == 200)
        return events
    }

    @Test func aResetInTheMiddleOfAFrameEndsWithAnError() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let events = try await self.events(after: { peer in
                try await peer.sendText("whole")
                // A Text frame announcing 100 bytes, of which 3 arrive.
                try await peer.sendRaw([0x81, 100, 0x61, 0x62, 0x63])
                try await peer.reset()
            }, client: client, server: server)
            #expect(events.map(\.json) == [["type": "Text", "data": "whole"], "IO error: Connection reset by peer (os error 104)"])
        }
    }

    @Test func aHalfCloseWithoutACloseFrameEndsWithAnError() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let events = try await self.events(after: { peer in
                try await peer.sendText("last words")
                try await peer.closeOutput()
                await peer.waitForDisconnect()
            }, client: client, server: server)
            #expect(events.map(\.json) == [["type": "Text", "data": "last words"], .string(Self.resetText)])
        }
    }

    @Test func garbageAfterTheHandshakeIsAProtocolErrorClosedWith1002() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let events = try await self.events(after: { peer in
                // A header with every reserved bit and an undefined opcode, a payload, and more noise.
                try await peer.sendRaw([0xF3, 0x05] + Array("hello".utf8) + [0x13, 0x37, 0x00])
                let close = await peer.receiveDataOrClose()
                var payload = close?.data
                #expect(payload?.readInteger(as: UInt16.self) == 1002)
                try await peer.sendClose(code: 1002)
                await peer.disconnect()
            }, client: client, server: server)
            #expect(events.map(\.json) == ["WebSocket protocol error: Reserved bits are non-zero"])
        }
    }

    @Test func aFrameTrickledOneByteAtATimeArrivesWhole() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let text = String(repeating: "trickle ", count: 40)
            let events = try await self.events(after: { peer in
                // A 320-byte Text frame: 2 header bytes, the 16-bit length, the payload.
                let frame = [0x81, 126, UInt8(text.utf8.count >> 8), UInt8(text.utf8.count & 0xFF)] + Array(text.utf8)
                for byte in frame { try await peer.sendRaw([byte]) }
                try await peer.sendClose(code: 1000)
                _ = await peer.receiveDataOrClose()
                await peer.disconnect()
            }, client: client, server: server)
            #expect(events.map(\.json) == [["type": "Text", "data": .string(text)], ["type": "Close", "data": ["code": 1000, "reason": ""]]])
        }
    }

    @Test func aKilledUpstreamProcessEndsItsConnectionsWithAnError() async throws {
        let upstream = try await PythonWebSocketsServer()
        try await withGateway { client, _ in
            let ids = try await [client.connect(upstream.url()), client.connect(upstream.url())]
            var streams: [EventStreamReader] = []
            for id in ids {
                let stream = try await client.events(id)
                #expect(try await stream.nextEvent()?.event == nil)  // the server's greeting
                streams.append(stream)
            }
            await upstream.kill()
            for stream in streams {
                #expect(try await stream.remainingEvents().map(\.json) == [.string(Self.resetText)])
            }
            #expect(try await client.request(.GET, "/connections").json == ["connections": []])
        }
    }

    @Test func aSubscriberThatVanishesInTheMiddleOfAnEventHarmsNoOther() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            let steady = try await client.events(id)
            // A raw subscriber that reads the start of a large event and vanishes mid-record.
            let vanishing = try await RawConnection(port: client.port)
            try await vanishing.send("GET /connections/\(id)/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            _ = try await vanishing.read(until: "retry: 3000")
            let large = String(repeating: "x", count: 1 << 20)
            try await peer.sendText(large)
            _ = try await vanishing.read(until: #"{"type":"Text","data":"xxxx"#)
            vanishing.close()
            try await peer.sendText("after")
            #expect(try await steady.nextEvent()?.json == ["type": "Text", "data": .string(large)])
            #expect(try await steady.nextEvent()?.json == ["type": "Text", "data": "after"])
            #expect(try await client.request(.GET, "/connections/\(id)").json["subscribers"] == 1)
        }
    }
}
