import NIOCore

/// Decides when a silent upstream gets a keepalive Ping and when it is given up as dead: a TCP
/// connection whose peer vanished without a FIN or RST (a NAT timeout, a closed laptop lid)
/// otherwise stays open forever.
///
/// Its timer fires every `interval` while frames arrive. After an interval without any, the
/// gateway sends a Ping and the timer fires again after `timeout`; if nothing arrived by then,
/// the upstream is dead. While the gateway itself has paused reading (flow control towards slow
/// subscribers), silence proves nothing and counts as hearing from the upstream.
struct Keepalive {
    /// What the session does when the timer fires.
    enum Action: Equatable {
        /// Nothing; the timer fires again after `interval`.
        case keepListening
        /// Send a Ping with this payload; the timer fires again after `timeout`.
        case sendPing(ByteBuffer)
        /// Nothing arrived within `timeout` of the Ping: end the connection.
        case giveUp
    }

    /// How long the upstream may stay silent before it gets a Ping.
    let interval: TimeAmount
    /// How long a frame may take to follow the Ping.
    let timeout: TimeAmount
    private var hasHeard = false
    private var isAwaitingAnswer = false
    private var isReadingPaused = false
    private var pingsSent: UInt64 = 0
    /// The payload of the last keepalive Ping, whose Pong is the gateway's own business.
    private var lastPingPayload: ByteBuffer?

    /// A keepalive for `config`, or `nil` when its interval is 0.
    init?(config: ConnectionConfig) {
        guard config.pingIntervalMilliseconds > 0 else { return nil }
        self.interval = .milliseconds(Int64(config.pingIntervalMilliseconds))
        self.timeout = .milliseconds(Int64(config.pingTimeoutMilliseconds))
    }

    /// When the timer fires next after `action`.
    func delay(after action: Action) -> TimeAmount {
        action == .keepListening ? self.interval : self.timeout
    }

    /// Bytes arrived from the upstream.
    mutating func heard() {
        self.hasHeard = true
    }

    /// The gateway paused or resumed reading the upstream.
    mutating func setReadingPaused(_ isPaused: Bool) {
        self.isReadingPaused = isPaused
    }

    /// The timer fired: what to do now.
    mutating func timerFired() -> Action {
        if self.hasHeard || self.isReadingPaused {
            self.hasHeard = false
            self.isAwaitingAnswer = false
            return .keepListening
        }
        if self.isAwaitingAnswer { return .giveUp }
        self.isAwaitingAnswer = true
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
