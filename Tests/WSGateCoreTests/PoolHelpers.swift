import Logging
import NIOCore
import WSGateCore
import WSGateTestSupport

/// A pool with the default settings and a quiet logger.
func makePool(_ configure: (inout PoolSettings) -> Void = { _ in }) -> ConnectionPool {
    var settings = PoolSettings()
    configure(&settings)
    var logger = Logger(label: "wsgate-core-test")
    logger.logLevel = .warning
    return ConnectionPool(settings: settings, logger: logger)
}

/// Opens a connection through a new pool to `server` and returns it with the server's end.
func connect(
    to server: UpstreamServer, config: ConnectionConfig = ConnectionConfig(), settings: (inout PoolSettings) -> Void = { _ in }
) async throws -> (Connection, UpstreamPeer) {
    let connection = try await makePool(settings).open(WebSocketURL(server.url()), config: config)
    return (connection, try await server.nextPeer())
}
