import Foundation
import Testing
import WSGateCore
@testable import WSGateServer
import WSGateTestSupport

/// The bearer token: where it is read from, and what it guards.
@Suite(.timeLimit(.minutes(1)))
struct TokenTests {
    private static let token = "s3cret-Token_1"

    @Test func withATokenEveryAPIRouteNeedsItAndHealthAndPublicFilesDoNot() async throws {
        try await withGateway(.testing { $0.token = Self.token }) { client, _ in
            for route in RouteTable.api.routes {
                let path = route.pattern.replacingOccurrences(of: RouteTable.idSegment, with: "unknown-id")
                let without = try await SecurityTests.request(client, (route.method, path), headers: [])
                if route.endpoint.requiresToken {
                    #expect(without.status == 401, "\(route)")
                    #expect(without.errorCode == "unauthorized", "\(route)")
                    #expect(without.headers["WWW-Authenticate"] == ["Bearer"], "\(route)")
                    let wrong = try await SecurityTests.request(client, (route.method, path), headers: [("Authorization", "Bearer s3cret-Token_2")])
                    #expect(wrong.status == 401, "\(route)")
                    let right = try await SecurityTests.request(client, (route.method, path), headers: [("Authorization", "Bearer \(Self.token)")])
                    #expect(right.status != 401, "\(route)")
                } else {
                    #expect(without.status == 200, "\(route)")
                }
            }
            let byQuery = try await client.request(.GET, "/connections?access_token=\(Self.token)")
            #expect(byQuery.status == 200)
            let wrongByQuery = try await client.request(.GET, "/connections?access_token=\(Self.token)x")
            #expect(wrongByQuery.status == 401)
            let otherScheme = try await client.request(.GET, "/connections", headers: [("Authorization", "Basic \(Self.token)")])
            #expect(otherScheme.status == 401)
            // A browser's preflight carries no credentials, and is answered.
            let preflight = try await client.request(
                .OPTIONS, "/connections", headers: [("Origin", "http://localhost:3000"), ("Access-Control-Request-Method", "POST")]
            )
            #expect(preflight.status == 204)
        }
    }

    @Test func theComparisonIsExact() {
        let expected = Array("abc".utf8)
        #expect(BearerTokenPolicy.constantTimeEquals(Array("abc".utf8), expected))
        for guess in ["", "ab", "abd", "abcd", "ABC", "abc\0"] {
            #expect(!BearerTokenPolicy.constantTimeEquals(Array(guess.utf8), expected), "\(guess)")
        }
    }

    @Test func theTokenComesFromTheConfigTheTokenFileOrTheSystemdCredential() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "from-file\n".write(to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try "from-credential\n".write(to: directory.appendingPathComponent("wsgate-token"), atomically: true, encoding: .utf8)

        let direct = try await GatewayConfiguration.load(file: nil, environment: ["WSGATE_SECURITY_TOKEN": "direct", "CREDENTIALS_DIRECTORY": directory.path])
        #expect(direct.token == "direct")
        let file = try await GatewayConfiguration.load(
            file: nil, environment: ["WSGATE_SECURITY_TOKEN_FILE": directory.appendingPathComponent("token").path, "CREDENTIALS_DIRECTORY": directory.path]
        )
        #expect(file.token == "from-file")
        let credential = try await GatewayConfiguration.load(file: nil, environment: ["CREDENTIALS_DIRECTORY": directory.path])
        #expect(credential.token == "from-credential")
        #expect(try await GatewayConfiguration.load(file: nil, environment: [:]).token == nil)

        await #expect(throws: InvalidInputError.self) {
            try await GatewayConfiguration.load(file: nil, environment: ["WSGATE_SECURITY_TOKEN_FILE": "/nonexistent/token"])
        }
        await #expect(throws: InvalidInputError.self) {
            try await GatewayConfiguration.load(file: nil, environment: ["WSGATE_SECURITY_TOKEN": "two words"])
        }
    }

    @Test func listeningBeyondLoopbackWithoutATokenIsRefusedUnlessAllowed() throws {
        var configuration = GatewayConfiguration()
        try configuration.setListenAddresses(["127.0.0.1:8787", "0.0.0.0:8787"])
        #expect(throws: InvalidInputError.self) { try configuration.validate() }
        configuration.allowsRemoteWithoutToken = true
        try configuration.validate()
        configuration.allowsRemoteWithoutToken = false
        configuration.token = Self.token
        try configuration.validate()
        var local = GatewayConfiguration()
        try local.setListenAddresses(["127.0.0.1:1", "[::1]:1", "localhost:1", "unix:/run/wsgate.sock"])
        try local.validate()
    }
}
