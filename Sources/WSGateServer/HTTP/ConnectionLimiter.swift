import NIOCore

/// Bounds the open HTTP connections: on the listening channel, it stops accepting while
/// `limit` connections are open and accepts again when one closes. Clients beyond the limit
/// wait in the kernel's listen backlog instead of taking file descriptors.
///
/// One read of the listening channel may accept a few connections at once, so the count can
/// pass the limit by that many.
final class ConnectionLimiter: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = NIOAny

    private let limit: Int
    private var openConnections = 0
    private var isReadDeferred = false

    init(limit: Int) {
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = self.unwrapInboundIn(data)
        self.openConnections += 1
        connection.closeFuture.hop(to: context.eventLoop).assumeIsolated().whenComplete { _ in
            self.openConnections -= 1
            if self.isReadDeferred, self.openConnections < self.limit {
                self.isReadDeferred = false
                context.read()
            }
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        if self.openConnections < self.limit {
            context.read()
        } else {
            self.isReadDeferred = true
        }
    }
}
