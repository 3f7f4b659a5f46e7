import Testing
import WSGateServer
import WSGateTestSupport

/// The Host check against DNS rebinding, and CORS.
@Suite(.timeLimit(.minutes(1)))
struct SecurityTests {
    @Test(arguments: ["localhost:8787", "127.0.0.1", "127.1.2.3:80", "[::1]:8787", "app.localhost"])
    func loopbackHostsPass(host: String) async throws {
        try await withGateway { client, _ in
            let response = try await client.request(.GET, "/healthz", headers: [("Host", host)])
            #expect(response.status == 200)
        }
    }

    @Test(arguments: ["evil.example", "evil.example:8787", "10.0.0.1", "127.0.0.1.evil.example"])
    func otherHostsAre403(host: String) async throws {
        try await withGateway { client, _ in
            let response = try await client.request(.GET, "/healthz", headers: [("Host", host)])
            #expect(response.status == 403)
            #expect(response.errorCode == "host_forbidden")
        }
    }

    @Test func allowedHostsPass() async throws {
        try await withGateway(.testing { $0.allowedHosts = ["gateway.lan"] }) { client, _ in
            let response = try await client.request(.GET, "/healthz", headers: [("Host", "gateway.lan:8787")])
            #expect(response.status == 200)
        }
    }

    @Test func anOriginNotAllowedIs403() async throws {
        try await withGateway { client, _ in
            let response = try await client.request(.GET, "/connections", headers: [("Origin", "https://evil.example")])
            #expect(response.status == 403)
            #expect(response.errorCode == "origin_forbidden")
        }
    }

    @Test func anAllowedOriginGetsCORSHeadersAndPreflights() async throws {
        try await withGateway(.testing { $0.allowedOrigins = ["http://localhost:3000"] }) { client, _ in
            let preflight = try await client.request(
                .OPTIONS, "/connections",
                headers: [("Origin", "http://localhost:3000"), ("Access-Control-Request-Method", "POST")]
            )
            #expect(preflight.status == 204)
            #expect(preflight.headers["Access-Control-Allow-Origin"] == ["http://localhost:3000"])
            #expect(preflight.headers["Access-Control-Allow-Methods"] == ["GET, POST, DELETE"])
            #expect(preflight.headers["Access-Control-Allow-Headers"] == ["Content-Type, Authorization, Last-Event-ID"])
            let list = try await client.request(.GET, "/connections", headers: [("Origin", "http://localhost:3000")])
            #expect(list.status == 200)
            #expect(list.headers["Access-Control-Allow-Origin"] == ["http://localhost:3000"])
            #expect(list.headers["Access-Control-Expose-Headers"] == ["Location"])
            let error = try await client.request(.GET, "/connections/none", headers: [("Origin", "http://localhost:3000")])
            #expect(error.status == 404)
            #expect(error.headers["Access-Control-Allow-Origin"] == ["http://localhost:3000"])
        }
    }
}
