import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Performs the client side of the WebSocket opening handshake (RFC 6455 section 4.1): it
/// writes the request, reads the response head, and then hands the channel to the WebSocket
/// handlers it adds after itself, passing on the bytes that followed the head, and leaves.
///
/// NIO's upgrade handler cannot report the status of a refused upgrade nor check the chosen
/// subprotocol, which the API needs; this handler does both. It writes and reads the bytes
/// itself rather than through NIO's HTTP codec, which each connect had to add and then take out
/// again: two pipeline changes per connect instead of six.
final class HandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What a successful handshake agreed on.
    struct Agreement {
        /// The subprotocol the server chose, if any.
        var subprotocol: String?
        /// The permessage-deflate parameters, when the server took the offer.
        var deflate: PermessageDeflate?
    }

    /// The longest response head taken, as NIO's HTTP decoder allows by default.
    static let maxResponseHeadSize = 80 * 1024

    private let request: ByteBuffer
    private let requestKey: String
    private let offeredProtocols: [String]
    private let offersCompression: Bool
    private let makeWebSocketHandlers: (Agreement) throws -> [ChannelHandler]
    private let promise: EventLoopPromise<Agreement>
    private var response = HTTPResponseHeadReader(maxSize: HandshakeHandler.maxResponseHeadSize)
    private var isUpgraded = false

    /// - Parameters:
    ///   - url: the upstream URL; its host and target make the request line and `Host`.
    ///   - config: supplies the extra headers and the offered subprotocols.
    ///   - makeWebSocketHandlers: builds the handlers that take over once upgraded.
    ///   - promise: completed with the agreement, or failed with an ``UpstreamConnectError``.
    init(
        url: WebSocketURL,
        config: ConnectionConfig,
        makeWebSocketHandlers: @escaping (Agreement) throws -> [ChannelHandler],
        promise: EventLoopPromise<Agreement>
    ) {
        var generator = BufferedSecureRandom()
        self.requestKey = NIOWebSocketClientUpgrader.randomRequestKey(using: &generator)
        self.offeredProtocols = config.protocols
        self.offersCompression = config.compression
        self.request = Self.request(url: url, config: config, key: self.requestKey)
        self.makeWebSocketHandlers = makeWebSocketHandlers
        self.promise = promise
    }

    /// The request's bytes. The config's header names and values were checked when it was
    /// parsed (tokens, no CR or LF); its `Host`, if any, replaces the URL's.
    private static func request(url: WebSocketURL, config: ConnectionConfig, key: String) -> ByteBuffer {
        var fields: [(String, String)] = []
        if !config.headers.contains(where: { $0.name.lowercased() == "host" }) { fields.append(("Host", url.hostHeader)) }
        fields += config.headers.map { ($0.name, $0.value) }
        fields += [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13")]
        if config.compression { fields.append(("Sec-WebSocket-Extensions", PermessageDeflate.offer)) }
        if !config.protocols.isEmpty { fields.append(("Sec-WebSocket-Protocol", config.protocols.joined(separator: ", "))) }
        var request = ByteBuffer()
        request.writeString("GET \(url.requestTarget) HTTP/1.1\r\n")
        for (name, value) in fields { request.writeString("\(name): \(value)\r\n") }
        request.writeString("\r\n")
        return request
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(self.request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            guard let (head, rest) = try self.response.read(self.unwrapInboundIn(data)) else { return }
            self.upgrade(try self.validate(head), rest: rest, context: context)
        } catch let failure as HTTPResponseHeadReader.Failure {
            self.fail(.handshakeFailed(status: nil, Self.describe(failure)), context: context)
        } catch {
            self.fail((error as? UpstreamConnectError) ?? .handshakeFailed(status: nil, "\(error)"), context: context)
        }
    }

    private static func describe(_ failure: HTTPResponseHeadReader.Failure) -> String {
        switch failure {
        case .tooLarge(let limit): "The response head is larger than \(limit / 1024) KiB."
        case .malformed(let reason): reason
        }
    }

    private func fail(_ error: UpstreamConnectError, context: ChannelHandlerContext) {
        self.promise.fail(error)
        context.close(promise: nil)
    }

    /// Adds the WebSocket handlers after this one, gives them the bytes that followed the
    /// response, and leaves the pipeline.
    private func upgrade(_ agreement: Agreement, rest: ByteBuffer, context: ChannelHandlerContext) {
        self.isUpgraded = true
        do {
            try context.pipeline.syncOperations.addHandlers(self.makeWebSocketHandlers(agreement), position: .after(self))
        } catch {
            self.fail(.handshakeFailed(status: 101, "\(error)"), context: context)
            return
        }
        if rest.readableBytes > 0 {
            context.fireChannelRead(self.wrapInboundOut(rest))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
        self.promise.succeed(agreement)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.fail(.handshakeFailed(status: nil, "\(error)"), context: context)
    }

    /// A channel whose connect failed never becomes active, so no `channelInactive` comes: the
    /// promise is completed here too (a no-op once it has been), or it would stay pending with
    /// callbacks that hold the channel, leaking both for every failed connect. It fails with
    /// ``RemovedBeforeAnswer``, which the connector does not report as the reason.
    func handlerRemoved(context: ChannelHandlerContext) {
        // Once upgrading, the upgrade completes it (and removes this handler on the way).
        guard !self.isUpgraded else { return }
        self.promise.fail(RemovedBeforeAnswer())
    }

    /// Fails the promise of a handler removed before any answer: whatever ended the channel
    /// (a refused connect, a TLS failure) reports the reason, so this one is not passed on.
    struct RemovedBeforeAnswer: Error {}

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(UpstreamConnectError.handshakeFailed(status: nil, "The server closed the connection during the handshake."))
        context.fireChannelInactive()
    }

    private func validate(_ response: HTTPResponseHead) throws(UpstreamConnectError) -> Agreement {
        let status = Int(response.status.code)
        guard response.status == .switchingProtocols else {
            throw .handshakeFailed(
                status: status,
                "The server answered \(status) \(response.status.reasonPhrase) instead of 101 Switching Protocols."
            )
        }
        func fail(_ reason: String) -> UpstreamConnectError { .handshakeFailed(status: status, reason) }
        guard response.headers[canonicalForm: "Upgrade"].contains(where: { $0.lowercased() == "websocket" }) else {
            throw fail("The response lacks \"Upgrade: websocket\".")
        }
        guard response.headers[canonicalForm: "Connection"].contains(where: { $0.lowercased() == "upgrade" }) else {
            throw fail("The response lacks \"Connection: Upgrade\".")
        }
        // NIO's upgrader checks Sec-WebSocket-Accept against the key; its other checks are ours.
        let acceptCheck = NIOWebSocketClientUpgrader(requestKey: self.requestKey) { channel, _ in
            channel.eventLoop.makeSucceededVoidFuture()
        }
        guard acceptCheck.shouldAllowUpgrade(upgradeResponse: response) else {
            throw fail("The response's Sec-WebSocket-Accept does not match the request's key.")
        }
        let extensions = response.headers[canonicalForm: "Sec-WebSocket-Extensions"].map(String.init)
        var deflate: PermessageDeflate?
        if !extensions.isEmpty {
            guard self.offersCompression else { throw fail("The server enabled an extension that was not offered.") }
            deflate = try PermessageDeflate(response: extensions.joined(separator: ", "))
        }
        let chosen = response.headers["Sec-WebSocket-Protocol"]
        switch (chosen.first, self.offeredProtocols.isEmpty) {
        case (nil, true):
            return Agreement(subprotocol: nil, deflate: deflate)
        case (nil, false):
            throw fail("The server chose none of the offered subprotocols.")
        case (let name?, _) where chosen.count == 1 && self.offeredProtocols.contains(name):
            return Agreement(subprotocol: name, deflate: deflate)
        case (let name?, _):
            throw fail("The server chose the subprotocol \"\(name)\", which was not offered.")
        }
    }
}
