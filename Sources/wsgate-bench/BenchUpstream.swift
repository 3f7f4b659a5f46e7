import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The benchmark's own upstream WebSocket server on loopback. What it does depends on the path:
///
/// - `/flood?count=N&size=S`: once it receives the Text `go`, sends N Text messages of S bytes
///   as fast as the socket takes them (message i is ``BenchPayload/text(index:size:allocator:)``), then Close 1000.
///   With `start=1` it starts right after the handshake, without waiting for `go`.
/// - `/stream?size=S`: once it receives `go`, sends Text messages of S bytes as fast as the
///   socket takes them, until the peer closes.
/// - `/echo`: sends every Text and Binary message back.
/// - `/idle`: answers Pings and Close, sends nothing.
final class BenchUpstream: Sendable {
    private let channel: Channel
    private let floods = FloodWatch()

    /// The port on 127.0.0.1.
    var port: Int { self.channel.localAddress?.port ?? 0 }

    /// `ws://127.0.0.1:<port><path>`.
    func url(_ path: String) -> String { "ws://127.0.0.1:\(self.port)\(path)" }

    init(group: EventLoopGroup) async throws {
        let floods = self.floods
        self.channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandshake(floods: floods))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    /// Completes when a flood next stops: held by a peer that stopped reading, or finished.
    func nextFloodStop(on eventLoop: EventLoop) -> EventLoopFuture<FloodStop> {
        self.floods.nextStop(on: eventLoop)
    }

    func close() async throws {
        try await self.channel.close()
    }
}

/// Why a flood stopped writing.
enum FloodStop: Sendable {
    /// The socket took no more after `sent` messages: the peer stopped reading.
    case held(sent: Int)
    /// Every message and the Close were written.
    case finished
}

/// Tells waiters when a flood stops writing.
private final class FloodWatch: Sendable {
    private let waiters = NIOLockedValueBox<[EventLoopPromise<FloodStop>]>([])

    func nextStop(on eventLoop: EventLoop) -> EventLoopFuture<FloodStop> {
        let promise = eventLoop.makePromise(of: FloodStop.self)
        self.waiters.withLockedValue { $0.append(promise) }
        return promise.futureResult
    }

    func report(_ stop: FloodStop) {
        for waiter in self.waiters.withLockedValue({ waiters in defer { waiters = [] }; return waiters }) {
            waiter.succeed(stop)
        }
    }
}

/// The payloads the benchmark sends, so that receivers can check every byte.
enum BenchPayload {
    /// Message `index` of `size` bytes: its index in 10 digits (as many as fit), then `x` filler.
    static func text(index: Int, size: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: size)
        var digits = Array(repeating: UInt8(ascii: "0"), count: 10)
        var rest = index
        for position in stride(from: 9, through: 0, by: -1) {
            digits[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        buffer.writeBytes(digits.prefix(size))
        buffer.writeRepeatingByte(UInt8(ascii: "x"), count: max(0, size - 10))
        return buffer
    }
}

/// Answers the opening handshake straight from the request's bytes, then puts WebSocket framing
/// and the target's ``UpstreamBehaviour`` in its place.
///
/// NIO's HTTP server pipeline and upgrade handler do the same with six handlers added and
/// removed per connection: with them the benchmark's own upstream took a sixth of the CPU of the
/// connection scenario, on the cores it shares with the gateway.
private final class UpstreamHandshake: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Computes `Sec-WebSocket-Accept`: NIO's SHA-1 is public only through its upgrader.
    private static let acceptCalculator = NIOWebSocketServerUpgrader(
        shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
        upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() }
    )

    private var received = ByteBuffer()
    private let floods: FloodWatch

    init(floods: FloodWatch) {
        self.floods = floods
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = self.unwrapInboundIn(data)
        self.received.writeBuffer(&chunk)
        let request: HTTPFraming.UpgradeRequest
        do {
            guard let complete = try HTTPFraming.readUpgradeRequest(from: &self.received) else { return }
            request = complete
        } catch {
            context.close(promise: nil)
            return
        }
        let head = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: request.target,
            headers: ["Sec-WebSocket-Key": request.key, "Sec-WebSocket-Version": "13"]
        )
        Self.acceptCalculator.buildUpgradeResponse(channel: context.channel, upgradeRequest: head, initialResponseHeaders: [:])
            .assumeIsolated().whenComplete { result in
                guard case .success(let headers) = result, let accept = headers.first(name: "Sec-WebSocket-Accept") else {
                    context.close(promise: nil)
                    return
                }
                self.upgrade(target: request.target, accept: accept, context: context)
            }
    }

    private func upgrade(target: String, accept: String, context: ChannelHandlerContext) {
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n"
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: response)), promise: nil)
        do {
            let pipeline = context.pipeline.syncOperations
            try pipeline.addHandlers(
                [WebSocketFrameEncoder(), ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 24)), UpstreamBehaviour(target: target, floods: self.floods)],
                position: .after(self)
            )
            // Frames the client sent right after its request go to the decoder now in place.
            if self.received.readableBytes > 0 {
                context.fireChannelRead(self.wrapInboundOut(self.received))
                context.fireChannelReadComplete()
            }
            pipeline.removeHandler(self, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// One upstream connection's behaviour, chosen by the request target.
private final class UpstreamBehaviour: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum Mode {
        case flood(count: Int, size: Int)
        case stream(size: Int)
        case echo
        case idle
    }

    private let mode: Mode
    private let floods: FloodWatch
    private var isStarted: Bool
    private var sent = 0
    private var isClosing = false
    private var payload = ByteBuffer()

    init(target: String, floods: FloodWatch) {
        self.floods = floods
        let query = Dictionary(
            target.split(separator: "?").dropFirst().first?.split(separator: "&").compactMap { pair -> (String, Int)? in
                let parts = pair.split(separator: "=")
                guard parts.count == 2, let value = Int(parts[1]) else { return nil }
                return (String(parts[0]), value)
            } ?? [],
            uniquingKeysWith: { $1 }
        )
        if target.hasPrefix("/flood") {
            self.mode = .flood(count: query["count"] ?? 1000, size: query["size"] ?? 64)
        } else if target.hasPrefix("/stream") {
            self.mode = .stream(size: query["size"] ?? 64)
        } else if target.hasPrefix("/echo") {
            self.mode = .echo
        } else {
            self.mode = .idle
        }
        self.isStarted = query["start"] == 1
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if case .stream(let size) = self.mode {
            self.payload = ByteBuffer(string: String(repeating: "s", count: size))
        }
        // A flood that starts at once starts after the handshake has put the frame encoder in place.
        context.eventLoop.assumeIsolated().execute { self.writeMore(context: context) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.writeMore(context: context)
    }

    /// Writes messages while the channel is writable.
    private func writeMore(context: ChannelHandlerContext) {
        guard self.isStarted, !self.isClosing else { return }
        switch self.mode {
        case .flood(let count, let size):
            while context.channel.isWritable && self.sent < count {
                self.sent += 1
                let text = BenchPayload.text(index: self.sent, size: size, allocator: context.channel.allocator)
                context.write(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: text)), promise: nil)
            }
            if self.sent == count {
                self.isClosing = true
                var code = ByteBuffer()
                code.writeInteger(UInt16(1000))
                context.write(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)), promise: nil)
                context.flush()
                self.floods.report(.finished)
            } else {
                context.flush()
                self.floods.report(.held(sent: self.sent))
            }
        case .stream:
            while context.channel.isWritable {
                context.write(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: self.payload)), promise: nil)
            }
            context.flush()
        case .echo, .idle:
            break
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            switch self.mode {
            case .echo:
                context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: frame.opcode, data: frame.unmaskedData)), promise: nil)
            case .flood, .stream:
                if !self.isStarted {
                    self.isStarted = true
                    self.writeMore(context: context)
                }
            case .idle:
                break
            }
        case .ping:
            context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            if !self.isClosing {
                self.isClosing = true
                context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)))
                    .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
