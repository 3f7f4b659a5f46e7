import NIOCore
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// Upstreams reached through an HTTP CONNECT proxy of the tests' own.
@Suite(.timeLimit(.minutes(2)))
struct ProxyTests {
    @Test func aWsUpstreamIsReachedThroughTheConfiguredProxy() async throws {
        let server = try await UpstreamServer()
        let proxy = try await ConnectProxy()
        try await withGateway { client, _ in
            try await client.connectAndReceive(server, config: ["proxy": .string(proxy.url())])
        }
        let head = try #require(proxy.heads.first)
        #expect(head.first == "CONNECT 127.0.0.1:\(server.port) HTTP/1.1")
        #expect(!head.contains { $0.hasPrefix("Proxy-Authorization") })
    }

    @Test func wssRunsTLSInsideATunnelThatNeedsCredentials() async throws {
        let authority = try await TestCertificateAuthority()
        let server = try await UpstreamServer(tls: try await authority.issue())
        let proxy = try await ConnectProxy(credentials: "alice:s3cret")
        try await withGateway { client, _ in
            try await client.connectAndReceive(
                server, secure: true,
                config: ["proxy": .string(proxy.url(credentials: "alice:s3cret")), "tls": ["caPem": .string(authority.certificatePEM)]]
            )
            // Wrong credentials: the proxy's 407 in a 502, and never the password.
            let refused = try await client.createConnection(server.url(secure: true), config: ["proxy": .string(proxy.url(credentials: "alice:wrong"))])
            #expect(refused.status == 502)
            #expect(refused.errorCode == "proxy_refused")
            #expect(refused.json["error"]?["status"] == 407)
            #expect(!refused.text.contains("wrong") && !refused.text.contains("alice"))
        }
        #expect(proxy.heads.first?.contains("Proxy-Authorization: Basic YWxpY2U6czNjcmV0") == true)
    }

    @Test func aRefusingProxyIs502WithItsStatusAndASilentOneIs504() async throws {
        let server = try await UpstreamServer()
        let refusing = try await ConnectProxy(.refuse(status: 403))
        let silent = try await ConnectProxy(.silent)
        try await withGateway { client, _ in
            let refused = try await client.createConnection(server.url(), config: ["proxy": .string(refusing.url())])
            #expect(refused.status == 502)
            #expect(refused.errorCode == "proxy_refused")
            #expect(refused.json["error"]?["status"] == 403)
            let start = ContinuousClock.now
            let timedOut = try await client.createConnection(server.url(), config: ["proxy": .string(silent.url()), "connectTimeoutMs": 500])
            #expect(timedOut.status == 504)
            #expect(timedOut.errorCode == "proxy_timeout")
            #expect(ContinuousClock.now - start >= .milliseconds(500))
            let unreachable = try await client.createConnection(server.url(), config: ["proxy": "http://127.0.0.1:1"])
            #expect(unreachable.status == 502)
            #expect(unreachable.errorCode == "proxy_failed")
        }
    }

    @Test func theEnvironmentsProxyIsUsedUnlessNoProxyOrTheConfigSaysOtherwise() async throws {
        let server = try await UpstreamServer()
        let proxy = try await ConnectProxy()
        let throughProxy = try ProxyEnvironment(["http_proxy": proxy.url()])
        try await withGateway(.testing { $0.pool.proxies = throughProxy }) { client, _ in
            try await client.connectAndReceive(server, config: [:])
            #expect(proxy.heads.count == 1)
            try await client.connectAndReceive(server, config: ["proxy": "none"])
            #expect(proxy.heads.count == 1)
        }
        let bypassed = try ProxyEnvironment(["http_proxy": proxy.url(), "NO_PROXY": "localhost, 127.0.0.0/8"])
        try await withGateway(.testing { $0.pool.proxies = bypassed }) { client, _ in
            try await client.connectAndReceive(server, config: [:])
        }
        #expect(proxy.heads.count == 1)
    }

    @Test func theEgressPolicyAppliesToTheProxyAndToTheUpstreamBehindIt() async throws {
        let server = try await UpstreamServer()
        let proxy = try await ConnectProxy()
        let deniesProxy = try EgressPolicy(deny: [EgressRule("127.0.0.1:\(proxy.port)")])
        try await withGateway(.testing { $0.pool.egress = deniesProxy }) { client, _ in
            let response = try await client.createConnection(server.url(), config: ["proxy": .string(proxy.url())])
            #expect(response.status == 403)
            #expect(response.errorCode == "upstream_forbidden")
        }
        let deniesUpstream = try EgressPolicy(deny: [EgressRule("ws://127.0.0.0/8:\(server.port)")])
        try await withGateway(.testing { $0.pool.egress = deniesUpstream }) { client, _ in
            let response = try await client.createConnection(server.url(), config: ["proxy": .string(proxy.url())])
            #expect(response.status == 403)
            #expect(response.errorCode == "upstream_forbidden")
        }
        #expect(proxy.heads.isEmpty)
    }

    @Test func theServerDefaultsAndTheEnvironmentAreRead() async throws {
        let configuration = try await GatewayConfiguration.load(
            file: nil,
            environment: [
                "WSGATE_CONNECTION_PROXY": "http://proxy.test:3128", "HTTPS_PROXY": "proxy.test",
                "WSGATE_CONNECTION_TLS_SERVER_NAME": "upstream.test", "WSGATE_CONNECTION_TLS_INSECURE_SKIP_VERIFY": "true",
                "WSGATE_CONNECTION_RECONNECT_MAX_ATTEMPTS": "3",
            ]
        )
        #expect(configuration.connectionDefaults.proxy == .proxy(try HTTPProxy("http://proxy.test:3128")))
        // The sections' keys come in as `connection.tls.*` and `connection.reconnect.*`.
        #expect(configuration.connectionDefaults.tls.serverName == "upstream.test")
        #expect(configuration.connectionDefaults.tls.insecureSkipVerify)
        #expect(configuration.connectionDefaults.reconnect?.maxAttempts == 3)
        #expect(configuration.connectionDefaults.reconnect?.initialDelayMilliseconds == 1000)
        #expect(configuration.pool.proxies == (try ProxyEnvironment(["https_proxy": "http://proxy.test:1080"])))
        await #expect(throws: InvalidInputError.self) {
            try await GatewayConfiguration.load(file: nil, environment: ["https_proxy": "socks5://proxy.test"])
        }
    }
}
