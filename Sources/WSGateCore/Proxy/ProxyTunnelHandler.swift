import NIOCore

/// Opens a tunnel through an HTTP proxy: on connect it sends `CONNECT target`, and once the
/// proxy answers 2xx it tells the handlers after it that the channel is active, passes on any
/// bytes that followed the answer, and leaves the pipeline. Until then they see nothing, so TLS
/// and the WebSocket handshake run inside the tunnel.
final class ProxyTunnelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The longest proxy answer head taken.
    private static let maxHeadSize = 16 * 1024

    private let proxy: HTTPProxy
    /// The `host:port` asked for.
    private let target: String
    private let opened: () -> Void
    private let failure: (UpstreamConnectError) -> Void
    private var received = ByteBuffer()
    private var isOpen = false

    /// A tunnel through `proxy` to `target` (`host:port`); `opened` hears that it opened, or
    /// `failure` why it did not.
    init(proxy: HTTPProxy, target: String, opened: @escaping () -> Void, failure: @escaping (UpstreamConnectError) -> Void) {
        self.proxy = proxy
        self.target = target
        self.opened = opened
        self.failure = failure
    }

    func channelActive(context: ChannelHandlerContext) {
        var request = "CONNECT \(self.target) HTTP/1.1\r\nHost: \(self.target)\r\n"
        if let authorization = self.proxy.authorization { request += "Proxy-Authorization: \(authorization)\r\n" }
        request += "\r\n"
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.received.writeBuffer(&bytes)
        let view = self.received.readableBytesView
        guard let end = view.firstRange(of: [13, 10, 13, 10]) else {
            if view.count > Self.maxHeadSize { self.fail(.proxyFailed(proxy: "\(self.proxy)", "The proxy's answer head is too large."), context: context) }
            return
        }
        let head = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            self.fail(.proxyFailed(proxy: "\(self.proxy)", "The proxy's answer is not HTTP."), context: context)
            return
        }
        guard (200..<300).contains(status) else {
            let reason = parts.count > 2 ? " \(parts[2])" : ""
            self.fail(.proxyRefused(proxy: "\(self.proxy)", status: status, "The proxy answered \(status)\(reason) to CONNECT \(self.target)."), context: context)
            return
        }
        self.isOpen = true
        self.opened()
        self.received.moveReaderIndex(forwardBy: end.upperBound - view.startIndex)
        let rest = self.received
        context.fireChannelActive()
        if rest.readableBytes > 0 {
            context.fireChannelRead(self.wrapInboundOut(rest))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.isOpen {
            self.failure(.proxyFailed(proxy: "\(self.proxy)", "The proxy closed the connection before the tunnel opened."))
        }
        context.fireChannelInactive()
    }

    private func fail(_ error: UpstreamConnectError, context: ChannelHandlerContext) {
        self.failure(error)
        context.close(promise: nil)
    }
}
