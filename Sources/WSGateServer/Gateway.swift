import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import WSGateCore

/// The whole gateway: the connection pool and the HTTP API in front of it.
public struct Gateway: Sendable {
    /// The configuration it runs with.
    public let configuration: GatewayConfiguration
    /// The pool that owns every upstream connection.
    public let pool: ConnectionPool
    private let logger: Logger

    /// Creates the gateway; nothing listens until its services run.
    public init(configuration: GatewayConfiguration, logger: Logger) {
        self.configuration = configuration
        self.pool = ConnectionPool(settings: configuration.pool, logger: logger)
        self.logger = logger
    }

    /// The services to run, in this order, in one `ServiceGroup`: the HTTP server, then the pool's
    /// lifecycle. `onServerRunning` is called with the listening channel.
    public func services(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> [any Service] {
        let hosts = HostPolicy(allowedHosts: self.configuration.allowedHosts)
        let cors = CORSPolicy(allowedOrigins: self.configuration.allowedOrigins)
        let pool = self.pool
        let maxRequestBodySize = self.configuration.maxRequestBodySize
        let connectionDefaults = self.configuration.connectionDefaults
        let application = Application(
            router: self.makeRouter(hosts: hosts, cors: cors),
            server: HTTPServerBuilder { responder in
                GatewayChildChannel(hummingbird: HTTP1Channel(responder: responder)) {
                    HotPathHandler(
                        pool: pool, hosts: hosts, cors: cors, maxRequestBodySize: maxRequestBodySize,
                        connectionDefaults: connectionDefaults
                    )
                }
            },
            configuration: .init(address: .hostname(self.configuration.host, port: self.configuration.port), serverName: "wsgate"),
            onServerRunning: onServerRunning,
            logger: self.logger
        )
        return [application, PoolLifecycleService(pool: self.pool, keepaliveInterval: self.configuration.keepaliveInterval)]
    }

    private func makeRouter(hosts: HostPolicy, cors: CORSPolicy) -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: GatewayMiddleware(hosts: hosts, cors: cors))
        HealthRoutes(pool: self.pool).register(on: router)
        ConnectionRoutes(pool: self.pool).register(on: router)
        return router
    }
}
