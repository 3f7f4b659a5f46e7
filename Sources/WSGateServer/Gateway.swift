import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import WSGateCore

/// The whole gateway: the connection pool and the HTTP API in front of it.
public struct Gateway: Sendable {
    /// The configuration it runs with.
    public let configuration: GatewayConfiguration
    /// The pool that owns every upstream connection.
    public let pool: ConnectionPool
    private let metrics = APIMetrics()
    private let logger: Logger

    /// Creates the gateway; nothing listens until its services run.
    public init(configuration: GatewayConfiguration, logger: Logger) {
        self.configuration = configuration
        self.pool = ConnectionPool(settings: configuration.pool, logger: logger, metrics: self.metrics.core)
        self.logger = logger
    }

    /// The services to run, in this order, in one `ServiceGroup`: the HTTP server, then the pool's
    /// lifecycle. `onServerRunning` is called with the listening channels once all listen.
    public func services(onServerRunning: @escaping @Sendable ([any Channel]) async -> Void = { _ in }) -> [any Service] {
        let router = APIRouter(
            routes: .api,
            policy: AccessPolicy(
                hosts: HostPolicy(allowedHosts: self.configuration.allowedHosts),
                cors: CORSPolicy(allowedOrigins: self.configuration.allowedOrigins),
                token: BearerTokenPolicy(token: self.configuration.token)
            ),
            endpoints: APIEndpoints(pool: self.pool, connectionDefaults: self.configuration.connectionDefaults, metrics: self.metrics)
        )
        let server = HTTPServer(
            listen: self.configuration.listen, unixSocketMode: self.configuration.unixSocketMode,
            unixSocketGroup: self.configuration.unixSocketGroup, limits: self.configuration.http, router: router,
            onListening: onServerRunning, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: self.logger
        )
        return [server, PoolLifecycleService(pool: self.pool, keepaliveInterval: self.configuration.keepaliveInterval)]
    }
}
