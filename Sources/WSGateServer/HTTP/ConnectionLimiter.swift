import NIOConcurrencyHelpers
import NIOCore

/// Bounds the HTTP connections open across every listener: a listener stops accepting while
/// `limit` connections are open and accepts again when one closes. Clients beyond the limit
/// wait in the kernel's listen backlog instead of taking file descriptors.
///
/// The count is shared under a lock, so that a connection closing on another event loop counts
/// itself down where it is, without a hop to a listener's loop; only a close that must resume
/// accepting makes that hop. The limit is soft: each listener asked to accept while under it,
/// and one read may accept a few connections at once, so the count can pass the limit by a
/// read's worth per listener.
final class ConnectionLimiter: Sendable {
    private struct State {
        var open = 0
        /// The listeners that asked to read (accept) while at the limit.
        var waiting: [NIOLoopBound<ChannelHandlerContext>] = []
    }

    private let limit: Int
    private let state = NIOLockedValueBox(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// The handler that applies the limit on one listening channel.
    func makeListenerHandler() -> some ChannelHandler {
        ListenerHandler(limiter: self)
    }

    /// Counts `connection` until it closes.
    fileprivate func opened(_ connection: any Channel) {
        self.state.withLockedValue { $0.open += 1 }
        connection.closeFuture.whenComplete { _ in self.closed() }
    }

    private func closed() {
        let resumed = self.state.withLockedValue { state -> [NIOLoopBound<ChannelHandlerContext>] in
            state.open -= 1
            guard state.open < self.limit else { return [] }
            defer { state.waiting = [] }
            return state.waiting
        }
        for listener in resumed {
            listener.eventLoop.execute { listener.value.read() }
        }
    }

    /// Whether the listener of `context` may accept now; if not, the close that brings the count
    /// under the limit makes it read again.
    fileprivate func mayAccept(_ context: ChannelHandlerContext) -> Bool {
        self.state.withLockedValue { state in
            guard state.open >= self.limit else { return true }
            state.waiting.append(NIOLoopBound(context, eventLoop: context.eventLoop))
            return false
        }
    }

    /// Sits on a listening channel: counts each accepted connection and holds back reads at the limit.
    private final class ListenerHandler: ChannelDuplexHandler {
        typealias InboundIn = any Channel
        typealias InboundOut = any Channel
        typealias OutboundIn = NIOAny

        private let limiter: ConnectionLimiter

        init(limiter: ConnectionLimiter) {
            self.limiter = limiter
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.limiter.opened(self.unwrapInboundIn(data))
            context.fireChannelRead(data)
        }

        func read(context: ChannelHandlerContext) {
            if self.limiter.mayAccept(context) { context.read() }
        }
    }
}
