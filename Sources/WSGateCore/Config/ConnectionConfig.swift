/// The knobs of one upstream WebSocket connection: tungstenite's `WebSocketConfig` plus the
/// handshake's headers and subprotocols and a connect timeout.
public struct ConnectionConfig: Sendable, Equatable {
    /// Extra handshake request headers, in order, one field per name (a repeated name's values joined with ", ").
    public var headers: [HeaderField] = []
    /// Subprotocols offered in `Sec-WebSocket-Protocol`, in order of preference.
    public var protocols: [String] = []
    /// The most bytes taken from the socket per read.
    public var readBufferSize = 128 * 1024
    /// Outgoing bytes coalesced before a flush when several messages are queued together; 0 flushes each.
    public var writeBufferSize = 128 * 1024
    /// The most bytes queued for the socket and not yet written; `nil` is unlimited.
    public var maxWriteBufferSize: Int? = nil
    /// The largest incoming message payload; `nil` is no limit but ``largestMessage``.
    public var maxMessageSize: Int? = 64 << 20
    /// The largest incoming frame payload; `nil` is no limit but ``largestMessage``.
    public var maxFrameSize: Int? = 16 << 20
    /// Accepted for compatibility with tungstenite, where it only affects the server role:
    /// a client must reject masked frames and never sees unmasked ones refused, so it changes nothing here.
    public var acceptUnmaskedFrames = false
    /// The bound on TCP connect, TLS and the WebSocket handshake together, in milliseconds.
    public var connectTimeoutMilliseconds = 10_000
    /// How long the upstream may stay silent before the gateway sends it a keepalive Ping, in
    /// milliseconds; 0 sends none.
    public var pingIntervalMilliseconds = 30_000
    /// How long the gateway waits for a frame after its keepalive Ping before it gives the
    /// connection up as dead, in milliseconds.
    public var pingTimeoutMilliseconds = 15_000
    /// Whether to offer permessage-deflate (RFC 7692); used when the server accepts.
    public var compression = false
    /// What the connection's history does when it is full of events no subscriber has taken:
    /// pause reading the upstream (nothing is lost) or drop the oldest.
    public var historyOverflow = HistoryOverflow.pause
    /// Whether the connection goes through an HTTP proxy.
    public var proxy = ProxySetting.environment
    /// Whether and how a lost upstream is dialled again; `nil` ends the connection with it.
    public var reconnect: ReconnectPolicy?
    /// How a `wss` upstream is verified and whom the gateway presents itself as.
    public var tls = TLSOptions()

    /// tungstenite's defaults, with a 10 s connect timeout and a keepalive Ping after 30 s of silence.
    public init() {}

    /// The gateway's own ceiling on an incoming frame or message, which `"none"` does not lift:
    /// each message becomes one Server-Sent Events record in one buffer, and as JSON (up to six
    /// bytes per byte for escaped text) it must stay below a `ByteBuffer`'s 4 GiB.
    public static let largestMessage = 512 << 20

    /// The longest connect timeout, keepalive interval or keepalive timeout accepted, in milliseconds (one hour).
    public static let longestTimeout = 3_600_000

    /// The frame limit in force: `maxFrameSize`, within ``largestMessage``.
    var effectiveMaxFrameSize: Int { min(self.maxFrameSize ?? Self.largestMessage, Self.largestMessage) }

    /// The message limit in force: `maxMessageSize`, within ``largestMessage``.
    var effectiveMaxMessageSize: Int { min(self.maxMessageSize ?? Self.largestMessage, Self.largestMessage) }

    /// One handshake header.
    public struct HeaderField: Sendable, Equatable {
        /// The header's name, as given.
        public var name: String
        /// The header's value.
        public var value: String

        /// Creates a header field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }
}
