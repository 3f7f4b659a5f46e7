import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// The egress policy, checked on the addresses a name resolves to, just before connecting.
@Suite(.timeLimit(.minutes(1)))
struct EgressTests {
    private static func policy(allow: [String] = [], deny: [String] = []) throws -> EgressPolicy {
        EgressPolicy(allow: try allow.map { try EgressRule($0) }, deny: try deny.map { try EgressRule($0) })
    }

    @Test func aDeniedAddressIsRefusedByAddressAndByANameThatResolvesToIt() async throws {
        let server = try await UpstreamServer()
        let policy = try Self.policy(deny: ["127.0.0.0/8", "[::1/128]"])
        try await withGateway(.testing { $0.pool.egress = policy }) { client, _ in
            for url in [server.url(), "ws://localhost:\(server.port)/"] {
                let response = try await client.post("/connections", json: #"{"url": "\#(url)"}"#)
                #expect(response.status == 403, "\(url)")
                #expect(response.errorCode == "upstream_forbidden", "\(url)")
                #expect(response.text.contains("The egress policy denies"), "\(response.text)")
            }
            // Refused before any connection was made.
            #expect(server.requests.isEmpty)
        }
    }

    @Test func anAllowListLetsOnlyWhatItNames() async throws {
        let server = try await UpstreamServer()
        let policy = try Self.policy(allow: ["ws://localhost:\(server.port)"])
        try await withGateway(.testing { $0.pool.egress = policy }) { client, _ in
            _ = try await client.connect("ws://localhost:\(server.port)/")
            let byAddress = try await client.post("/connections", json: #"{"url": "\#(server.url())"}"#)
            #expect(byAddress.errorCode == "upstream_forbidden")
            let otherPort = try await client.post("/connections", json: #"{"url": "ws://localhost:\#(server.port + 1)/"}"#)
            #expect(otherPort.errorCode == "upstream_forbidden")
            let secure = try await client.post("/connections", json: #"{"url": "wss://localhost:\#(server.port)/"}"#)
            #expect(secure.errorCode == "upstream_forbidden")
        }
    }

    @Test func aNameConnectsOnlyToItsAllowedAddresses() async throws {
        // localhost resolves to ::1 and 127.0.0.1; the server listens on 127.0.0.1 only, so the
        // connection succeeds only if ::1, which the policy denies, is skipped.
        let server = try await UpstreamServer()
        let policy = try Self.policy(allow: ["127.0.0.1"])
        try await withGateway(.testing { $0.pool.egress = policy }) { client, _ in
            _ = try await client.connect("ws://localhost:\(server.port)/")
            #expect(server.requests.count == 1)
        }
    }

    @Test func theRulesAreReadFromTheConfiguration() async throws {
        let configuration = try await GatewayConfiguration.load(
            file: nil, environment: ["WSGATE_EGRESS_ALLOW": "wss://*.example.com:443", "WSGATE_EGRESS_DENY": "10.0.0.0/8,[fc00::/7]"]
        )
        #expect(configuration.pool.egress == (try Self.policy(allow: ["wss://*.example.com:443"], deny: ["10.0.0.0/8", "[fc00::/7]"])))
        await #expect(throws: InvalidInputError.self) {
            try await GatewayConfiguration.load(file: nil, environment: ["WSGATE_EGRESS_DENY": "10.0.0.0/99"])
        }
    }
}
