import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the event loop of the client's HTTP
/// connection, on which the upstream connections it opens are served.
public struct GatewayRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The event loop of the client's HTTP connection.
    public let eventLoop: any EventLoop

    /// Creates the context for a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.eventLoop = source.channel.eventLoop
    }
}
