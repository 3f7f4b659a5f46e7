import Testing
@testable import WSGateCore

/// Proxy URLs, and which proxy a connection takes, as curl would.
struct ProxyEnvironmentTests {
    private let ws = try! WebSocketURL("ws://api.example.com/")
    private let wss = try! WebSocketURL("wss://api.example.com/")

    @Test func aProxyURLTakesCurlsDefaultsAndHidesItsCredentials() throws {
        let proxy = try HTTPProxy("alice:s3cret@proxy.test")
        #expect(proxy.host == "proxy.test" && proxy.port == 1080)
        #expect(proxy.authorization == "Basic YWxpY2U6czNjcmV0")
        #expect(proxy.description == "http://proxy.test:1080")
        #expect(try HTTPProxy("http://[::1]:3128").description == "http://[::1]:3128")
        #expect(throws: InvalidInputError.self) { try HTTPProxy("https://proxy.test") }
        #expect(throws: InvalidInputError.self) { try HTTPProxy("http://proxy.test/path") }
        do {
            _ = try HTTPProxy("ftp://alice:s3cret@proxy.test")
        } catch {
            #expect(!error.description.contains("s3cret"))
        }
    }

    @Test func wssTakesHttpsProxyAndWsOnlyTheLowercaseHttpProxy() throws {
        let environment = try ProxyEnvironment([
            "https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:2", "HTTP_PROXY": "http://ignored:3",
        ])
        #expect(environment.proxy(for: self.wss, setting: .environment)?.host == "lower")
        #expect(environment.proxy(for: self.ws, setting: .environment) == nil)
        let withFallback = try ProxyEnvironment(["http_proxy": "http://plain:1", "ALL_PROXY": "http://all:2"])
        #expect(withFallback.proxy(for: self.ws, setting: .environment)?.host == "plain")
        #expect(withFallback.proxy(for: self.wss, setting: .environment)?.host == "all")
    }

    @Test func theConfigsProxyWinsAndNoneGoesDirect() throws {
        let environment = try ProxyEnvironment(["https_proxy": "http://environment:1"])
        let configured = try HTTPProxy("http://configured:2")
        #expect(environment.proxy(for: self.wss, setting: .proxy(configured)) == configured)
        #expect(environment.proxy(for: self.wss, setting: .none) == nil)
    }

    @Test func noProxyMatchesNamesDomainsRangesAndEverything() throws {
        let environment = try ProxyEnvironment(["no_proxy": " .example.com,localhost, 10.0.0.0/8", "NO_PROXY": "*"])
        #expect(environment.bypasses("example.com"))
        #expect(environment.bypasses("api.EXAMPLE.com"))
        #expect(!environment.bypasses("notexample.com"))
        #expect(environment.bypasses("localhost"))
        #expect(environment.bypasses("10.1.2.3"))
        #expect(!environment.bypasses("11.1.2.3"))
        // It applies to a configured proxy too.
        #expect(environment.proxy(for: self.wss, setting: .proxy(try HTTPProxy("p:1"))) == nil)
        #expect(try ProxyEnvironment(["NO_PROXY": "*"]).bypasses("anything"))
    }
}
