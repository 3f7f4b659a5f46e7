import NIOCore
import Testing
@testable import WSGateCore

/// The egress rules: their syntax, and what they match.
struct EgressPolicyTests {
    private func url(_ text: String) throws -> WebSocketURL { try WebSocketURL(text) }
    private func address(_ ip: String, _ port: Int = 443) throws -> SocketAddress { try SocketAddress(ipAddress: ip, port: port) }

    @Test(arguments: [
        ("10.0.0.0/8", "10.255.1.2", true), ("10.0.0.0/8", "11.0.0.1", false), ("192.0.2.7", "192.0.2.7", true),
        ("192.0.2.7", "192.0.2.8", false), ("172.16.0.0/12", "172.31.255.255", true), ("172.16.0.0/12", "172.32.0.0", false),
        ("fc00::/7", "fd12::1", true), ("fc00::/7", "fe80::1", false), ("::1/128", "::1", true), ("0.0.0.0/0", "8.8.8.8", true),
        // An IPv4-mapped IPv6 address is its IPv4 address.
        ("127.0.0.0/8", "::ffff:127.0.0.1", true), ("fc00::/7", "10.0.0.1", false),
    ])
    func networksContainTheirAddresses(network: String, address: String, contains: Bool) throws {
        #expect(try IPNetwork(network).contains(self.address(address)) == contains)
    }

    @Test(arguments: ["10.0.0.0/33", "fc00::/129", "10.0.0/8", "nonsense/8", "10.0.0.0/-1"])
    func malformedNetworksAreRefused(text: String) {
        #expect(throws: InvalidInputError.self) { try IPNetwork(text) }
    }

    @Test(arguments: [
        ("*", "wss://anything.example/x", nil as String?, true),
        ("example.com", "ws://EXAMPLE.com", nil, true),
        ("example.com", "ws://sub.example.com", nil, false),
        ("*.example.com", "ws://sub.example.com", nil, true),
        ("*.example.com", "ws://example.com", nil, false),
        ("*.example.com", "ws://evilexample.com", nil, false),
        ("wss://*.example.com:443", "wss://a.example.com", nil, true),
        ("wss://*.example.com:443", "ws://a.example.com:443", nil, false),
        ("wss://*.example.com:443", "wss://a.example.com:8443", nil, false),
        ("localhost:8080", "ws://localhost:8080", nil, true),
        ("localhost:8080", "ws://localhost:8081", nil, false),
        ("10.0.0.0/8", "ws://internal.example", "10.1.2.3", true),
        ("10.0.0.0/8", "ws://internal.example", nil, false),
        ("10.0.0.0/8:9000", "ws://internal.example:9000", "10.1.2.3", true),
        ("10.0.0.0/8:9000", "ws://internal.example:9001", "10.1.2.3", false),
        ("[fc00::/7]:443", "wss://v6.example", "fd00::1", true),
        ("[::1]", "ws://[::1]:80", "::1", true),
    ])
    func rulesMatchSchemeHostAndPort(rule: String, url: String, address: String?, matches: Bool) throws {
        let resolved = try address.map { try self.address($0, self.url(url).port) }
        #expect(try EgressRule(rule).matches(self.url(url), address: resolved) == matches)
    }

    @Test(arguments: ["http://example.com", "example.com:0", "example.com:99999", "exa mple.com", "*.", "[fc00::/7", "[::1]x", ""])
    func malformedRulesAreRefused(text: String) {
        #expect(throws: InvalidInputError.self) { try EgressRule(text) }
    }

    @Test func denyWinsOverAllowAndAnEmptyAllowAllowsEverythingElse() throws {
        let policy = EgressPolicy(allow: [], deny: [try EgressRule("127.0.0.0/8")])
        let url = try self.url("ws://localhost:9000")
        #expect(policy.refusal(of: url, at: try self.address("127.0.0.1", 9000)) != nil)
        #expect(policy.refusal(of: url, at: try self.address("::1", 9000)) == nil)
        let both = EgressPolicy(allow: [try EgressRule("localhost")], deny: [try EgressRule("*:9000")])
        #expect(both.refusal(of: url, at: nil)?.contains("*:9000") == true)
        #expect(both.refusal(of: try self.url("ws://localhost:9001"), at: nil) == nil)
        #expect(both.refusal(of: try self.url("ws://elsewhere:9001"), at: nil)?.contains("no rule") == true)
    }

    @Test func onlyAddressRulesNeedResolution() throws {
        #expect(!EgressPolicy(allow: [try EgressRule("*.example.com")]).checksAddresses)
        #expect(EgressPolicy(deny: [try EgressRule("10.0.0.0/8")]).checksAddresses)
        #expect(EgressPolicy().allowsEverything)
    }
}
