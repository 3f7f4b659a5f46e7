import NIOConcurrencyHelpers
import NIOCore

/// Bounds the open HTTP connections: on the listening channel, it stops accepting while
/// `limit` connections are open and accepts again when one closes. Clients beyond the limit
/// wait in the kernel's listen backlog instead of taking file descriptors.
///
/// The count is shared under a lock, so that a connection closing on another event loop counts
/// itself down where it is, without a hop to the listening channel's loop; only a close that
/// must resume accepting makes that hop. One read of the listening channel may accept a few
/// connections at once, so the count can pass the limit by that many.
final class ConnectionLimiter: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = NIOAny

    private struct Count {
        var open = 0
        /// Set when the listening channel asked to read (accept) while at the limit.
        var isReadDeferred = false
    }

    private let limit: Int
    private let count = NIOLockedValueBox(Count())

    init(limit: Int) {
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = self.unwrapInboundIn(data)
        self.count.withLockedValue { $0.open += 1 }
        let (count, limit) = (self.count, self.limit)
        let listener = NIOLoopBound(context, eventLoop: context.eventLoop)
        connection.closeFuture.whenComplete { _ in
            let resume = count.withLockedValue { count in
                count.open -= 1
                guard count.isReadDeferred, count.open < limit else { return false }
                count.isReadDeferred = false
                return true
            }
            if resume { listener.eventLoop.execute { listener.value.read() } }
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        let isAtLimit = self.count.withLockedValue { count in
            count.isReadDeferred = count.open >= self.limit
            return count.isReadDeferred
        }
        if !isAtLimit { context.read() }
    }
}
