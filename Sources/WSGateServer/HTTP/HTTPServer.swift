import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The HTTP/1.1 server: a listening socket on SwiftNIO's event loops whose every connection is
/// served by one pipeline, the decoder and encoder of NIOHTTP1 and an ``HTTPConnectionHandler``.
///
/// As a service, it listens until graceful shutdown, then stops accepting, lets each connection
/// finish its response (an idle one closes at once) and returns once every connection has closed.
struct HTTPServer: Service, CustomStringConvertible {
    /// The address to listen on.
    let host: String
    /// The port to listen on; 0 picks a free one.
    let port: Int
    /// The front end's limits.
    let limits: HTTPLimits
    /// Where requests go.
    let router: APIRouter
    /// Called with the listening channel once it listens.
    let onListening: @Sendable (any Channel) async -> Void
    /// The loops the server and its connections run on.
    let eventLoopGroup: any EventLoopGroup
    /// Where failed requests are logged.
    let logger: Logger

    /// How ServiceLifecycle's log lines name it.
    var description: String { "HTTPServer(\(self.host):\(self.port))" }

    func run() async throws {
        let quiescing = ServerQuiescingHelper(group: self.eventLoopGroup)
        let channel = try await ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { [limits] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    try channel.pipeline.syncOperations.addHandler(ConnectionLimiter(limit: limits.maxConnections))
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try self.configure(channel) }
            }
            .bind(host: self.host, port: self.port)
            .get()
        await self.onListening(channel)
        try? await gracefulShutdown()
        let closed = channel.eventLoop.makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: closed)
        try await closed.futureResult.get()
    }

    /// Sets up the pipeline of an accepted connection.
    private func configure(_ channel: any Channel) throws {
        let requestLine = RequestLineWatcher()
        try channel.pipeline.syncOperations.addHandler(requestLine)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withPipeliningAssistance: false,
            withErrorHandling: false,
            withOutboundHeaderValidation: false
        )
        try channel.pipeline.syncOperations.addHandler(
            HTTPConnectionHandler(router: self.router, limits: self.limits, requestLine: requestLine, logger: self.logger)
        )
    }
}
