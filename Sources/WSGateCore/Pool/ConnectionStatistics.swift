import Foundation

/// Counters of one connection's traffic, as `GET /connections/<id>` reports them.
public struct ConnectionStatistics: Sendable, Equatable {
    /// Messages received from upstream, control frames included.
    public var messagesIn = 0
    /// Messages sent upstream, control frames included.
    public var messagesOut = 0
    /// Payload bytes received from upstream.
    public var bytesIn = 0
    /// Payload bytes sent upstream.
    public var bytesOut = 0
    /// When a message last went either way (the connection's creation before the first).
    public var lastActiveAt: Date

    /// Counters at zero, last active at `createdAt`.
    public init(createdAt: Date) {
        self.lastActiveAt = createdAt
    }
}

/// Where a connection is in its life.
public enum ConnectionState: String, Sendable {
    /// Messages flow both ways.
    case open
    /// A Close frame was sent or received; the connection is about to end.
    case closing
    /// The upstream was lost and is being dialled again (`reconnect` in the config).
    case reconnecting
    /// The TCP connection has ended.
    case closed
}
