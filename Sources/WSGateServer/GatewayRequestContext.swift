import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the HTTP channel, which the event
/// stream closes to release a subscriber that was cut off.
public struct GatewayRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The client's HTTP connection.
    public let channel: any Channel

    /// Creates the context for a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
