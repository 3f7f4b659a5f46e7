import NIOHTTP1
import Testing
@testable import WSGateServer
import WSGateTestSupport

/// The Host check against DNS rebinding, and CORS, on every route of the route table.
@Suite(.timeLimit(.minutes(1)))
struct SecurityTests {
    /// Each route of the table, with `{id}` as an unknown connection id.
    static let routes = RouteTable.api.routes.map { route in
        (method: route.method, path: route.pattern.replacingOccurrences(of: RouteTable.idSegment, with: "unknown-id"))
    }

    /// A request to `route` with `headers`; a POST carries an empty JSON object.
    static func request(
        _ client: GatewayClient, _ route: (method: HTTPMethod, path: String), headers: [(String, String)]
    ) async throws -> TestResponse {
        guard route.method == .POST else { return try await client.request(route.method, route.path, headers: headers) }
        return try await client.post(route.path, json: "{}", headers: headers)
    }

    @Test(arguments: ["localhost:8787", "127.0.0.1", "127.1.2.3:80", "[::1]:8787", "app.localhost"])
    func loopbackHostsPass(host: String) async throws {
        try await withGateway { client, _ in
            let response = try await client.request(.GET, "/healthz", headers: [("Host", host)])
            #expect(response.status == 200)
        }
    }

    @Test(arguments: ["evil.example", "evil.example:8787", "10.0.0.1", "127.0.0.1.evil.example"])
    func otherHostsAre403OnEveryRoute(host: String) async throws {
        try await withGateway { client, _ in
            for route in Self.routes {
                let response = try await Self.request(client, route, headers: [("Host", host)])
                #expect(response.status == 403, "\(route)")
                #expect(response.errorCode == "host_forbidden", "\(route)")
            }
        }
    }

    @Test func allowedHostsPass() async throws {
        try await withGateway(.testing { $0.allowedHosts = ["gateway.lan"] }) { client, _ in
            let response = try await client.request(.GET, "/healthz", headers: [("Host", "gateway.lan:8787")])
            #expect(response.status == 200)
        }
    }

    @Test func anOriginNotAllowedGetsA403ItCanReadOnEveryAPIRouteAndThePublicFiles() async throws {
        let origin = "https://evil.example"
        try await withGateway(.testing { $0.allowedOrigins = ["http://localhost:3000"] }) { client, _ in
            for route in RouteTable.api.routes {
                let path = route.pattern.replacingOccurrences(of: RouteTable.idSegment, with: "unknown-id")
                // The preflight lets the request through, so that the page can read its refusal.
                let preflight = try await client.request(
                    .OPTIONS, path, headers: [("Origin", origin), ("Access-Control-Request-Method", route.method.rawValue)]
                )
                #expect(preflight.status == 204, "\(route)")
                let response = try await Self.request(client, (route.method, path), headers: [("Origin", origin)])
                #expect(response.headers["Access-Control-Allow-Origin"] == [origin], "\(route)")
                if route.endpoint.isPublicFile {
                    #expect(response.status == 200, "\(route)")
                } else {
                    #expect(response.status == 403, "\(route)")
                    #expect(response.errorCode == "origin_forbidden", "\(route)")
                }
            }
        }
    }

    @Test func anAllowedOriginGetsPreflightsAndCORSHeadersOnEveryRoute() async throws {
        let origin = "http://localhost:3000"
        try await withGateway(.testing { $0.allowedOrigins = [origin] }) { client, _ in
            for route in Self.routes {
                let preflight = try await client.request(
                    .OPTIONS, route.path, headers: [("Origin", origin), ("Access-Control-Request-Method", route.method.rawValue)]
                )
                #expect(preflight.status == 204, "\(route)")
                #expect(preflight.headers["Access-Control-Allow-Origin"] == [origin], "\(route)")
                let methods = preflight.headers["Access-Control-Allow-Methods"].first?.split(separator: ", ").map(String.init) ?? []
                #expect(methods.contains(route.method.rawValue), "\(route)")
                #expect(preflight.headers["Access-Control-Allow-Headers"] == ["Content-Type, Authorization, Last-Event-ID"])
                // Whatever the answer (200, or 4xx for the unknown id), the page may read it.
                let response = try await Self.request(client, route, headers: [("Origin", origin)])
                #expect(response.headers["Access-Control-Allow-Origin"] == [origin], "\(route)")
                #expect(response.headers["Access-Control-Expose-Headers"] == ["Location"], "\(route)")
            }
        }
    }
}
