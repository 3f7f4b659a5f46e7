import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The gateway's HTTP API as the benchmark drives it: one-shot requests, keep-alive senders and
/// event streams whose records are handled on the event loop, without a hop per record. Requests
/// are written as ready-made bytes and responses read with ``HTTPFraming``.
struct BenchHTTPClient: Sendable {
    let port: Int
    let group: EventLoopGroup

    /// The `Host` header: the gateway's loopback address.
    var host: String { "127.0.0.1:\(self.port)" }

    /// A response, collected.
    struct Response {
        var status: Int
        var body: ByteBuffer
    }

    /// Sends one request on a new connection and collects the response.
    func request(_ method: HTTPMethod, _ path: String, contentType: String? = nil, body: String? = nil) async throws -> Response {
        let connection = try await self.keepAliveConnection()
        defer { connection.close() }
        return try await connection.request(method, path, contentType: contentType, body: body).get()
    }

    /// `POST /connections` for `url` on a new HTTP connection; returns the connection id.
    func openConnection(_ url: String) async throws -> String {
        let connection = try await self.keepAliveConnection()
        defer { connection.close() }
        return try await self.openConnection(url, on: connection).get()
    }

    /// `POST /connections` for `url` on `keepAlive`; the future holds the connection id.
    func openConnection(_ url: String, on keepAlive: KeepAliveConnection) -> EventLoopFuture<String> {
        keepAlive.request(.POST, "/connections", contentType: "application/json", body: #"{"url":"\#(url)"}"#)
            .flatMapThrowing(Self.connectionID(in:))
    }

    /// The connection id in an answer to `POST /connections`, which must be 201.
    static func connectionID(in response: Response) throws -> String {
        let text = String(buffer: response.body)
        guard response.status == 201, let idStart = text.range(of: #""id":""#)?.upperBound,
            let idEnd = text[idStart...].firstIndex(of: "\"")
        else {
            throw BenchError("POST /connections answered \(response.status): \(text)")
        }
        return String(text[idStart..<idEnd])
    }

    /// Opens `GET path`, on `eventLoop` if given, and calls `onRecord` on the event loop for each
    /// record; `ended` completes when the stream ends. The future completes once the response
    /// head arrived, with the channel.
    func openEventStream(
        _ path: String, on eventLoop: EventLoop? = nil, onRecord: @escaping (ByteBuffer) -> Void
    ) -> EventLoopFuture<(channel: Channel, ended: EventLoopFuture<Void>)> {
        let eventLoop = eventLoop ?? self.group.next()
        let head = eventLoop.makePromise(of: Int.self)
        let ended = eventLoop.makePromise(of: Void.self)
        let reader = EventStreamHandler(head: head, ended: ended, onRecord: onRecord)
        return self.connect(handler: reader, on: eventLoop).flatMap { channel in
            channel.writeAndFlush(HTTPFraming.request("GET", path, host: self.host), promise: nil)
            return head.futureResult.flatMapThrowing { status in
                guard status == 200 else { throw BenchError("GET \(path) answered \(status)") }
                return (channel, ended.futureResult)
            }
        }
    }

    /// Opens an HTTP connection that carries one request after another.
    func keepAliveConnection() async throws -> KeepAliveConnection {
        let answers = AnswerQueue()
        let channel = try await self.connect(handler: answers).get()
        return KeepAliveConnection(channel: channel, answers: answers, host: self.host)
    }

    private func connect(handler: ChannelHandler & Sendable, on eventLoop: EventLoop? = nil) -> EventLoopFuture<Channel> {
        let bootstrap = ClientBootstrap(group: eventLoop ?? self.group.next())
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
        do {
            return bootstrap.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: self.port))
        } catch {
            return (eventLoop ?? self.group.next()).makeFailedFuture(error)
        }
    }
}

/// An HTTP/1.1 connection kept open between requests. Requests may be pipelined: answers are
/// matched to requests in order.
final class KeepAliveConnection: Sendable {
    private let channel: Channel
    private let answers: AnswerQueue
    private let host: String

    /// The event loop the connection runs on.
    var eventLoop: EventLoop { self.channel.eventLoop }

    fileprivate init(channel: Channel, answers: AnswerQueue, host: String) {
        self.channel = channel
        self.answers = answers
        self.host = host
    }

    /// Sends a request; the future holds its response.
    func request(_ method: HTTPMethod, _ path: String, contentType: String? = nil, body: String? = nil) -> EventLoopFuture<BenchHTTPClient.Response> {
        let promise = self.channel.eventLoop.makePromise(of: BenchHTTPClient.Response.self)
        self.answers.expect(promise)
        self.channel.writeAndFlush(
            HTTPFraming.request(method.rawValue, path, host: self.host, contentType: contentType, body: body), promise: nil
        )
        return promise.futureResult
    }

    /// Sends `text` as a `text/plain` message to `path` without waiting for the answer, which
    /// must be 204. Safe to call from any thread.
    func sendWithoutWaiting(_ text: String, to path: String) {
        self.answers.expect(nil)
        self.channel.writeAndFlush(HTTPFraming.request("POST", path, host: self.host, contentType: "text/plain", body: text), promise: nil)
    }

    func close() {
        self.channel.close(promise: nil)
    }
}

/// Completes the promises of requests in the order their responses arrive.
private final class AnswerQueue: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private struct State {
        /// The promises of the requests awaiting answers, in order; `nil` for an answer nobody waits for.
        var waiting: [EventLoopPromise<BenchHTTPClient.Response>?] = []
        var received = ByteBuffer()
        /// The head of the response being read, and its body so far.
        var head: HTTPFraming.Head?
        var body = ByteBuffer()
        var chunks = ChunkedBodyDecoder()
    }

    private let state = NIOLockedValueBox(State())

    func expect(_ promise: EventLoopPromise<BenchHTTPClient.Response>?) {
        self.state.withLockedValue { $0.waiting.append(promise) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = self.unwrapInboundIn(data)
        do {
            let answered = try self.state.withLockedValue { state in
                state.received.writeBuffer(&chunk)
                return try Self.completeResponses(&state)
            }
            for (promise, response) in answered {
                if let promise {
                    promise.succeed(response)
                } else if response.status != 204 {
                    print("a send was answered \(response.status): \(String(buffer: response.body))")
                }
            }
        } catch {
            print("unreadable response: \(error)")
            context.close(promise: nil)
        }
    }

    /// Takes every complete response out of `state.received`, each with its waiting promise.
    private static func completeResponses(
        _ state: inout State
    ) throws -> [(EventLoopPromise<BenchHTTPClient.Response>?, BenchHTTPClient.Response)] {
        var answered: [(EventLoopPromise<BenchHTTPClient.Response>?, BenchHTTPClient.Response)] = []
        while true {
            if state.head == nil {
                guard let head = try HTTPFraming.readHead(from: &state.received) else { break }
                state.head = head
            }
            guard let head = state.head else { break }
            if head.isChunked {
                try state.chunks.read(&state.received) { data in
                    var data = data
                    state.body.writeBuffer(&data)
                }
                guard state.chunks.isFinished else { break }
                state.chunks = ChunkedBodyDecoder()
            } else {
                let missing = head.contentLength - state.body.readableBytes
                if var part = state.received.readSlice(length: min(missing, state.received.readableBytes)) {
                    state.body.writeBuffer(&part)
                }
                guard state.body.readableBytes == head.contentLength else { break }
            }
            let promise = state.waiting.isEmpty ? nil : state.waiting.removeFirst()
            answered.append((promise, BenchHTTPClient.Response(status: head.status, body: state.body)))
            state.head = nil
            state.body = ByteBuffer()
        }
        state.received.discardReadBytes()
        return answered
    }

    func channelInactive(context: ChannelHandlerContext) {
        let waiting = self.state.withLockedValue { state in
            defer { state.waiting = [] }
            return state.waiting
        }
        for promise in waiting { promise?.fail(BenchError("The connection closed before the response.")) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// Reads an event stream, handing each record to a callback on the event loop.
private final class EventStreamHandler: ChannelInboundHandler, @unchecked Sendable {
    // Confined to its channel's event loop.
    typealias InboundIn = ByteBuffer
    private let head: EventLoopPromise<Int>
    private let ended: EventLoopPromise<Void>
    private let onRecord: (ByteBuffer) -> Void
    private var received = ByteBuffer()
    private var hasHead = false
    private var chunks = ChunkedBodyDecoder()
    private var scanner = SSERecordScanner()

    init(head: EventLoopPromise<Int>, ended: EventLoopPromise<Void>, onRecord: @escaping (ByteBuffer) -> Void) {
        self.head = head
        self.ended = ended
        self.onRecord = onRecord
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = self.unwrapInboundIn(data)
        if self.received.readableBytes == 0 {
            self.received = chunk
        } else {
            self.received.writeBuffer(&chunk)
        }
        do {
            if !self.hasHead {
                guard let head = try HTTPFraming.readHead(from: &self.received) else { return }
                self.hasHead = true
                self.head.succeed(head.status)
                guard head.isChunked else {
                    self.ended.succeed(())
                    return
                }
            }
            try self.chunks.read(&self.received) { data in self.scanner.feed(data, onRecord: self.onRecord) }
            if self.chunks.isFinished { self.ended.succeed(()) }
            // Drop the buffer once read, so that the slices handed on keep the only reference to it.
            if self.received.readableBytes == 0 { self.received = ByteBuffer() }
        } catch {
            print("unreadable event stream: \(error)")
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.head.fail(BenchError("The event stream closed before its head."))
        self.ended.succeed(())
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// A benchmark failure: what was wrong.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
