import NIOCore

/// The limits of the HTTP front end.
public struct HTTPLimits: Sendable, Equatable {
    /// The most HTTP connections open at once; further clients wait in the listen backlog.
    public var maxConnections = 32_768
    /// How long a connection may take to send a complete request head, counted from when it
    /// opened or its previous response ended; then it is closed. A body must make progress
    /// within the same time, or it is answered 408.
    public var idleTimeout = TimeAmount.seconds(60)
    /// How long a connection may take to finish its response once the server stops; then it is
    /// closed, so that a client that stopped reading its event stream cannot hold the process open.
    public var drainTimeout = TimeAmount.seconds(5)
    /// The largest request body (413 above it).
    public var maxRequestBodySize = 64 << 20
    /// The longest request target (414 above it).
    public var maxTargetLength = 8 << 10
    /// The most event streams open at once (503 above it).
    public var maxEventStreams = 10_000

    /// The defaults: 32,768 connections, 60 s idle, 5 s to drain, 64 MiB bodies, 8 KiB targets,
    /// 10,000 event streams.
    public init() {}
}
