import NIOCore

/// Hands every value a channel reads to an `AsyncStream`, which finishes when the channel
/// closes or fails.
final class StreamingHandler<Element: Sendable>: ChannelInboundHandler, Sendable {
    typealias InboundIn = Element
    private let continuation: AsyncStream<Element>.Continuation

    init(continuation: AsyncStream<Element>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.continuation.yield(self.unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.continuation.finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.continuation.finish()
        context.close(promise: nil)
    }
}
