import NIOCore
import NIOHTTPTypes

/// The last handler of a connection's pipeline until a request reaches it: then it wraps the
/// channel in the async channel that Hummingbird's request loop reads, starts that loop in a
/// task of its own and steps out of the way.
final class HummingbirdHandOff: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    /// Hummingbird's request loop, run on the connection's async channel until it closes.
    private let serve: @Sendable (GatewayChildChannel.AsyncHTTPChannel) async -> Void
    private var isHandedOff = false

    init(serve: @escaping @Sendable (GatewayChildChannel.AsyncHTTPChannel) async -> Void) {
        self.serve = serve
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Only a failed hand-off leaves this handler in place, on a channel that is closing.
        guard !self.isHandedOff else { return }
        self.isHandedOff = true
        do {
            // Adds the async channel's handler after this one, where the part goes next; the
            // async channel buffers it until the request loop reads.
            let asyncChannel = try GatewayChildChannel.AsyncHTTPChannel(
                wrappingChannelSynchronously: context.channel, configuration: .init(isOutboundHalfClosureEnabled: true)
            )
            Task { [serve] in await serve(asyncChannel) }
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }
}
