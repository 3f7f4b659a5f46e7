import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Performs the client side of the WebSocket opening handshake (RFC 6455 section 4.1) on a
/// channel with NIO's HTTP/1 codec, then swaps the codec for WebSocket framing.
///
/// NIO's upgrade handler cannot report the status of a refused upgrade nor check the chosen
/// subprotocol, which the API needs; this handler does both.
final class HandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// What a successful handshake agreed on.
    struct Agreement {
        /// The subprotocol the server chose, if any.
        var subprotocol: String?
        /// The permessage-deflate parameters, when the server took the offer.
        var deflate: PermessageDeflate?
    }

    private let requestHead: HTTPRequestHead
    private let requestKey: String
    private let offeredProtocols: [String]
    private let offersCompression: Bool
    private let httpHandlers: [RemovableChannelHandler]
    private let makeWebSocketHandlers: (Agreement) throws -> [ChannelHandler]
    private let promise: EventLoopPromise<Agreement>
    private var agreement: Agreement?
    private var isUpgraded = false
    /// Bytes that arrived after the response, before the WebSocket handlers were in place.
    private var earlyBytes: [NIOAny] = []

    /// - Parameters:
    ///   - url: the upstream URL; its host and target make the request line and `Host`.
    ///   - config: supplies the extra headers and the offered subprotocols.
    ///   - httpHandlers: the HTTP codec handlers to remove once upgraded.
    ///   - makeWebSocketHandlers: builds the handlers that replace the codec.
    ///   - promise: completed with the agreement, or failed with an ``UpstreamConnectError``.
    init(
        url: WebSocketURL,
        config: ConnectionConfig,
        httpHandlers: [RemovableChannelHandler],
        makeWebSocketHandlers: @escaping (Agreement) throws -> [ChannelHandler],
        promise: EventLoopPromise<Agreement>
    ) {
        var generator = BufferedSecureRandom()
        self.requestKey = NIOWebSocketClientUpgrader.randomRequestKey(using: &generator)
        self.offeredProtocols = config.protocols
        self.offersCompression = config.compression
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.hostHeader)
        for field in config.headers {
            headers.replaceOrAdd(name: field.name, value: field.value)
        }
        headers.add(name: "Upgrade", value: "websocket")
        headers.add(name: "Connection", value: "Upgrade")
        headers.add(name: "Sec-WebSocket-Key", value: self.requestKey)
        headers.add(name: "Sec-WebSocket-Version", value: "13")
        if config.compression {
            headers.add(name: "Sec-WebSocket-Extensions", value: PermessageDeflate.offer)
        }
        if !config.protocols.isEmpty {
            headers.add(name: "Sec-WebSocket-Protocol", value: config.protocols.joined(separator: ", "))
        }
        self.requestHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.requestTarget, headers: headers)
        self.httpHandlers = httpHandlers
        self.makeWebSocketHandlers = makeWebSocketHandlers
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(self.wrapOutboundOut(.head(self.requestHead)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Once the response has ended, what arrives are the first WebSocket bytes (passed on by
        // the HTTP decoder as it goes): they wait until the WebSocket handlers are in place.
        guard !self.isUpgraded else {
            self.earlyBytes.append(data)
            return
        }
        switch self.unwrapInboundIn(data) {
        case .head(let response):
            do {
                self.agreement = try self.validate(response)
            } catch {
                self.promise.fail(error)
                context.close(promise: nil)
            }
        case .body:
            break
        case .end:
            guard let agreement = self.agreement else { return }
            self.isUpgraded = true
            self.upgrade(agreement, context: context)
        }
    }

    /// Swaps the HTTP codec for WebSocket framing. The codec goes first: a frame written while it
    /// is still there (a Close answered at once) would pass through the HTTP encoder and decoder.
    private func upgrade(_ agreement: Agreement, context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        let removals = self.httpHandlers.map { pipeline.removeHandler($0) }
        EventLoopFuture.andAllSucceed(removals, on: context.eventLoop).assumeIsolated().whenComplete { result in
            do {
                try result.get()
                try context.pipeline.syncOperations.addHandlers(self.makeWebSocketHandlers(agreement), position: .after(self))
                let earlyBytes = self.earlyBytes
                self.earlyBytes = []
                for bytes in earlyBytes { context.fireChannelRead(bytes) }
                if !earlyBytes.isEmpty { context.fireChannelReadComplete() }
                context.pipeline.syncOperations.removeHandler(self, promise: nil)
                self.promise.succeed(agreement)
            } catch {
                self.promise.fail(UpstreamConnectError.handshakeFailed(status: 101, "\(error)"))
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.promise.fail(UpstreamConnectError.handshakeFailed(status: nil, "\(error)"))
        context.close(promise: nil)
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
