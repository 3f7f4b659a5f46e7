import NIOCore
import NIOHTTPTypes

/// The last handler of a connection's pipeline until a request reaches it: then it wraps the
/// channel in the async channel that Hummingbird's request loop reads, hands that over and
/// steps out of the way.
final class HummingbirdHandOff: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    /// Completed once: with the async channel, or with `nil` if the connection ends first.
    let promise: EventLoopPromise<GatewayChildChannel.AsyncHTTPChannel?>
    private var isHandedOff = false

    init(promise: EventLoopPromise<GatewayChildChannel.AsyncHTTPChannel?>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Only a failed hand-off leaves this handler in place, on a channel that is closing.
        guard !self.isHandedOff else { return }
        self.isHandedOff = true
        do {
            // Adds the async channel's handler after this one, where the part goes next.
            let asyncChannel = try GatewayChildChannel.AsyncHTTPChannel(
                wrappingChannelSynchronously: context.channel, configuration: .init(isOutboundHalfClosureEnabled: true)
            )
            self.promise.succeed(asyncChannel)
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            self.promise.succeed(nil)
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if !self.isHandedOff { self.promise.succeed(nil) }
        self.isHandedOff = true
    }
}
