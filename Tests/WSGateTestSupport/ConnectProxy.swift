import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// An HTTP `CONNECT` proxy on loopback, as a test scripts it: it tunnels, refuses with a status,
/// or never answers, and may require Basic credentials.
public final class ConnectProxy: Sendable {
    /// How the proxy answers a `CONNECT`.
    public enum Behaviour: Sendable {
        /// Opens the tunnel.
        case tunnel
        /// Answers with this status and closes.
        case refuse(status: Int)
        /// Takes the request and never answers.
        case silent
    }

    private let channel: Channel
    private let receivedHeads: NIOLockedValueBox<[String]>

    /// The port it listens on, on 127.0.0.1.
    public var port: Int { self.channel.localAddress?.port ?? 0 }

    /// `http://127.0.0.1:<port>`, with `credentials` (`user:password`) if given.
    public func url(credentials: String? = nil) -> String {
        "http://\(credentials.map { "\($0)@" } ?? "")127.0.0.1:\(self.port)"
    }

    /// The request heads received so far, each as its lines.
    public var heads: [[String]] {
        self.receivedHeads.withLockedValue { $0 }.map { $0.components(separatedBy: "\r\n") }
    }

    /// Starts a proxy on a free loopback port. With `credentials` (`user:password`), a request
    /// without them gets 407.
    public init(_ behaviour: Behaviour = .tunnel, credentials: String? = nil) async throws {
        let heads = NIOLockedValueBox<[String]>([])
        self.receivedHeads = heads
        let authorization = credentials.map { "Basic " + Data($0.utf8).base64EncodedString() }
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectRequestHandler(behaviour: behaviour, authorization: authorization, heads: heads)
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    /// Stops listening.
    public func close() async throws {
        try await self.channel.close()
    }
}

/// Reads one `CONNECT` request and answers it as the proxy's behaviour says.
private final class ConnectRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    private let behaviour: ConnectProxy.Behaviour
    private let authorization: String?
    private let heads: NIOLockedValueBox<[String]>
    private var received = ByteBuffer()

    init(behaviour: ConnectProxy.Behaviour, authorization: String?, heads: NIOLockedValueBox<[String]>) {
        self.behaviour = behaviour
        self.authorization = authorization
        self.heads = heads
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.received.writeBuffer(&bytes)
        guard let text = self.received.getString(at: self.received.readerIndex, length: self.received.readableBytes),
            let end = text.range(of: "\r\n\r\n")
        else { return }
        let head = String(text[..<end.lowerBound])
        self.heads.withLockedValue { $0.append(head) }
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        if let authorization, !lines.contains("Proxy-Authorization: \(authorization)") {
            return self.answer("407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"", context: context)
        }
        switch self.behaviour {
        case .silent:
            return
        case .refuse(let status):
            return self.answer("\(status) Refused", context: context)
        case .tunnel:
            break
        }
        guard requestLine.count == 3, requestLine[0] == "CONNECT", let colon = requestLine[1].lastIndex(of: ":"),
            let port = Int(requestLine[1][requestLine[1].index(after: colon)...])
        else { return self.answer("400 Bad Request", context: context) }
        var host = String(requestLine[1][..<colon])
        if host.hasPrefix("[") { host = String(host.dropFirst().dropLast()) }
        let front = context.channel
        ClientBootstrap(group: context.eventLoop)
            .channelInitializer { back in
                back.eventLoop.makeCompletedFuture { try back.pipeline.syncOperations.addHandler(RelayHandler(partner: front)) }
            }
            .connect(host: host, port: port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let back):
                    front.writeAndFlush(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n"), promise: nil)
                    let pipeline = context.pipeline.syncOperations
                    try? pipeline.addHandler(RelayHandler(partner: back))
                    pipeline.removeHandler(self, promise: nil)
                case .failure:
                    self.answer("502 Bad Gateway", context: context)
                }
            }
    }

    private func answer(_ status: String, context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(ByteBuffer(string: "HTTP/1.1 \(status)\r\nContent-Length: 0\r\n\r\n")), promise: nil)
        context.close(promise: nil)
    }
}

/// Passes every byte one side of a tunnel reads to the other, and ends the other with it.
private final class RelayHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let partner: Channel

    init(partner: Channel) {
        self.partner = partner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.partner.writeAndFlush(self.unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.partner.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
