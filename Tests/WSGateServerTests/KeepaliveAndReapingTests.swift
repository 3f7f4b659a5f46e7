import NIOCore
import NIOWebSocket
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// Dead upstreams are noticed by the keepalive; connections nobody uses are closed.
@Suite(.timeLimit(.minutes(2)))
struct KeepaliveAndReapingTests {
    private static let fastKeepalive = #"{"pingIntervalMs": 200, "pingTimeoutMs": 300}"#

    @Test func anUpstreamThatStopsAnsweringIsGivenUpWithAnErrorEvent() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let start = ContinuousClock.now
            let id = try await client.connect(server.url(), config: Self.fastKeepalive)
            let peer = try await server.nextPeer()
            let events = try await client.events(id)
            // The peer neither answers nor closes: a vanished host looks like this.
            #expect(await peer.receive()?.opcode == .ping)
            let remaining = try await events.remainingEvents()
            // An interval of silence, then the timeout after the Ping.
            #expect(ContinuousClock.now - start >= .milliseconds(500))
            #expect(remaining.map(\.json) == ["WebSocket protocol error: no frame from the server within 300 ms of a keepalive Ping"])
            await peer.waitForDisconnect()
            let info = try await client.request(.GET, "/connections/\(id)")
            #expect(info.json["state"] == "closed")
        }
    }

    @Test func theGatewaysOwnPingsAndTheirPongsAreNoEventsButTheClientsAre() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            // A timeout long enough for a busy machine, where the peer answers late: this test is
            // about what is shown.
            let id = try await client.connect(server.url(), config: #"{"pingIntervalMs": 200, "pingTimeoutMs": 60000}"#)
            let peer = try await server.nextPeer()
            let events = try await client.events(id)
            // Three keepalive rounds answered: the connection lives on, and nothing is shown.
            for _ in 0..<3 {
                let ping = try #require(await peer.receive())
                #expect(ping.opcode == .ping)
                try await peer.send(.pong, Array(ping.data.readableBytesView))
            }
            #expect(try await client.send(id, #"{"type": "Ping", "data": [1, 2]}"#).status == 204)
            var clientPing = try #require(await peer.receive())
            while clientPing.data != ByteBuffer(bytes: [1, 2]) { clientPing = try #require(await peer.receive()) }
            try await peer.send(.pong, [1, 2])
            try await peer.sendText("still here")
            #expect(try await events.nextEvent()?.json == ["type": "Pong", "data": [1, 2]])
            #expect(try await events.nextEvent()?.json == ["type": "Text", "data": "still here"])
            #expect(try await client.request(.GET, "/connections/\(id)").json["state"] == "open")
        }
    }

    @Test func aConnectionWithoutSubscriberOrSendIsClosedWithGoingAway() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.pool.idleTimeout = .milliseconds(400) }) { client, _ in
            let start = ContinuousClock.now
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            var close = try #require(await peer.receiveDataOrClose())
            #expect(ContinuousClock.now - start >= .milliseconds(400))
            #expect(close.opcode == .connectionClose)
            #expect(close.data.readInteger(as: UInt16.self) == 1001)
            #expect(close.data.readString(length: close.data.readableBytes) == "Going Away")
            try await peer.sendClose(code: 1001)
            await peer.disconnect()
            // Its history stays readable, ending with the Close.
            let events = try await client.events(id).remainingEvents()
            #expect(events.last?.json == ["type": "Close", "data": ["code": 1001, "reason": ""]])
        }
    }

    @Test func aSubscriberKeepsAConnectionAndItsDepartureStartsTheIdleTime() async throws {
        let server = try await UpstreamServer()
        // Long enough for a busy machine to subscribe before the connection counts as abandoned:
        // CI once took over 3 s from the create to the subscribe, and a full local run over 5 s.
        try await withGateway(.testing { $0.pool.idleTimeout = .seconds(15) }) { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            let events = try await client.events(id)
            // More than an idle timeout passes while subscribed; no event can show that nothing happens.
            try await Task.sleep(for: .seconds(16))
            try await peer.sendText("alive")
            #expect(try await events.nextEvent()?.json == ["type": "Text", "data": "alive"])
            events.response.close()
            let left = ContinuousClock.now
            let close = try #require(await peer.receiveDataOrClose())
            #expect(close.opcode == .connectionClose)
            // The idle time counts from the last check that saw the subscriber, a quarter of it at most before it left.
            #expect(ContinuousClock.now - left >= .milliseconds(15000 * 3 / 4 - 10))
        }
    }

    @Test func theIdleTimeoutCanBeTurnedOffAndTheKeepaliveSetAsServerDefault() async throws {
        #expect(PoolSettings().idleTimeout == .minutes(10))
        let configuration = try await GatewayConfiguration.load(
            file: nil,
            environment: [
                "WSGATE_LIMITS_IDLE_CONNECTION_SECONDS": "0", "WSGATE_CONNECTION_PING_INTERVAL_MS": "0",
                "WSGATE_CONNECTION_PING_TIMEOUT_MS": "2500",
            ]
        )
        #expect(configuration.pool.idleTimeout == nil)
        #expect(configuration.connectionDefaults.pingIntervalMilliseconds == 0)
        #expect(configuration.connectionDefaults.pingTimeoutMilliseconds == 2500)
    }
}
