import Foundation
import NIOCore
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// `wss` upstreams with a private CA, another name, an expired certificate and mutual TLS.
@Suite(.timeLimit(.minutes(2)))
struct UpstreamTLSTests {
    /// The error message of a refused connection with `tls`, after checking its status and code.
    private static func refusal(_ client: GatewayClient, _ url: String, tls: JSONValue, status: Int = 502, code: String = "upstream_tls_failed") async throws -> String {
        let response = try await client.createConnection(url, config: ["tls": tls])
        #expect(response.status == status)
        #expect(response.errorCode == code)
        guard case .string(let message)? = response.json["error"]?["message"] else { return "" }
        return message
    }

    @Test func aPrivateCAIsRefusedByDefaultAndTrustedWithCaPemOrCaFile() async throws {
        let authority = try await TestCertificateAuthority()
        let server = try await UpstreamServer(tls: try await authority.issue())
        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("wsgate-ca-\(UUID()).pem")
        try authority.certificatePEM.write(to: caFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: caFile) }
        try await withGateway { client, _ in
            let message = try await Self.refusal(client, server.url(secure: true), tls: [:])
            #expect(message.contains("unknown issuer"), "\(message)")
            try await client.connectAndReceive(server, secure: true, config: ["tls": ["caPem": .string(authority.certificatePEM)]])
            try await client.connectAndReceive(server, secure: true, config: ["tls": ["caFile": .string(caFile.path), "systemRoots": false]])
        }
    }

    @Test func theNameIsVerifiedAndServerNameChangesIt() async throws {
        let authority = try await TestCertificateAuthority()
        let server = try await UpstreamServer(tls: try await authority.issue(for: ["upstream.test"]))
        try await withGateway { client, _ in
            let ca = JSONValue.string(authority.certificatePEM)
            let message = try await Self.refusal(client, server.url(secure: true), tls: ["caPem": ca])
            #expect(message.contains("name"), "\(message)")
            try await client.connectAndReceive(server, secure: true, config: ["tls": ["caPem": ca, "serverName": "upstream.test"]])
        }
    }

    @Test func anExpiredCertificateIsRefusedAsExpired() async throws {
        let authority = try await TestCertificateAuthority()
        let server = try await UpstreamServer(tls: try await authority.issue(notBefore: "20200101000000Z", notAfter: "20200102000000Z"))
        try await withGateway { client, _ in
            let message = try await Self.refusal(client, server.url(secure: true), tls: ["caPem": .string(authority.certificatePEM)])
            #expect(message.contains("expired"), "\(message)")
        }
    }

    @Test func insecureSkipVerifyAcceptsAnyCertificateUnlessTheServerForbidsIt() async throws {
        let server = try await UpstreamServer(tls: SelfSignedCertificate.identity)
        try await withGateway { client, _ in
            try await client.connectAndReceive(server, secure: true, config: ["tls": ["insecureSkipVerify": true]])
        }
        try await withGateway(.testing { $0.pool.allowsInsecureSkipVerify = false }) { client, _ in
            let message = try await Self.refusal(
                client, server.url(secure: true), tls: ["insecureSkipVerify": true], status: 403, code: "insecure_tls_forbidden"
            )
            #expect(message.contains("security.allowInsecureSkipVerify"))
        }
    }

    @Test func mutualTLSPresentsTheClientCertificate() async throws {
        let authority = try await TestCertificateAuthority()
        let clients = try await TestCertificateAuthority(name: "wsgate test client CA")
        let identity = try await clients.issue(for: ["wsgate"], clientAuth: true)
        let server = try await UpstreamServer(tls: try await authority.issue(), clientCA: clients.certificatePEM)
        try await withGateway { client, _ in
            let ca = JSONValue.string(authority.certificatePEM)
            // Under TLS 1.3 the server's refusal may come after the client's handshake is done.
            let refused = try await client.createConnection(server.url(secure: true), config: ["tls": ["caPem": ca]])
            #expect(refused.status == 502)
            try await client.connectAndReceive(
                server, secure: true,
                config: ["tls": ["caPem": ca, "clientCertificatePem": .string(identity.certificatePEM), "clientKeyPem": .string(identity.privateKeyPEM)]]
            )
        }
    }

    @Test(arguments: [
        (#"{"caPem": "not a certificate"}"#, "holds no PEM certificate"),
        (#"{"caFile": "/nonexistent/ca.pem"}"#, "cannot be read"),
        // Never read: it would not end.
        (#"{"caFile": "/dev/zero"}"#, "cannot be read"),
        (#"{"clientCertificateFile": "/proc/self/fd/0", "clientKeyPem": "x"}"#, "cannot be read"),
        (#"{"clientKeyPem": "x"}"#, "needs its key"),
        (#"{"systemRoots": false}"#, "needs"),
        (#"{"insecure": true}"#, "Unknown key"),
        (#"{"insecureSkipVerify": "yes"}"#, "must be a boolean"),
    ])
    func invalidOptionsAre400(tls: String, message: String) async throws {
        try await withGateway { client, _ in
            let response = try await client.post("/connections", json: #"{"url": "wss://127.0.0.1:1/", "config": {"tls": \#(tls)}}"#)
            #expect(response.status == 400)
            guard case .string(let text)? = response.json["error"]?["message"] else { throw TestFailure("no message") }
            #expect(text.contains(message), "\(text)")
        }
    }
}
