import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import WSGateCore

/// The whole gateway: the connection pool and the HTTP API in front of it.
public struct Gateway: Sendable {
    /// The configuration it started with (``reload(_:)`` applies later ones).
    public let configuration: GatewayConfiguration
    /// The pool that owns every upstream connection.
    public let pool: ConnectionPool
    private let metrics = APIMetrics()
    private let settings: LiveSettings
    private let logger: Logger

    /// Creates the gateway; nothing listens until its services run.
    public init(configuration: GatewayConfiguration, logger: Logger) {
        self.configuration = configuration
        self.pool = ConnectionPool(settings: configuration.pool, logger: logger, metrics: self.metrics.core)
        self.settings = LiveSettings(configuration)
        self.logger = logger
    }

    /// The services to run, in this order, in one `ServiceGroup`: the HTTP server, then the pool's
    /// lifecycle. `onServerRunning` is called with the listening channels once all listen.
    public func services(onServerRunning: @escaping @Sendable ([any Channel]) async -> Void = { _ in }) -> [any Service] {
        let router = APIRouter(
            routes: .api,
            settings: self.settings,
            endpoints: APIEndpoints(pool: self.pool, settings: self.settings, metrics: self.metrics)
        )
        let server = HTTPServer(
            listen: self.configuration.listen, unixSocketMode: self.configuration.unixSocketMode,
            unixSocketGroup: self.configuration.unixSocketGroup, limits: self.configuration.http, router: router,
            streamSlots: EventStreamSlots(limit: self.configuration.http.maxEventStreams),
            onListening: onServerRunning, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: self.logger
        )
        return [server, PoolLifecycleService(pool: self.pool, keepaliveInterval: self.configuration.keepaliveInterval)]
    }

    /// Applies `new` while running, without dropping a connection: allowed hosts and origins,
    /// the token, the connection defaults and the pool's limits take effect at once (the pool's
    /// for connections opened from now). Returns the settings that differ but apply only at the
    /// next start.
    public func reload(_ new: GatewayConfiguration) -> [String] {
        self.settings.replace(with: new)
        self.pool.update(new.pool)
        var needRestart: [String] = []
        if new.listen != self.configuration.listen || new.unixSocketMode != self.configuration.unixSocketMode
            || new.unixSocketGroup != self.configuration.unixSocketGroup
        {
            needRestart.append("listen")
        }
        if new.http != self.configuration.http { needRestart.append("http") }
        if new.keepaliveInterval != self.configuration.keepaliveInterval { needRestart.append("keepaliveSeconds") }
        return needRestart
    }
}
