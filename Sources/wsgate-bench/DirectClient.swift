import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A WebSocket client that talks to the upstream directly, without the gateway: the physical
/// limit of the path, against which the gateway is measured. Frames are handled on the event
/// loop by `onFrame`, as efficiently as NIO allows.
final class DirectClient: Sendable {
    let channel: Channel
    /// Completes when the connection has ended.
    let ended: EventLoopFuture<Void>

    private init(channel: Channel, ended: EventLoopFuture<Void>) {
        self.channel = channel
        self.ended = ended
    }

    /// Connects to `path` on the upstream at `port`; `onFrame` runs on the event loop for each frame.
    static func connect(
        port: Int, path: String, group: EventLoopGroup, onFrame: @escaping @Sendable (WebSocketFrame) -> Void
    ) async throws -> DirectClient {
        let eventLoop = group.next()
        let upgraded = eventLoop.makePromise(of: Void.self)
        let ended = eventLoop.makePromise(of: Void.self)
        let channel = try await ClientBootstrap(group: eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 24, automaticErrorHandling: false) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(FrameSink(onFrame: onFrame, ended: ended))
                        upgraded.succeed(())
                    }
                }
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
                head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
                head.headers.add(name: "Content-Length", value: "0")
                return channel.eventLoop.makeCompletedFuture {
                    let requestSender = InitialRequestSender(head: head)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
                    )
                    try channel.pipeline.syncOperations.addHandler(requestSender)
                }
            }
            .connect(to: SocketAddress(ipAddress: "127.0.0.1", port: port))
            .get()
        try await upgraded.futureResult.get()
        return DirectClient(channel: channel, ended: ended.futureResult)
    }

    /// Sends a masked Text frame, as a client must.
    func sendText(_ text: String) {
        self.channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text)), promise: nil)
    }

    /// Sends a Close frame with code 1000.
    func close() {
        var payload = ByteBuffer()
        payload.writeInteger(UInt16(1000))
        self.channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload), promise: nil)
    }
}

/// Sends the upgrade request once the connection is up.
private final class InitialRequestSender: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let head: HTTPRequestHead

    init(head: HTTPRequestHead) {
        self.head = head
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(self.wrapOutboundOut(.head(self.head)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }
}

/// Hands frames to the callback and reports the end of the connection.
private final class FrameSink: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    private let onFrame: @Sendable (WebSocketFrame) -> Void
    private let ended: EventLoopPromise<Void>

    init(onFrame: @escaping @Sendable (WebSocketFrame) -> Void, ended: EventLoopPromise<Void>) {
        self.onFrame = onFrame
        self.ended = ended
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        self.onFrame(frame)
        if frame.opcode == .connectionClose { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.ended.succeed(())
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
