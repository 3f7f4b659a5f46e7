import NIOCore
import NIOHTTP1
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// `POST /connections`.
@Suite(.timeLimit(.minutes(1)))
struct ConnectEndpointTests {
    @Test func answers201WithTheConnectionAndItsLocation() async throws {
        let server = try await UpstreamServer(handshake: .accept(subprotocol: "chat"))
        try await withGateway { client, _ in
            let response = try await client.post("/connections", json: #"{"url": "\#(server.url("/x"))", "config": {"protocols": ["chat"]}}"#)
            #expect(response.status == 201)
            guard case .string(let id)? = response.json["id"] else {
                Issue.record("no id in \(response.text)")
                return
            }
            #expect(id.count == 22)
            #expect(id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            #expect(response.headers["Location"] == ["/connections/\(id)"])
            #expect(response.json == [
                "id": .string(id), "url": .string(server.url("/x")), "protocol": "chat", "state": "open",
                "events": .string("/connections/\(id)/events"),
            ])
        }
    }

    @Test func aRepeatedHeaderNameReachesTheUpstreamWithBothValues() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            // What the plugin's `new Headers(config.headers)` makes of repeated names: one field, values joined.
            _ = try await client.connect(server.url(), config: #"{"headers": [["X-Multi", "a"], ["x-multi", "b"], ["X-One", "c"]]}"#)
            let request = try #require(server.requests.first)
            #expect(request.headers["X-Multi"] == ["a, b"])
            #expect(request.headers["X-One"] == ["c"])
        }
    }

    /// NIO's receive allocator traps on a 1-byte read buffer: the gateway reads at least 64 bytes.
    @Test(arguments: [1, 2, 63])
    func aTinyReadBufferSizeStillCarriesMessages(readBufferSize: Int) async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            try await client.connectAndReceive(server, config: ["readBufferSize": .integer(readBufferSize)])
        }
    }

    @Test func idsAreUnique() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            var ids: Set<String> = []
            for _ in 0..<20 { ids.insert(try await client.connect(server.url())) }
            #expect(ids.count == 20)
        }
    }

    @Test(arguments: [
        "not json", "[]", #"{"config": {}}"#, #"{"url": 5}"#, #"{"url": "http://127.0.0.1/"}"#, #"{"url": "ws://"}"#,
        #"{"url": "ws://127.0.0.1:1/", "extra": 1}"#, #"{"url": "ws://127.0.0.1:1/", "config": {"nope": 1}}"#,
        #"{"url": "ws://127.0.0.1:1/", "config": {"writeBufferSize": 10, "maxWriteBufferSize": 5}}"#,
        #"{"url": "ws://127.0.0.1:1/", "config": {"headers": {"Upgrade": "x"}}}"#,
        #"{"url": "ws://127.0.0.1:1/", "config": {"maxMessageSize": -1}}"#,
    ])
    func badRequestsAre400(body: String) async throws {
        try await withGateway { client, _ in
            let response = try await client.post("/connections", json: body)
            #expect(response.status == 400)
            #expect(response.errorCode == "invalid_request")
            #expect(response.json["error"]?["message"] != nil)
        }
    }

    @Test func anUnknownConfigKeyIsNamed() async throws {
        try await withGateway { client, _ in
            let response = try await client.post("/connections", json: #"{"url": "ws://127.0.0.1:1/", "config": {"maxMesageSize": 1}}"#)
            #expect(response.json["error"]?["message"] == "Unknown config key \"maxMesageSize\".")
        }
    }

    @Test func otherContentTypesAre415() async throws {
        try await withGateway { client, _ in
            let response = try await client.post("/connections", body: #"{"url": "ws://127.0.0.1:1/"}"#, contentType: "text/plain")
            #expect(response.status == 415)
            #expect(response.errorCode == "unsupported_media_type")
        }
    }

    @Test func aBodyOverTheLimitIs413AndOpensNothing() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.http.maxRequestBodySize = 1000 }) { client, _ in
            let padding = String(repeating: " ", count: 5000)
            let response = try await client.post("/connections", json: #"{"url": "\#(server.url())"\#(padding)}"#)
            #expect(response.status == 413)
            #expect(response.errorCode == "too_large")
            #expect(server.requests.isEmpty)
        }
    }

    @Test func aRefusedUpgradeIs502WithTheUpstreamStatus() async throws {
        let server = try await UpstreamServer(handshake: .reject(status: 403))
        try await withGateway { client, _ in
            let response = try await client.post("/connections", json: #"{"url": "\#(server.url())"}"#)
            #expect(response.status == 502)
            #expect(response.errorCode == "upstream_handshake_failed")
            #expect(response.json["error"]?["status"] == 403)
        }
    }

    @Test func aRefusedTCPConnectionIs502() async throws {
        // Nothing listens on port 1 (tcpmux); a port freed by a test server could be taken by
        // another test's server running alongside.
        try await withGateway { client, _ in
            let response = try await client.post("/connections", json: #"{"url": "ws://127.0.0.1:1/"}"#)
            #expect(response.status == 502)
            #expect(response.errorCode == "upstream_connect_failed")
        }
    }

    @Test func aSilentUpstreamIs504WithinTheTimeout() async throws {
        let server = try await UpstreamServer(handshake: .ignore)
        try await withGateway { client, _ in
            let start = ContinuousClock.now
            let response = try await client.post("/connections", json: #"{"url": "\#(server.url())", "config": {"connectTimeoutMs": 400}}"#)
            #expect(response.status == 504)
            #expect(response.errorCode == "upstream_timeout")
            // Its own 400 ms, not the default 10 s (a loaded machine may add seconds).
            #expect(ContinuousClock.now - start < .seconds(9))
        }
    }

    @Test func aSelfSignedCertificateIsRefused() async throws {
        let server = try await UpstreamServer(tls: SelfSignedCertificate.identity)
        try await withGateway { client, _ in
            let response = try await client.post("/connections", json: #"{"url": "\#(server.url(secure: true))"}"#)
            #expect(response.status == 502)
            #expect(response.errorCode == "upstream_tls_failed")
        }
    }

    @Test func aFullPoolIs503() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.pool.maxConnections = 1 }) { client, _ in
            _ = try await client.connect(server.url())
            let response = try await client.post("/connections", json: #"{"url": "\#(server.url())"}"#)
            #expect(response.status == 503)
            #expect(response.errorCode == "capacity_exhausted")
        }
    }

    @Test func theServerDefaultConfigApplies() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.connectionDefaults.headers = [.init(name: "X-Default", value: "yes")] }) { client, _ in
            _ = try await client.connect(server.url())
            #expect(server.requests.first?.headers["X-Default"] == ["yes"])
        }
    }
}
