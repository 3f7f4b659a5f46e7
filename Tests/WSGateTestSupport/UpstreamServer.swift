import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// A WebSocket server on loopback that does exactly what a test scripts: it accepts, refuses or
/// ignores the handshake, and hands each upgraded connection to the test as an ``UpstreamPeer``.
public final class UpstreamServer: Sendable {
    /// How the server answers the opening handshake.
    public enum Handshake: Sendable {
        /// Upgrade, choosing `subprotocol` if given.
        case accept(subprotocol: String? = nil)
        /// Answer with this HTTP status instead of 101.
        case reject(status: Int)
        /// Take the TCP connection and never answer.
        case ignore
    }

    private let channel: Channel
    private let handshakeRequests = NIOLockedValueBox<[(head: HTTPRequestHead, at: ContinuousClock.Instant)]>([])
    private let peers: AsyncStream<UpstreamPeer>

    /// The port it listens on, on 127.0.0.1.
    public var port: Int { self.channel.localAddress?.port ?? 0 }

    /// `ws://127.0.0.1:<port>` (or `wss://` with TLS) followed by `path`.
    public func url(_ path: String = "/", secure: Bool = false) -> String {
        "\(secure ? "wss" : "ws")://127.0.0.1:\(self.port)\(path)"
    }

    /// Every handshake request received so far.
    public var requests: [HTTPRequestHead] { self.handshakeRequests.withLockedValue { $0.map(\.head) } }

    /// When each handshake request arrived.
    public var requestTimes: [ContinuousClock.Instant] { self.handshakeRequests.withLockedValue { $0.map(\.at) } }

    /// The next upgraded connection, in the order they were accepted.
    public func nextPeer() async throws -> UpstreamPeer {
        var iterator = self.peers.makeAsyncIterator()
        guard let peer = await iterator.next() else { throw TestFailure("The upstream server has stopped.") }
        return peer
    }

    /// Starts a server on a free loopback port. `greeting` frames go out in the same TCP segment
    /// as the handshake response, as servers that speak first often send them.
    /// `extensions`, when given, is the `Sec-WebSocket-Extensions` answer to the handshake.
    /// With `tls`, it speaks TLS with that certificate; with `clientCA` too, it requires a client
    /// certificate that CA signed (mutual TLS). `port` 0 takes a free one. It runs on `group`:
    /// the test process's shared loops, unless a test needs loops of its own.
    public init(
        handshake: Handshake = .accept(), tls: TestCertificateAuthority.Identity? = nil, clientCA: String? = nil,
        greeting: [WebSocketFrame] = [], extensions: String? = nil, port: Int = 0,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws {
        let tlsContext = try tls.map { try NIOSSLContext(configuration: Self.tlsConfiguration($0, clientCA: clientCA)) }
        let requests = self.handshakeRequests
        let (peers, peerContinuation) = AsyncStream.makeStream(of: UpstreamPeer.self)
        self.peers = peers
        self.channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tlsContext {
                        try pipeline.addHandler(NIOSSLServerHandler(context: tlsContext))
                    }
                    try pipeline.addHandler(SegmentCoalescer(isHolding: !greeting.isEmpty), name: "coalescer")
                    if case .ignore = handshake { return }
                    let upgrader = NIOWebSocketServerUpgrader(
                        maxFrameSize: 1 << 26,
                        automaticErrorHandling: false,
                        shouldUpgrade: { channel, head in
                            requests.withLockedValue { $0.append((head, .now)) }
                            guard case .accept(let subprotocol) = handshake else {
                                return channel.eventLoop.makeSucceededFuture(nil)
                            }
                            var headers = HTTPHeaders()
                            if let subprotocol { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
                            if let extensions { headers.add(name: "Sec-WebSocket-Extensions", value: extensions) }
                            return channel.eventLoop.makeSucceededFuture(headers)
                        },
                        upgradePipelineHandler: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                let peer = UpstreamPeer(channel: channel, request: head)
                                try channel.pipeline.syncOperations.addHandlers(peer.handlers)
                                for frame in greeting { channel.write(frame, promise: nil) }
                                channel.pipeline.syncOperations.removeHandler(name: "coalescer", promise: nil)
                                peerContinuation.yield(peer)
                            }
                        }
                    )
                    try pipeline.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
                    )
                    if case .reject(let status) = handshake {
                        try pipeline.addHandler(RefusingHandler(status: HTTPResponseStatus(statusCode: status)))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
    }

    /// Stops listening; open connections stay until their peers end them.
    public func close() async throws {
        try await self.channel.close()
    }

    private static func tlsConfiguration(_ identity: TestCertificateAuthority.Identity, clientCA: String?) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(identity.certificatePEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(identity.privateKeyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        if let clientCA {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(clientCA.utf8)))
        }
        return configuration
    }
}

/// While holding, keeps every byte written (reporting the writes done) and sends them all in one
/// write when removed: the handshake response and the first frames then share a TCP segment.
private final class SegmentCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let isHolding: Bool
    private var held = ByteBuffer()

    init(isHolding: Bool) {
        self.isHolding = isHolding
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard self.isHolding else { return context.write(data, promise: promise) }
        var bytes = self.unwrapOutboundIn(data)
        self.held.writeBuffer(&bytes)
        promise?.succeed()
    }

    func flush(context: ChannelHandlerContext) {
        if !self.isHolding { context.flush() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if self.held.readableBytes > 0 { context.writeAndFlush(self.wrapOutboundOut(self.held), promise: nil) }
    }
}

/// Answers a handshake the server refuses with a fixed status.
private final class RefusingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let status: HTTPResponseStatus

    init(status: HTTPResponseStatus) {
        self.status = status
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = self.unwrapInboundIn(data) else { return }
        let head = HTTPResponseHead(version: .http1_1, status: self.status, headers: ["Content-Length": "0", "Connection": "close"])
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
