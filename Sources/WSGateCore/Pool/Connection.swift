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
        /// Set once a client (or the gateway itself) asked to close: the end is then final.
        var isCloseRequested = false
        /// The Close frame asked for.
        var requestedCloseFrame: CloseFrame?
        var isSettled = false
        var outcome: CloseOutcome?
        /// When a client last sent on the connection or was seen subscribed to it.
        var lastClaimedAt = NIODeadline.now()
        /// How the upstream is dialled, kept when the config asks for reconnection.
        var dialling: Dialling?
        /// While a lost upstream is being reconnected.
        var reconnection: Reconnection?

        /// Ends the reconnection once the attempt under way has brought the upstream back, and
        /// returns how many attempts it took; `nil` when no attempt is under way.
        mutating func takeReconnectionBack() -> Int? {
            guard let reconnection = self.reconnection, reconnection.isDialling else { return nil }
            self.reconnection = nil
            self.isClosing = false
            return reconnection.attempts
        }
    }

    /// What dialling the upstream takes. A class, so that the state of a connection that does
    /// not reconnect holds one empty reference rather than room for a whole config.
    private final class Dialling: Sendable {
        let config: ConnectionConfig
        let settings: PoolSettings

        init(config: ConnectionConfig, settings: PoolSettings) {
            self.config = config
            self.settings = settings
        }
    }

    /// A lost upstream on its way back.
    private struct Reconnection {
        /// The attempts made since the loss.
        var attempts = 0
        /// When the next attempt starts; `nil` while one is under way.
        var nextAttemptAt: NIODeadline?
        var timer: Scheduled<Void>?

        var isDialling: Bool { self.nextAttemptAt == nil }
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
        self.history.setReadingControl { [weak self] in self?.followHistoryReading() }
    }

    /// The subprotocol the upstream chose, if any.
    public var subprotocol: String? { self.state.withLockedValue { $0.subprotocol } }

    /// The traffic counters.
    public var statistics: ConnectionStatistics { self.state.withLockedValue { $0.statistics } }

    /// Whether the connection is open, closing, reconnecting or closed.
    public var connectionState: ConnectionState {
        self.state.withLockedValue { state in
            if state.outcome != nil { return .closed }
            if state.reconnection != nil { return .reconnecting }
            return state.isClosing ? .closing : .open
        }
    }

    /// While the upstream is being reconnected: the attempts made, and when the next starts
    /// (`nil` while one is under way).
    public var reconnectionStatus: (attempts: Int, nextAttemptAt: NIODeadline?)? {
        self.state.withLockedValue { state in state.reconnection.map { ($0.attempts, $0.nextAttemptAt) } }
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
        let closeFrame = messages.lazy.compactMap { if case .close(let frame) = $0 { frame } else { nil } }.first
        let isClosing = messages.contains { if case .close = $0 { true } else { false } }
        let (upstream, outcome, reconnection) = self.state.withLockedValue { state in
            state.lastClaimedAt = .now()
            if isClosing, state.upstream != nil {
                state.isClosing = true
                state.isCloseRequested = true
                state.requestedCloseFrame = closeFrame
            }
            return (state.upstream, state.outcome, state.reconnection)
        }
        guard let upstream else {
            let eventLoop = self.endPromise.futureResult.eventLoop
            if let reconnection {
                let wait = reconnection.nextAttemptAt.map { ($0 - .now()).nanoseconds } ?? 0
                let seconds = max(1, Int((wait + 999_999_999) / 1_000_000_000))
                return eventLoop.makeFailedFuture(SendError.reconnecting(retryAfterSeconds: seconds))
            }
            return eventLoop.makeFailedFuture(SendError.connectionClosed(outcome?.received ?? outcome?.sent))
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
        enum Action {
            case closeUpstream(UpstreamConnector.Established)
            case endWhileReconnecting(CloseOutcome)
            case none
        }
        let action = self.state.withLockedValue { state -> Action in
            guard state.outcome == nil else { return .none }
            state.isCloseRequested = true
            state.requestedCloseFrame = frame
            if let upstream = state.upstream {
                state.isClosing = true
                return .closeUpstream(upstream)
            }
            // Waiting for the next attempt: nothing to close but the wait. An attempt under way
            // ends the connection when it completes.
            guard let reconnection = state.reconnection, !reconnection.isDialling else { return .none }
            reconnection.timer?.cancel()
            let outcome = CloseOutcome(sent: frame)
            state.outcome = outcome
            return .endWhileReconnecting(outcome)
        }
        switch action {
        case .closeUpstream(let upstream):
            Self.onSessionLoop(upstream) { $0.close(frame, timeout: timeout) }
        case .endWhileReconnecting(let outcome):
            self.end(outcome, finalEvent: .message(.close(frame)))
        case .none:
            break
        }
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
        let dialling = Dialling(config: config, settings: settings)
        // Kept only for reconnecting: an idle connection costs what it keeps.
        if config.reconnect != nil { self.state.withLockedValue { $0.dialling = dialling } }
        return self.dial(dialling).map { upstream in
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

    /// Dials the upstream once.
    private func dial(_ dialling: Dialling) -> EventLoopFuture<UpstreamConnector.Established> {
        let settings = dialling.settings
        if dialling.config.tls.insecureSkipVerify, self.url.isSecure {
            self.logger.warning(
                "TLS verification is off for this connection (tls.insecureSkipVerify)",
                metadata: ["connection": "\(self.id)", "upstream": "\(self.url.origin)"]
            )
        }
        return UpstreamConnector.connect(
            to: self.url, config: dialling.config, proxy: settings.proxies.proxy(for: self.url, setting: dialling.config.proxy),
            egress: settings.egress, closeTimeout: settings.closeTimeout, observer: self, on: self.endPromise.futureResult.eventLoop
        )
    }

    /// Turns reading the upstream off or on as the history's flow control now wants. A pause
    /// decided on the upstream's loop and a resume decided on a subscriber's can reach the
    /// session's loop in either order, so the task reads the history's latest wish when it
    /// runs: the last task leaves the session as the history wants it. Once paused, checks
    /// every `stallTimeout` for subscribers that take nothing and cuts them off.
    private func followHistoryReading() {
        guard let upstream = self.state.withLockedValue({ $0.upstream }) else { return }
        let session = upstream.session
        session.eventLoop.execute {
            let isPaused = self.history.isUpstreamPaused
            if session.value.setReading(!isPaused), isPaused { self.scheduleStallCheck(on: session.eventLoop) }
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

    /// Ends the connection with `outcome`, after `finalEvent` unless the history has ended.
    private func end(_ outcome: CloseOutcome, finalEvent: ConnectionEvent) {
        if !self.history.isFinished {
            self.history.append(finalEvent)
            self.history.finish()
        }
        self.endPromise.succeed(outcome)
        self.settle(.success(outcome))
    }
}

// MARK: Reconnection

extension Connection {
    /// Starts reconnecting after the upstream was lost for `reason`, unless the config has no
    /// `reconnect` or a close was asked for; returns the `Lost` event.
    private func beginReconnecting(reason: String, close: CloseFrame?) -> ConnectionEvent? {
        self.state.withLockedValue { state in
            guard let policy = state.dialling?.config.reconnect, !state.isCloseRequested, state.reconnection == nil else { return nil }
            var generator = SystemRandomNumberGenerator()
            let delay = policy.delayMilliseconds(beforeAttempt: 1, using: &generator)
            state.reconnection = Reconnection(nextAttemptAt: .now() + .milliseconds(Int64(delay)))
            return .lost(reason: reason, close: close, attempt: 1, delayMilliseconds: delay)
        }
    }

    /// Starts the next attempt at `deadline`.
    private func scheduleAttempt(at deadline: NIODeadline) {
        let timer = self.endPromise.futureResult.eventLoop.scheduleTask(deadline: deadline) { self.attemptReconnection() }
        self.state.withLockedValue { $0.reconnection?.timer = timer }
    }

    private func attemptReconnection() {
        let dialling = self.state.withLockedValue { state -> Dialling? in
            guard !state.isCloseRequested, state.reconnection != nil else { return nil }
            state.reconnection?.attempts += 1
            state.reconnection?.nextAttemptAt = nil
            state.reconnection?.timer = nil
            return state.dialling
        }
        guard let dialling else { return }
        self.dial(dialling).whenComplete { result in
            switch result {
            case .success(let upstream): self.reconnected(upstream)
            case .failure(let error): self.reconnectionFailed(error)
            }
        }
    }

    private func reconnected(_ upstream: UpstreamConnector.Established) {
        let closeRequest = self.state.withLockedValue { state -> CloseFrame?? in
            // A session that ended at once has been reported, and left nothing to keep.
            if upstream.channel.isActive {
                state.upstream = upstream
                state.subprotocol = upstream.subprotocol
            }
            return state.isCloseRequested ? .some(state.requestedCloseFrame) : nil
        }
        self.announceReconnection()
        // A new session reads at once; flow control may want it paused, as the last one was.
        if self.history.isUpstreamPaused { self.followHistoryReading() }
        self.log("reconnected", ["upstream": "\(self.url.origin)"])
        if let frame = closeRequest { Self.onSessionLoop(upstream) { $0.close(frame, timeout: nil) } }
    }

    private func reconnectionFailed(_ error: Error) {
        enum Next {
            case retry(NIODeadline, attempt: Int)
            case end(CloseOutcome, ConnectionEvent)
        }
        let next = self.state.withLockedValue { state -> Next? in
            guard let reconnection = state.reconnection, let policy = state.dialling?.config.reconnect else { return nil }
            if state.isCloseRequested {
                let outcome = CloseOutcome(sent: state.requestedCloseFrame)
                state.outcome = outcome
                return .end(outcome, .message(.close(state.requestedCloseFrame)))
            }
            let attempt = reconnection.attempts + 1
            guard policy.allows(attempt: attempt) else {
                state.outcome = CloseOutcome()
                return .end(CloseOutcome(), .error("Gave up reconnecting after \(reconnection.attempts) attempts; the last failed: \(error)"))
            }
            var generator = SystemRandomNumberGenerator()
            let deadline = NIODeadline.now() + .milliseconds(Int64(policy.delayMilliseconds(beforeAttempt: attempt, using: &generator)))
            state.reconnection?.nextAttemptAt = deadline
            return .retry(deadline, attempt: attempt)
        }
        switch next {
        case .retry(let deadline, let attempt):
            self.log("reconnection failed", ["error": "\(error)", "nextAttempt": "\(attempt)"])
            self.scheduleAttempt(at: deadline)
        case .end(let outcome, let finalEvent):
            self.log("gave up reconnecting", ["error": "\(error)"])
            self.end(outcome, finalEvent: finalEvent)
        case nil:
            break
        }
    }

    /// Appends `Reconnected` once the attempt under way has brought the upstream back: before
    /// the new session's first event, or when the attempt completes if it has none.
    private func announceReconnection() {
        if let attempts = self.state.withLockedValue({ $0.takeReconnectionBack() }) {
            self.history.append(.reconnected(attempts: attempts))
        }
    }
}

extension Connection: SessionObserver {
    func sessionReceived(_ messages: [Message]) {
        let endsWithClose = messages.last.map { if case .close = $0 { true } else { false } } ?? false
        // One lock per read, on the hot path: the counters, and a reconnection this read ends.
        let reconnectedAfter = self.state.withLockedValue { state -> Int? in
            let attempts = state.takeReconnectionBack()
            state.statistics.messagesIn += messages.count
            state.statistics.bytesIn += messages.reduce(0) { $0 + $1.payloadSize }
            state.statistics.lastActiveAt = .coarseNow
            if endsWithClose { state.isClosing = true }
            return attempts
        }
        self.metrics.count(messages, .received)
        var events = messages.map(ConnectionEvent.message)
        if let reconnectedAfter { events.insert(.reconnected(attempts: reconnectedAfter), at: 0) }
        // With `reconnect`, the server's Close is news of a loss, not the end.
        if case .close(let frame)? = messages.last, let lost = self.beginReconnecting(reason: "The server closed the connection.", close: frame) {
            events[events.count - 1] = lost
            self.history.append(contentsOf: events)
            return
        }
        self.history.append(contentsOf: events)
        // The Close is the final event: the streams end with it, not later with TCP, so that
        // a subscriber gets the event and the stream's end in one write.
        if endsWithClose { self.history.finish() }
    }

    func sessionFailed(_ description: String) {
        self.announceReconnection()
        // A session already lost (its Close received) that fails in the closing handshake: the loss is told.
        if self.state.withLockedValue({ $0.reconnection != nil && !$0.isCloseRequested }) { return }
        if let lost = self.beginReconnecting(reason: description, close: nil) {
            self.log("lost", ["error": "\(description)"])
            self.history.append(lost)
            return
        }
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
        let nextAttemptAt = self.state.withLockedValue { state -> NIODeadline? in
            state.upstream = nil
            if !state.isCloseRequested, let deadline = state.reconnection?.nextAttemptAt { return deadline }
            state.outcome = outcome
            return nil
        }
        if let nextAttemptAt {
            self.scheduleAttempt(at: nextAttemptAt)
            return
        }
        // A close asked for while the upstream was being lost: the history has no final event yet.
        if !self.history.isFinished {
            let frame = self.state.withLockedValue { $0.requestedCloseFrame }
            self.history.append(.message(.close(outcome.received ?? frame)))
            self.history.finish()
        }
        let code = outcome.received?.code ?? outcome.sent?.code
        self.log("closed", ["code": "\(code.map(String.init) ?? "-")", "clean": "\(outcome.isClean)"])
        self.endPromise.succeed(outcome)
        self.settle(.success(outcome))
    }

    func sessionCompletedClosingHandshake(_ outcome: CloseOutcome) {
        // After a loss that is being reconnected, the outcome is not final.
        let isLost = self.state.withLockedValue { $0.reconnection != nil && !$0.isCloseRequested }
        if !isLost { self.settle(.success(outcome)) }
    }
}
