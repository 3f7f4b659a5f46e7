import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Limits and timings of a ``ConnectionPool``.
public struct PoolSettings: Sendable, Equatable {
    /// The most connections open or opening at once.
    public var maxConnections = 10_000
    /// The most connections open or opening at once for one client address; `nil` for no limit
    /// but `maxConnections`. Every local client shares one loopback address.
    public var maxConnectionsPerClient: Int?
    /// How long a connection may go without a subscriber and without a send before it is closed
    /// with 1001 "Going Away"; `nil` keeps abandoned connections open.
    public var idleTimeout: TimeAmount? = .minutes(10)
    /// How long a closing handshake may wait for the upstream's Close.
    public var closeTimeout = TimeAmount.seconds(5)
    /// How long an ended connection stays known, so that subscribers can fetch its last events.
    public var endedRetention = TimeAmount.seconds(60)
    /// What each connection's history keeps.
    public var history = HistoryLimits()
    /// Which upstreams connections may reach.
    public var egress = EgressPolicy()
    /// The proxies of the environment, for connections whose config names none.
    public var proxies = ProxyEnvironment()
    /// Whether a connection may turn TLS verification off (`tls.insecureSkipVerify`).
    public var allowsInsecureSkipVerify = true

    /// The defaults: 10,000 connections (no limit per client), 10 min idle timeout, 5 s close
    /// timeout, 60 s retention, default history.
    public init() {}
}

/// Why the pool refused to open a connection.
public enum PoolError: Error, Equatable {
    /// `maxConnections` connections are open or opening.
    case capacityExhausted(limit: Int)
    /// `maxConnectionsPerClient` connections of this client are open or opening.
    case clientCapacityExhausted(limit: Int)
    /// The gateway is shutting down.
    case shuttingDown
    /// The connection asks for `tls.insecureSkipVerify`, which the settings forbid.
    case insecureSkipVerifyForbidden
}

/// Owns every upstream connection: allocates ids, enforces the connection limit, keeps ended
/// connections known for a while, and closes everything on shutdown.
public final class ConnectionPool: Sendable {
    private struct State {
        /// Every known connection, open or ended within the retention period.
        var connections: [ConnectionID: Connection] = [:]
        /// Connections open or opening: what counts against the limit.
        var activeCount = 0
        /// Connections open or opening per client address.
        var activeCountByClient: [String: Int] = [:]
        var isShuttingDown = false

        /// Counts a connection of `client` as open or opening, or throws if a limit is reached.
        mutating func admit(client: String?, settings: PoolSettings) throws(PoolError) {
            guard !self.isShuttingDown else { throw .shuttingDown }
            guard self.activeCount < settings.maxConnections else { throw .capacityExhausted(limit: settings.maxConnections) }
            if let client, let limit = settings.maxConnectionsPerClient {
                guard self.activeCountByClient[client, default: 0] < limit else { throw .clientCapacityExhausted(limit: limit) }
            }
            self.activeCount += 1
            if let client { self.activeCountByClient[client, default: 0] += 1 }
        }

        /// Frees the slot of a connection of `client` that failed to open or has ended.
        mutating func release(client: String?) {
            self.activeCount -= 1
            guard let client, let count = self.activeCountByClient[client] else { return }
            self.activeCountByClient[client] = count > 1 ? count - 1 : nil
        }
    }

    /// The Close sent to every upstream when the gateway stops.
    private static let goingAway = CloseFrame(code: CloseFrame.goingAway, reason: "Going Away")

    /// The settings, which a configuration reload may replace; a connection keeps those it opened with.
    private let settingsBox: NIOLockedValueBox<PoolSettings>
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let metrics: GatewayMetrics
    private let state = NIOLockedValueBox(State())

    /// Creates an empty pool whose connections run on `eventLoopGroup` and count into `metrics`.
    public init(
        settings: PoolSettings, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        metrics: GatewayMetrics = .none
    ) {
        self.settingsBox = NIOLockedValueBox(settings)
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.metrics = metrics
        self.scheduleIdleCheck()
    }

    /// The settings connections open with now.
    public var settings: PoolSettings { self.settingsBox.withLockedValue { $0 } }

    /// Replaces the settings: the limit and history sizes apply to connections opened from now.
    public func update(_ settings: PoolSettings) {
        self.settingsBox.withLockedValue { $0 = settings }
    }

    /// Whether the pool takes new connections.
    public var isAccepting: Bool { self.state.withLockedValue { !$0.isShuttingDown } }

    /// The connections not yet ended, oldest first.
    public var openConnections: [Connection] {
        self.state.withLockedValue { state in
            state.connections.values.filter { $0.outcome == nil }.sorted { $0.createdAt < $1.createdAt }
        }
    }

    /// The connection with `id`, open or recently ended.
    public func connection(_ id: ConnectionID) -> Connection? {
        self.state.withLockedValue { $0.connections[id] }
    }

    /// Opens an upstream connection and registers it. Throws ``PoolError`` or ``UpstreamConnectError``.
    public func open(
        _ url: WebSocketURL, config: ConnectionConfig, on eventLoop: (any EventLoop)? = nil, client: String? = nil
    ) async throws -> Connection {
        try await self.open(url, config: config, on: eventLoop, client: client).get()
    }

    /// Opens an upstream connection and registers it; the future fails with ``PoolError`` or
    /// ``UpstreamConnectError``.
    ///
    /// `eventLoop`, when given, is the loop the upstream socket is served on: the one of the HTTP
    /// connection that asked for it, so that a client that goes on sending over that same HTTP
    /// connection never waits for a hand-over between threads. `client`, when given, is the
    /// address of the client that asked, for `maxConnectionsPerClient`.
    public func open(
        _ url: WebSocketURL, config: ConnectionConfig, on eventLoop: (any EventLoop)? = nil, client: String? = nil
    ) -> EventLoopFuture<Connection> {
        let eventLoop = eventLoop ?? self.eventLoopGroup.next()
        let settings = self.settings
        if config.tls.insecureSkipVerify, url.isSecure, !settings.allowsInsecureSkipVerify {
            return eventLoop.makeFailedFuture(PoolError.insecureSkipVerifyForbidden)
        }
        do {
            try self.state.withLockedValue { state in try state.admit(client: client, settings: settings) }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        var historyLimits = settings.history
        historyLimits.overflow = config.historyOverflow
        let connection = Connection(
            id: .random(), url: url, historyLimits: historyLimits, eventLoop: eventLoop, logger: self.logger, metrics: self.metrics
        )
        let started = NIODeadline.now()
        let connected = connection.connect(config: config, settings: settings)
        connected.whenFailure { _ in self.state.withLockedValue { $0.release(client: client) } }
        return connected.flatMap {
            self.metrics.connectDuration.recordNanoseconds((NIODeadline.now() - started).nanoseconds)
            self.metrics.connectionsOpen.increment()
            let accepted = self.state.withLockedValue { state in
                state.connections[connection.id] = connection
                return !state.isShuttingDown
            }
            connection.ended.whenComplete { _ in self.retire(connection, client: client) }
            guard accepted else {
                // Shutdown began while connecting and did not see this connection: close it here.
                let refused = eventLoop.makePromise(of: Connection.self)
                connection.close(Self.goingAway).whenComplete { _ in refused.fail(PoolError.shuttingDown) }
                return refused.futureResult
            }
            return eventLoop.makeSucceededFuture(connection)
        }
    }

    /// Closes `connection` for a client that deleted it, with `frame`, and forgets its id once it
    /// has ended: from the outcome on, the id is unknown, as for a connection that never existed.
    public func delete(_ connection: Connection, closingWith frame: CloseFrame) -> EventLoopFuture<CloseOutcome> {
        connection.close(frame).recover { _ in CloseOutcome() }.map { outcome in
            self.state.withLockedValue { _ = $0.connections.removeValue(forKey: connection.id) }
            return outcome
        }
    }

    /// Stops taking connections, closes every open one with 1001 "Going Away" and waits until
    /// they have ended, their final events delivered to the histories. An upstream gets at most
    /// `answerTimeout` to answer, so that a stopping service stays within systemd's patience.
    public func shutdown(answerTimeout: TimeAmount = .seconds(3)) async {
        let connections = self.state.withLockedValue { state in
            state.isShuttingDown = true
            return Array(state.connections.values)
        }
        await withTaskGroup(of: Void.self) { group in
            for connection in connections {
                group.addTask {
                    _ = await connection.closeAndAwaitEnd(Self.goingAway, timeout: answerTimeout)
                }
            }
        }
    }

    /// Frees an ended connection's slot and, unless a client deleted it already, forgets it
    /// after the retention period. The wait holds only the id: a connection that a busy gateway
    /// ends by the thousand must not stay in memory for the period.
    private func retire(_ connection: Connection, client: String?) {
        let id = connection.id
        let isKnown = self.state.withLockedValue { state in
            state.release(client: client)
            return state.connections[id] != nil
        }
        self.metrics.connectionsOpen.decrement()
        guard isKnown else { return }
        connection.ended.eventLoop.scheduleTask(in: self.settings.endedRetention) {
            self.state.withLockedValue { _ = $0.connections.removeValue(forKey: id) }
        }
    }
}

// MARK: Abandoned connections

extension ConnectionPool {
    /// How often the pool looks for abandoned connections: a quarter of the idle timeout, so
    /// that one is closed at most a quarter late, within 0.1 s and 30 s.
    private var idleCheckInterval: TimeAmount {
        let quarter = (self.settings.idleTimeout ?? .seconds(120)).nanoseconds / 4
        return .nanoseconds(min(max(quarter, TimeAmount.milliseconds(100).nanoseconds), TimeAmount.seconds(30).nanoseconds))
    }

    /// Checks for abandoned connections after ``idleCheckInterval``, and again after each check
    /// until shutdown.
    private func scheduleIdleCheck() {
        self.eventLoopGroup.next().scheduleTask(in: self.idleCheckInterval) { [weak self] in
            guard let self, self.isAccepting else { return }
            self.closeAbandonedConnections()
            self.scheduleIdleCheck()
        }
    }

    /// Closes with 1001 "Going Away" every open connection that no client has sent on or
    /// subscribed to for the idle timeout: the Tauri plugin leaks such connections (its issue #585).
    private func closeAbandonedConnections() {
        guard let idleTimeout = self.settings.idleTimeout else { return }
        let now = NIODeadline.now()
        for connection in self.openConnections where [.open, .reconnecting].contains(connection.connectionState)
            && connection.isAbandoned(for: idleTimeout, now: now)
        {
            self.logger.info(
                "closing an abandoned connection",
                metadata: ["connection": "\(connection.id)", "idleSeconds": "\(idleTimeout.nanoseconds / 1_000_000_000)"]
            )
            _ = connection.close(Self.goingAway)
        }
    }
}
