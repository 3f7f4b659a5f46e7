import Foundation
import Testing
import WSGateCore
import WSGateServer

/// The config file, environment overrides and their validation.
@Suite struct ConfigurationTests {
    private static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theShippedConfigFileStatesTheEmbeddedDefaults() async throws {
        let path = Self.repositoryRoot.appendingPathComponent("config/wsgate.yaml").path
        let loaded = try await GatewayConfiguration.load(file: path, environment: [:])
        #expect(loaded == GatewayConfiguration())
        #expect(loaded.listen == [.tcp(host: "127.0.0.1", port: 8787)])
    }

    @Test func theFileOverridesDefaultsAndTheEnvironmentOverridesTheFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wsgate-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
            listen: [127.0.0.1:9000, "[::1]:9001", "unix:/run/wsgate.sock"]
            listenSocket:
              mode: "0600"
            logLevel: debug
            logFormat: json
            limits:
              maxConnections: 50
            http:
              maxConnections: 99
            history:
              maxEvents: 10
            security:
              allowedOrigins: [http://localhost:3000]
            connection:
              maxMessageSize: none
              connectTimeoutMs: 2000
              protocols: [chat]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try await GatewayConfiguration.load(
            file: path,
            environment: [
                "WSGATE_LIMITS_MAX_CONNECTIONS": "70", "WSGATE_CONNECTION_MAX_FRAME_SIZE": "none",
                "WSGATE_SECURITY_ALLOWED_HOSTS": "a.lan,b.lan", "WSGATE_HTTP_IDLE_TIMEOUT_SECONDS": "5", "WSGATE_HTTP_DRAIN_TIMEOUT_SECONDS": "30",
                "UNRELATED": "1",
            ]
        )
        #expect(configuration.listen == [.tcp(host: "127.0.0.1", port: 9000), .tcp(host: "::1", port: 9001), .unix(path: "/run/wsgate.sock")])
        #expect(configuration.unixSocketMode == 0o600)
        #expect(configuration.logFormat == .json)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.pool.maxConnections == 70)
        #expect(configuration.pool.history.maxEvents == 10)
        #expect(configuration.http.maxConnections == 99)
        #expect(configuration.http.idleTimeout == .seconds(5))
        #expect(configuration.http.drainTimeout == .seconds(30))
        #expect(configuration.allowedOrigins == ["http://localhost:3000"])
        #expect(configuration.allowedHosts == ["a.lan", "b.lan"])
        #expect(configuration.connectionDefaults.maxMessageSize == nil)
        #expect(configuration.connectionDefaults.maxFrameSize == nil)
        #expect(configuration.connectionDefaults.connectTimeoutMilliseconds == 2000)
        #expect(configuration.connectionDefaults.protocols == ["chat"])
    }

    @Test(arguments: [
        ["WSGATE_LIMITS_MAX_CONNECTIONS": "many"], ["WSGATE_LISTEN": "nowhere"], ["WSGATE_LOG_LEVEL": "loud"],
        ["WSGATE_LISTEN": "unix:relative.sock"], ["WSGATE_LISTEN_SOCKET_MODE": "0999"], ["WSGATE_LOG_FORMAT": "xml"],
        ["WSGATE_CONNECTION_MAX_MESSAGE_SIZE": "0"], ["WSGATE_KEEPALIVE_SECONDS": "0"], ["WSGATE_HTTP_MAX_CONNECTIONS": "0"],
        ["WSGATE_CONNECTION_WRITE_BUFFER_SIZE": "10", "WSGATE_CONNECTION_MAX_WRITE_BUFFER_SIZE": "10"],
    ])
    func malformedValuesAreErrorsNotDefaults(environment: [String: String]) async {
        await #expect(throws: InvalidInputError.self) {
            try await GatewayConfiguration.load(file: nil, environment: environment)
        }
    }

    @Test func aMissingFileIsAnError() async {
        await #expect(throws: (any Error).self) {
            try await GatewayConfiguration.load(file: "/nonexistent/wsgate.yaml", environment: [:])
        }
    }
}
