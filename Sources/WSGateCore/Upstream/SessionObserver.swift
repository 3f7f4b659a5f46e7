/// Receives what happens on an upstream WebSocket session. Every call arrives on the channel's
/// event loop, in the order things happened.
protocol SessionObserver: AnyObject, Sendable {
    /// Complete messages arrived, in order: Text, Binary, Ping, Pong, or the peer's Close, which
    /// is the last. Those read at once come in one call.
    func sessionReceived(_ messages: [Message])
    /// The session failed; `description` is the error event's text. No message follows.
    func sessionFailed(_ description: String)
    /// Both Close frames are exchanged: `outcome` is final, though TCP has not ended yet.
    func sessionCompletedClosingHandshake(_ outcome: CloseOutcome)
    /// `message` was handed to the socket.
    func sessionSent(_ message: Message)
    /// The TCP connection is closed; nothing follows.
    func sessionEnded(_ outcome: CloseOutcome)
}

/// How an upstream connection ended.
public struct CloseOutcome: Sendable, Equatable {
    /// The payload of the Close frame the gateway sent, if it sent one with a payload.
    public var sent: CloseFrame?
    /// The payload of the Close frame the upstream sent, if it sent one with a payload.
    public var received: CloseFrame?
    /// Whether both sides sent a Close frame before the TCP connection ended.
    public var isClean = false
}
