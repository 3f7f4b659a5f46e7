import Testing
@testable import WSGateServer

/// The `Host` check, without sockets.
struct HostPolicyTests {
    let policy = HostPolicy(allowedHosts: ["gateway.example"])

    @Test(arguments: [
        "localhost", "LOCALHOST", "localhost:8080", "app.localhost", "App.LocalHost:1", "a.b.localhost",
        "127.0.0.1", "127.0.0.1:9000", "127.255.255.255", "127.1.2.3:80", "[::1]", "[::1]:8080",
        "gateway.example", "Gateway.Example:443",
    ])
    func loopbackNamesAndAddressesAndConfiguredHostsAreAnswered(host: String) {
        #expect(self.policy.allows(host))
    }

    @Test(arguments: [
        "", "xlocalhost", "localhost.evil.example", "localhost.", "evil.example", "127.0.0.1.evil", "127.0.0.256",
        "128.0.0.1", "127.0.0", "127..0.1", "1270.0.0.1", "127.0.0.1.", "[::2]", "::1:80", "gateway.example.evil",
    ])
    func otherHostsAreNot(host: String) {
        #expect(!self.policy.allows(host))
    }

    @Test func aStarAnswersEveryHost() {
        #expect(HostPolicy(allowedHosts: ["*"]).allows("anything.example:1"))
    }
}
