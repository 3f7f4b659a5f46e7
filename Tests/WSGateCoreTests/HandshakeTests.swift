import NIOCore
import NIOWebSocket
import Testing
import WSGateCore
import WSGateTestSupport

/// The opening handshake: what the gateway asks for and what it accepts in answer.
@Suite(.timeLimit(.minutes(1)))
struct HandshakeTests {
    private func open(_ url: String, _ configure: (inout ConnectionConfig) -> Void = { _ in }) async throws -> Connection {
        var config = ConnectionConfig()
        configure(&config)
        return try await makePool().open(WebSocketURL(url), config: config)
    }

    @Test func headersPathAndSubprotocolsReachTheUpstream() async throws {
        let server = try await UpstreamServer(handshake: .accept(subprotocol: "chat.v2"))
        let connection = try await self.open(server.url("/room/1?token=a%2Fb")) { config in
            config.headers = [.init(name: "Authorization", value: "Bearer secret"), .init(name: "X-Trace", value: "42")]
            config.protocols = ["chat.v1", "chat.v2"]
        }
        #expect(connection.subprotocol == "chat.v2")
        let request = try #require(server.requests.first)
        #expect(request.uri == "/room/1?token=a%2Fb")
        #expect(request.headers["Authorization"] == ["Bearer secret"])
        #expect(request.headers["X-Trace"] == ["42"])
        #expect(request.headers["Sec-WebSocket-Protocol"] == ["chat.v1, chat.v2"])
        #expect(request.headers["Host"] == ["127.0.0.1:\(server.port)"])
    }

    @Test func frameBytesRightBehindTheResponseAreReadAndACloseAmongThemAnswered() async throws {
        var close = ByteBuffer()
        close.writeInteger(UInt16(1000))
        let server = try await UpstreamServer(greeting: [
            WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "count: 7")),
            WebSocketFrame(fin: true, opcode: .connectionClose, data: close),
        ])
        let connection = try await self.open(server.url())
        let peer = try await server.nextPeer()
        #expect(await peer.receive()?.opcode == .connectionClose)
        await peer.disconnect()
        let events = try SubscriptionReader(connection.history)
        #expect(await events.remaining().map(\.json) == [
            ["type": "Text", "data": "count: 7"], ["type": "Close", "data": ["code": 1000, "reason": ""]],
        ])
    }

    @Test func aHostHeaderFromTheConfigReplacesTheDefault() async throws {
        let server = try await UpstreamServer()
        _ = try await self.open(server.url()) { $0.headers = [.init(name: "host", value: "example.org")] }
        #expect(server.requests.first?.headers["Host"] == ["example.org"])
    }

    @Test func aSubprotocolThatWasNotOfferedFailsTheHandshake() async throws {
        let server = try await UpstreamServer(handshake: .accept(subprotocol: "other"))
        await #expect(throws: UpstreamConnectError.handshakeFailed(status: 101, "The server chose the subprotocol \"other\", which was not offered.")) {
            try await self.open(server.url()) { $0.protocols = ["chat"] }
        }
    }

    @Test func noSubprotocolWhenSomeWereOfferedFailsTheHandshake() async throws {
        let server = try await UpstreamServer()
        await #expect(throws: UpstreamConnectError.handshakeFailed(status: 101, "The server chose none of the offered subprotocols.")) {
            try await self.open(server.url()) { $0.protocols = ["chat"] }
        }
    }

    @Test func aRefusedUpgradeReportsTheStatus() async throws {
        let server = try await UpstreamServer(handshake: .reject(status: 403))
        await #expect(throws: UpstreamConnectError.handshakeFailed(status: 403, "The server answered 403 Forbidden instead of 101 Switching Protocols.")) {
            try await self.open(server.url())
        }
    }

    @Test func aSilentServerTimesOut() async throws {
        let server = try await UpstreamServer(handshake: .ignore)
        let start = ContinuousClock.now
        await #expect(throws: UpstreamConnectError.timedOut(milliseconds: 300)) {
            try await self.open(server.url()) { $0.connectTimeoutMilliseconds = 300 }
        }
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test func aRefusedTCPConnectionFailsToConnect() async throws {
        let server = try await UpstreamServer()
        let url = server.url()
        try await server.close()
        await #expect {
            try await self.open(url)
        } throws: { error in
            if case .connectFailed? = error as? UpstreamConnectError { true } else { false }
        }
    }

    @Test func anUntrustedCertificateFailsTLS() async throws {
        let server = try await UpstreamServer(tls: SelfSignedCertificate.identity)
        await #expect {
            try await self.open(server.url(secure: true))
        } throws: { error in
            if case .tlsFailed? = error as? UpstreamConnectError { true } else { false }
        }
    }

    @Test func shutdownEndsEveryConnectionWithinItsTimeout() async throws {
        let server = try await UpstreamServer()
        let pool = makePool { $0.closeTimeout = .seconds(30) }
        let silent = try await pool.open(WebSocketURL(server.url()), config: ConnectionConfig())
        let silentPeer = try await server.nextPeer()
        let polite = try await pool.open(WebSocketURL(server.url()), config: ConnectionConfig())
        let politePeer = try await server.nextPeer()
        // Closed by the upstream, which keeps TCP open after the handshake.
        let finished = try await pool.open(WebSocketURL(server.url()), config: ConnectionConfig())
        let finishedPeer = try await server.nextPeer()
        try await finishedPeer.sendClose(code: 1000)
        #expect(await finishedPeer.receive()?.opcode == .connectionClose)
        let answer = Task {
            let close = await politePeer.receive()
            try await politePeer.sendClose(code: 1001, reason: "Going Away")
            return close
        }
        // The answer timeout, not the 30 s close timeout, bounds the shutdown; it leaves the polite
        // peer time to answer on a busy machine.
        let start = ContinuousClock.now
        await pool.shutdown(answerTimeout: .seconds(4))
        #expect(ContinuousClock.now - start < .seconds(15))
        var payload = try await answer.value?.data ?? ByteBuffer()
        #expect(payload.readInteger(as: UInt16.self) == 1001)
        #expect(try await polite.ended.get().isClean)
        #expect(try await silent.ended.get().isClean == false)
        #expect(try await finished.ended.get().isClean)
        #expect(await silentPeer.receive()?.opcode == .connectionClose)
        await #expect(throws: PoolError.shuttingDown) {
            try await pool.open(WebSocketURL(server.url()), config: ConnectionConfig())
        }
    }

    @Test func thePoolRefusesConnectionsPastItsLimit() async throws {
        let server = try await UpstreamServer()
        let pool = makePool { $0.maxConnections = 1 }
        let first = try await pool.open(WebSocketURL(server.url()), config: ConnectionConfig())
        await #expect(throws: PoolError.capacityExhausted(limit: 1)) {
            try await pool.open(WebSocketURL(server.url()), config: ConnectionConfig())
        }
        _ = await first.closeAndAwaitEnd(nil)
        _ = try await pool.open(WebSocketURL(server.url()), config: ConnectionConfig())
    }
}
