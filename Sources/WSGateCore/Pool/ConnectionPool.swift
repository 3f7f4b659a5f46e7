import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Limits and timings of a ``ConnectionPool``.
public struct PoolSettings: Sendable, Equatable {
    /// The most connections open or opening at once.
    public var maxConnections = 10_000
    /// How long a closing handshake may wait for the upstream's Close.
    public var closeTimeout = TimeAmount.seconds(5)
    /// How long an ended connection stays known, so that subscribers can fetch its last events.
    public var endedRetention = TimeAmount.seconds(60)
    /// What each connection's history keeps.
    public var history = HistoryLimits()

    /// The defaults: 10,000 connections, 5 s close timeout, 60 s retention, default history.
    public init() {}
}

/// Why the pool refused to open a connection.
public enum PoolError: Error, Equatable {
    /// `maxConnections` connections are open or opening.
    case capacityExhausted(limit: Int)
    /// The gateway is shutting down.
    case shuttingDown
}

/// Owns every upstream connection: allocates ids, enforces the connection limit, keeps ended
/// connections known for a while, and closes everything on shutdown.
public final class ConnectionPool: Sendable {
    private struct State {
        /// Every known connection, open or ended within the retention period.
        var connections: [ConnectionID: Connection] = [:]
        /// Connections open or opening: what counts against the limit.
        var activeCount = 0
        var isShuttingDown = false
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
    public func open(_ url: WebSocketURL, config: ConnectionConfig, on eventLoop: (any EventLoop)? = nil) async throws -> Connection {
        try await self.open(url, config: config, on: eventLoop).get()
    }

    /// Opens an upstream connection and registers it; the future fails with ``PoolError`` or
    /// ``UpstreamConnectError``.
    ///
    /// `eventLoop`, when given, is the loop the upstream socket is served on: the one of the HTTP
    /// connection that asked for it, so that a client that goes on sending over that same HTTP
    /// connection never waits for a hand-over between threads.
    public func open(_ url: WebSocketURL, config: ConnectionConfig, on eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<Connection> {
        let eventLoop = eventLoop ?? self.eventLoopGroup.next()
        let settings = self.settings
        do {
            try self.state.withLockedValue { state in
                guard !state.isShuttingDown else { throw PoolError.shuttingDown }
                guard state.activeCount < settings.maxConnections else {
                    throw PoolError.capacityExhausted(limit: settings.maxConnections)
                }
                state.activeCount += 1
            }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        var historyLimits = settings.history
        historyLimits.overflow = config.historyOverflow
        let connection = Connection(
            id: .random(), url: url, historyLimits: historyLimits, eventLoop: eventLoop, logger: self.logger, metrics: self.metrics
        )
        let started = NIODeadline.now()
        let connected = connection.connect(config: config, closeTimeout: settings.closeTimeout)
        connected.whenFailure { _ in self.state.withLockedValue { $0.activeCount -= 1 } }
        return connected.flatMap {
            self.metrics.connectDuration.recordNanoseconds((NIODeadline.now() - started).nanoseconds)
            self.metrics.connectionsOpen.increment()
            let accepted = self.state.withLockedValue { state in
                state.connections[connection.id] = connection
                return !state.isShuttingDown
            }
            connection.ended.whenComplete { _ in self.retire(connection) }
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

    /// Frees an ended connection's slot and forgets it after the retention period.
    private func retire(_ connection: Connection) {
        self.state.withLockedValue { $0.activeCount -= 1 }
        self.metrics.connectionsOpen.decrement()
        connection.ended.eventLoop.scheduleTask(in: self.settings.endedRetention) {
            self.state.withLockedValue { _ = $0.connections.removeValue(forKey: connection.id) }
        }
    }
}
