import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// One bridged upstream WebSocket: its identity, its event history and the means to send on it
/// and close it. Safe to use from any thread; the socket work happens on its event loop.
public final class Connection: Sendable {
    /// The connection's id.
    public let id: ConnectionID
    /// The upstream URL.
    public let url: WebSocketURL
    /// When the connection was opened.
    public let createdAt: Date
    /// Every event received, numbered, with its subscribers.
    public let history: EventHistory

    private struct State {
        /// The open upstream, until it ends: its session refers back to this connection, so
        /// the reference is dropped at the end, or neither would ever be freed.
        var upstream: UpstreamConnector.Established?
        var subprotocol: String?
        var statistics: ConnectionStatistics
        var isClosing = false
        var isSettled = false
        var outcome: CloseOutcome?
        /// When a client last sent on the connection or was seen subscribed to it.
        var lastClaimedAt = NIODeadline.now()
    }

    private let state: NIOLockedValueBox<State>
    private let endPromise: EventLoopPromise<CloseOutcome>
    /// Completed with the outcome once it is final: at the closing handshake, or at the end.
    private let settledPromise: EventLoopPromise<CloseOutcome>
    private let logger: Logger
    private let historyLimits: HistoryLimits
    private let metrics: GatewayMetrics

    init(
        id: ConnectionID, url: WebSocketURL, historyLimits: HistoryLimits, eventLoop: any EventLoop, logger: Logger,
        metrics: GatewayMetrics = .none
    ) {
        self.id = id
        self.url = url
        self.createdAt = Date()
        self.metrics = metrics
        self.history = EventHistory(limits: historyLimits, metrics: metrics)
        self.historyLimits = historyLimits
        self.state = NIOLockedValueBox(State(statistics: ConnectionStatistics(createdAt: self.createdAt)))
        self.endPromise = eventLoop.makePromise()
        self.settledPromise = eventLoop.makePromise()
        self.logger = logger
        self.history.setReadingControl { [weak self] isReading in self?.setUpstreamReading(isReading) }
    }

    /// The subprotocol the upstream chose, if any.
    public var subprotocol: String? { self.state.withLockedValue { $0.subprotocol } }

    /// The traffic counters.
    public var statistics: ConnectionStatistics { self.state.withLockedValue { $0.statistics } }

    /// Whether the connection is open, closing or closed.
    public var connectionState: ConnectionState {
        self.state.withLockedValue { state in
            state.outcome != nil ? .closed : (state.isClosing ? .closing : .open)
        }
    }

    /// How the connection ended, once it has.
    public var outcome: CloseOutcome? { self.state.withLockedValue { $0.outcome } }

    /// Completes when the TCP connection has ended and the final event is in the history.
    public var ended: EventLoopFuture<CloseOutcome> { self.endPromise.futureResult }

    /// Sends `messages` in order and returns once the last is written to the socket.
    public func send(_ messages: [Message]) async throws {
        try await self.send(messages).get()
    }

    /// Sends `messages` in order; the future completes, on the connection's event loop, once the
    /// last is written to the socket, or fails with a ``SendError``.
    public func send(_ messages: [Message]) -> EventLoopFuture<Void> {
        let (upstream, outcome) = self.state.withLockedValue { state in
            state.lastClaimedAt = .now()
            return (state.upstream, state.outcome)
        }
        guard let upstream else {
            let closeFrame = outcome?.received ?? outcome?.sent
            return self.endPromise.futureResult.eventLoop.makeFailedFuture(SendError.connectionClosed(closeFrame))
        }
        if messages.contains(where: { if case .close = $0 { true } else { false } }) {
            self.markClosing()
        }
        let written = upstream.channel.eventLoop.makePromise(of: Void.self)
        Self.onSessionLoop(upstream) { $0.send(messages, promise: written) }
        return written.futureResult
    }

    /// Whether no client has sent on the connection or subscribed to it for `idleTimeout`, as of
    /// `now`. A subscriber seen now counts as a claim now.
    func isAbandoned(for idleTimeout: TimeAmount, now: NIODeadline) -> Bool {
        let isSubscribed = self.history.subscriberCount > 0
        return self.state.withLockedValue { state in
            if isSubscribed { state.lastClaimedAt = now }
            return now - state.lastClaimedAt >= idleTimeout
        }
    }

    /// Starts the closing handshake with `frame` (unless it has started) and waits for the end of
    /// TCP, at most `timeout` (if given and shorter than the pool's) for the upstream's answer.
    public func closeAndAwaitEnd(_ frame: CloseFrame?, timeout: TimeAmount? = nil) async -> CloseOutcome {
        self.startClosing(frame, timeout: timeout)
        return (try? await self.ended.get()) ?? CloseOutcome()
    }

    /// Starts the closing handshake with `frame` (unless it has started); the future completes
    /// with the outcome once it is final: when both Close frames are exchanged, while the
    /// upstream has yet to end TCP, or at the end. It fails if the connection never opened.
    public func close(_ frame: CloseFrame?, timeout: TimeAmount? = nil) -> EventLoopFuture<CloseOutcome> {
        self.startClosing(frame, timeout: timeout)
        return self.settledPromise.futureResult
    }

    private func startClosing(_ frame: CloseFrame?, timeout: TimeAmount?) {
        guard let upstream = self.state.withLockedValue({ $0.upstream }) else { return }
        self.markClosing()
        Self.onSessionLoop(upstream) { $0.close(frame, timeout: timeout) }
    }

    /// Completes the closing future with `outcome`, unless it has completed.
    private func settle(_ outcome: Result<CloseOutcome, Error>) {
        let isFirst = self.state.withLockedValue { state in
            defer { state.isSettled = true }
            return !state.isSettled
        }
        if isFirst { self.settledPromise.completeWith(outcome) }
    }

    /// Runs `body` with the upstream's session on its event loop. When called there (where the
    /// HTTP connection that opened it is served), it runs at once, so that frames go out in this
    /// tick rather than after the loop's other tasks.
    private static func onSessionLoop(
        _ upstream: UpstreamConnector.Established, _ body: @escaping @Sendable (WebSocketSession) -> Void
    ) {
        let session = upstream.session
        if session.eventLoop.inEventLoop {
            body(session.value)
        } else {
            session.eventLoop.execute { body(session.value) }
        }
    }

    /// Connects the upstream; the connection's events start arriving in its history at once.
    /// Fails with an ``UpstreamConnectError``.
    func connect(config: ConnectionConfig, settings: PoolSettings) -> EventLoopFuture<Void> {
        UpstreamConnector.connect(
            to: self.url, config: config, proxy: settings.proxies.proxy(for: self.url, setting: config.proxy), egress: settings.egress,
            closeTimeout: settings.closeTimeout, observer: self,
            on: self.endPromise.futureResult.eventLoop
        ).map { upstream in
            self.state.withLockedValue { state in
                // An upstream that ended at once has no session to keep (see `upstream`).
                if state.outcome == nil { state.upstream = upstream }
                state.subprotocol = upstream.subprotocol
            }
            self.log("opened", ["upstream": "\(self.url.origin)", "protocol": "\(upstream.subprotocol ?? "-")"])
        }.flatMapErrorThrowing { error in
            self.log("could not open", ["upstream": "\(self.url.origin)", "error": "\(error)"])
            self.endPromise.fail(error)
            self.settle(.failure(error))
            throw error
        }
    }

    /// Turns reading the upstream off or on for the history's flow control. While it is off,
    /// checks every `stallTimeout` for subscribers that take nothing and cuts them off.
    private func setUpstreamReading(_ isReading: Bool) {
        guard let upstream = self.state.withLockedValue({ $0.upstream }) else { return }
        let session = upstream.session
        session.eventLoop.execute {
            session.value.setReading(isReading)
            if !isReading { self.scheduleStallCheck(on: session.eventLoop) }
        }
    }

    private func scheduleStallCheck(on eventLoop: any EventLoop) {
        let pausedAt = NIODeadline.now()
        eventLoop.scheduleTask(in: self.historyLimits.stallTimeout) {
            if self.history.cutOffStalledSubscribers(since: pausedAt) {
                self.scheduleStallCheck(on: eventLoop)
            }
        }
    }

    /// Logs one lifecycle event with the connection's id. The id is added per line rather than
    /// kept in a logger of its own, which would cost every idle connection a metadata dictionary.
    /// The metadata is built only when the line is logged: below the level, every setup and
    /// close would otherwise pay for a dictionary and its string interpolations.
    private func log(_ event: Logger.Message, _ metadata: @autoclosure () -> Logger.Metadata) {
        self.logger.info(event, metadata: metadata().merging(["connection": "\(self.id)"]) { $1 })
    }

    private func markClosing() {
        self.state.withLockedValue { $0.isClosing = true }
    }
}

extension Connection: SessionObserver {
    func sessionReceived(_ messages: [Message]) {
        let endsWithClose = messages.last.map { if case .close = $0 { true } else { false } } ?? false
        self.state.withLockedValue { state in
            state.statistics.messagesIn += messages.count
            state.statistics.bytesIn += messages.reduce(0) { $0 + $1.payloadSize }
            state.statistics.lastActiveAt = .coarseNow
            if endsWithClose { state.isClosing = true }
        }
        self.metrics.count(messages, .received)
        self.history.append(contentsOf: messages.map(ConnectionEvent.message))
        // The Close is the final event: the streams end with it, not later with TCP, so that
        // a subscriber gets the event and the stream's end in one write.
        if endsWithClose { self.history.finish() }
    }

    func sessionFailed(_ description: String) {
        self.markClosing()
        self.log("failed", ["error": "\(description)"])
        self.history.append(.error(description))
        self.history.finish()
    }

    func sessionSent(_ message: Message) {
        self.metrics.count(CollectionOfOne(message), .sent)
        self.state.withLockedValue { state in
            state.statistics.messagesOut += 1
            state.statistics.bytesOut += message.payloadSize
            state.statistics.lastActiveAt = .coarseNow
        }
    }

    func sessionEnded(_ outcome: CloseOutcome) {
        self.state.withLockedValue { state in
            state.outcome = outcome
            state.upstream = nil
        }
        let code = outcome.received?.code ?? outcome.sent?.code
        self.log("closed", ["code": "\(code.map(String.init) ?? "-")", "clean": "\(outcome.isClean)"])
        self.endPromise.succeed(outcome)
        self.settle(.success(outcome))
    }

    func sessionCompletedClosingHandshake(_ outcome: CloseOutcome) {
        self.settle(.success(outcome))
    }
}
