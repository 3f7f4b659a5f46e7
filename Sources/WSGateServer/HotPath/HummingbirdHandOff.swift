import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The last handler of a connection's pipeline until a request or a parse error reaches it: then
/// it wraps the channel in the async channel that Hummingbird's request loop reads, hands that
/// over and steps out of the way.
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
        guard self.handOff(context: context) else { return }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Bytes that are not HTTP/1.1 go to Hummingbird's request loop as the error they are:
        // it answers 400 and closes the connection.
        if error is HTTPParserError, self.handOff(context: context) {
            context.fireErrorCaught(error)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } else {
            context.fireErrorCaught(error)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if !self.isHandedOff { self.promise.succeed(nil) }
        self.isHandedOff = true
    }

    /// Wraps the channel and hands it over, the first time; whether it did.
    private func handOff(context: ChannelHandlerContext) -> Bool {
        guard !self.isHandedOff else { return false }
        self.isHandedOff = true
        do {
            // Adds the async channel's handler after this one, where what follows goes next.
            let asyncChannel = try GatewayChildChannel.AsyncHTTPChannel(
                wrappingChannelSynchronously: context.channel, configuration: .init(isOutboundHalfClosureEnabled: true)
            )
            self.promise.succeed(asyncChannel)
            return true
        } catch {
            self.promise.succeed(nil)
            context.close(promise: nil)
            return false
        }
    }
}
