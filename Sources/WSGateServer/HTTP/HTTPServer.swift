#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The HTTP/1.1 server: listening sockets (TCP, Unix, or passed by systemd) on SwiftNIO's event loops whose every connection is
/// served by one pipeline, the decoder and encoder of NIOHTTP1 and an ``HTTPConnectionHandler``.
///
/// As a service, it listens until graceful shutdown, then stops accepting, lets each connection
/// finish its response (an idle one closes at once) and returns once every connection has closed.
struct HTTPServer: Service, CustomStringConvertible {
    /// The addresses to listen on.
    let listen: [ListenAddress]
    /// The file mode and group of the Unix sockets it makes.
    let unixSocketMode: UInt16
    let unixSocketGroup: String?
    /// The front end's limits.
    let limits: HTTPLimits
    /// Where requests go.
    let router: APIRouter
    /// The event streams open across every connection.
    let streamSlots: EventStreamSlots
    /// Called with the listening channels once every address listens.
    let onListening: @Sendable ([any Channel]) async -> Void
    /// The loops the server and its connections run on.
    let eventLoopGroup: any EventLoopGroup
    /// Where failed requests are logged.
    let logger: Logger

    /// The most one read of a connection takes: NIO's default, for request bodies of any size.
    private static let largestRead = 64 * 1024

    /// How ServiceLifecycle's log lines name it.
    var description: String { "HTTPServer(\(self.listen.map(\.description).joined(separator: ", ")))" }

    func run() async throws {
        let limiter = ConnectionLimiter(limit: self.limits.maxConnections)
        var listeners: [Listener] = []
        do {
            for address in self.listen { listeners.append(try await self.bind(address, limiter: limiter)) }
        } catch {
            for listener in listeners { try? await listener.channel.close() }
            throw error
        }
        await self.onListening(listeners.map(\.channel))
        try? await gracefulShutdown()
        let closed = listeners.map { listener in
            let promise = listener.channel.eventLoop.makePromise(of: Void.self)
            listener.quiescing.initiateShutdown(promise: promise)
            return promise.futureResult
        }
        for future in closed { try await future.get() }
        for case .unix(let path) in self.listen { unlink(path) }
    }

    /// A listening channel and what stops it gracefully: NIOExtras' helper serves one listener.
    private struct Listener {
        let channel: any Channel
        let quiescing: ServerQuiescingHelper
    }

    /// Listens on `address`.
    private func bind(_ address: ListenAddress, limiter: ConnectionLimiter) async throws -> Listener {
        let quiescing = ServerQuiescingHelper(group: self.eventLoopGroup)
        let bootstrap = ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    try channel.pipeline.syncOperations.addHandler(limiter.makeListenerHandler())
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try self.configure(channel) }
            }
        let channel: any Channel
        do {
            switch address {
            case .tcp(let host, let port):
                channel = try await bootstrap.bind(host: host, port: port).get()
            case .unix(let path):
                channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
                do {
                    try UnixSocketPermissions(mode: self.unixSocketMode, group: self.unixSocketGroup).apply(to: path)
                } catch {
                    try? await channel.close()
                    throw error
                }
            case .inherited(let descriptor, _):
                channel = try await bootstrap.withBoundSocket(descriptor).get()
            }
        } catch {
            throw ListenFailure(address: address, cause: error)
        }
        return Listener(channel: channel, quiescing: quiescing)
    }

    /// Sets up the pipeline of an accepted connection.
    func configure(_ channel: any Channel) throws {
        if case .unixDomainSocket = channel.localAddress {} else {
            try channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        try channel.syncOptions?.setOption(
            .recvAllocator, value: AdaptiveRecvByteBufferAllocator.quietConnection(maximum: Self.largestRead)
        )
        let requestLine = RequestLineWatcher()
        try channel.pipeline.syncOperations.addHandler(requestLine)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withPipeliningAssistance: false,
            withErrorHandling: false,
            withOutboundHeaderValidation: false
        )
        try channel.pipeline.syncOperations.addHandler(
            HTTPConnectionHandler(
                router: self.router, limits: self.limits, streamSlots: self.streamSlots, requestLine: requestLine, logger: self.logger
            )
        )
    }
}

/// An address the server could not listen on, said the way an operator reads it:
/// "cannot listen on 127.0.0.1:8787: Address already in use".
struct ListenFailure: Error, CustomStringConvertible {
    let address: ListenAddress
    let cause: any Error

    var description: String {
        let reason = (self.cause as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(self.cause)"
        return "cannot listen on \(self.address): \(reason)"
    }
}
