import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// Subscribers per connection, event streams in total, connections per client: each limit has
/// its own error code and a `Retry-After`.
@Suite(.timeLimit(.minutes(1)))
struct LimitsTests {
    /// The status of a stream request to `path` once it is no longer refused with `refusal`: a
    /// slot comes back when the server has seen the client's stream end, a moment after the client.
    private static func statusOnceRefusalsEnd(_ client: GatewayClient, _ path: String, refusal: Int) async throws -> Int {
        while true {
            let response = try await client.open(.GET, path)
            response.close()
            if response.status != refusal { return response.status }
        }
    }

    @Test func aConnectionTakesAtMostItsSubscribers() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.pool.history.maxSubscribers = 2 }) { client, _ in
            let id = try await client.connect(server.url())
            let first = try await client.events(id)
            let second = try await client.events(id)
            let third = try await client.request(.GET, "/connections/\(id)/events")
            #expect(third.status == 429)
            #expect(third.errorCode == "too_many_subscribers")
            #expect(third.headers["Retry-After"] == ["1"])
            // A stream of several connections is refused whole, and holds no member meanwhile.
            let other = try await client.connect(server.url())
            let multiplexed = try await client.request(.GET, "/events?connections=\(other),\(id)")
            #expect(multiplexed.errorCode == "too_many_subscribers")
            #expect(try await client.request(.GET, "/connections/\(other)").json["subscribers"] == 0)
            // A subscriber that leaves makes room.
            first.response.close()
            try await first.response.channel.closeFuture.get()
            #expect(try await Self.statusOnceRefusalsEnd(client, "/connections/\(id)/events", refusal: 429) == 200)
            second.response.close()
        }
    }

    @Test func theGatewayServesAtMostItsEventStreams() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.http.maxEventStreams = 1 }) { client, _ in
            let a = try await client.connect(server.url())
            let b = try await client.connect(server.url())
            let stream = try await client.events(a)
            let refused = try await client.request(.GET, "/connections/\(b)/events")
            #expect(refused.status == 503)
            #expect(refused.errorCode == "too_many_streams")
            #expect(refused.headers["Retry-After"] == ["1"])
            #expect(try await client.request(.GET, "/connections/\(b)").json["subscribers"] == 0)
            stream.response.close()
            try await stream.response.channel.closeFuture.get()
            #expect(try await Self.statusOnceRefusalsEnd(client, "/connections/\(b)/events", refusal: 503) == 200)
        }
    }

    @Test func aClientAddressOpensAtMostItsConnections() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.pool.maxConnectionsPerClient = 2 }) { client, _ in
            let first = try await client.connect(server.url())
            _ = try await client.connect(server.url())
            let refused = try await client.post("/connections", json: #"{"url": "\#(server.url())"}"#)
            #expect(refused.status == 429)
            #expect(refused.errorCode == "too_many_connections")
            #expect(refused.headers["Retry-After"] == ["1"])
            let peer = try await server.nextPeer()
            let closing = Task { () async -> Void in
                _ = await peer.receiveDataOrClose()
                // On a loaded machine the gateway may have given up waiting; the slot frees either way.
                try? await peer.sendClose(code: 1000)
                await peer.disconnect()
            }
            #expect(try await client.request(.DELETE, "/connections/\(first)").status == 200)
            await closing.value
            _ = try await client.connect(server.url())
        }
    }
}
