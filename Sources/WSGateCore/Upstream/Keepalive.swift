import NIOCore

/// Decides when a silent upstream gets a keepalive Ping and when it is given up as dead: a TCP
/// connection whose peer vanished without a FIN or RST (a NAT timeout, a closed laptop lid)
/// otherwise stays open forever.
///
/// Its deadline passes every `interval` while frames arrive. After an interval without any, the
/// gateway sends a Ping and the next deadline is `timeout` later; if nothing arrived by then,
/// the upstream is dead. An answer ends that wait at the next tick, and the next interval
/// starts from there. While the gateway itself has paused reading (flow control towards slow
/// subscribers), silence proves nothing and counts as hearing from the upstream. A clock asks
/// it every ``tick``, so each decision comes at most a tick after its deadline.
struct Keepalive {
    /// What the session does when the clock ticks.
    enum Action: Equatable {
        /// Nothing.
        case keepListening
        /// Send a Ping with this payload.
        case sendPing(ByteBuffer)
        /// Nothing arrived within `timeout` of the Ping: end the connection.
        case giveUp
    }

    /// How long the upstream may stay silent before it gets a Ping.
    let interval: TimeAmount
    /// How long a frame may take to follow the Ping.
    let timeout: TimeAmount
    /// How often the clock should ask: an eighth of the shorter period, so that a decision
    /// comes at most that much late.
    let tick: TimeAmount
    /// When the next decision is due.
    private(set) var deadline: NIODeadline
    private var hasHeard = false
    private var isAwaitingAnswer = false
    private var isReadingPaused = false
    private var pingsSent: UInt64 = 0
    /// The payload of the last keepalive Ping, whose Pong is the gateway's own business.
    private var lastPingPayload: ByteBuffer?

    /// A keepalive for `config` starting `now`, or `nil` when its interval is 0.
    init?(config: ConnectionConfig, now: NIODeadline) {
        guard config.pingIntervalMilliseconds > 0 else { return nil }
        self.interval = .milliseconds(Int64(config.pingIntervalMilliseconds))
        self.timeout = .milliseconds(Int64(config.pingTimeoutMilliseconds))
        self.tick = .nanoseconds(max(1_000_000, min(self.interval.nanoseconds, self.timeout.nanoseconds) / 8))
        self.deadline = now + self.interval
    }

    /// Bytes arrived from the upstream.
    mutating func heard() {
        self.hasHeard = true
    }

    /// The gateway paused or resumed reading the upstream.
    mutating func setReadingPaused(_ isPaused: Bool) {
        self.isReadingPaused = isPaused
    }

    /// The clock ticked at `now`: what to do.
    mutating func clockTicked(now: NIODeadline) -> Action {
        let isDue = now >= self.deadline
        if self.hasHeard || self.isReadingPaused {
            // Heard from the upstream: the interval restarts when it ends, or at once after a Ping.
            guard isDue || self.isAwaitingAnswer else { return .keepListening }
            self.hasHeard = false
            self.isAwaitingAnswer = false
            self.deadline = now + self.interval
            return .keepListening
        }
        guard isDue else { return .keepListening }
        if self.isAwaitingAnswer { return .giveUp }
        self.isAwaitingAnswer = true
        self.deadline = now + self.timeout
        self.pingsSent += 1
        let payload = ByteBuffer(string: "wsgate keepalive \(self.pingsSent)")
        self.lastPingPayload = payload
        return .sendPing(payload)
    }

    /// Whether a Pong with `payload` answers the gateway's own Ping rather than the client's;
    /// such a Pong is not reported.
    mutating func isAnswerToOwnPing(_ payload: ByteBuffer) -> Bool {
        guard let lastPingPayload, payload == lastPingPayload else { return false }
        self.lastPingPayload = nil
        return true
    }
}
