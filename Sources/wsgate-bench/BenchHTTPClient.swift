import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The gateway's HTTP API as the benchmark drives it: one-shot requests, keep-alive senders and
/// event streams whose records are handled on the event loop, without a hop per record.
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
        let promise = self.group.next().makePromise(of: Response.self)
        let collector = ResponseCollector(promise: promise)
        let channel = try await self.connect(handler: collector)
        channel.writeAndFlush(Self.request(method, path, host: self.host, contentType: contentType, body: body), body: body, promise: nil)
        defer { channel.close(promise: nil) }
        return try await promise.futureResult.get()
    }

    /// `POST /connections` for `url` on a new HTTP connection, or on `keepAlive`; returns the connection id.
    func openConnection(_ url: String, on keepAlive: KeepAliveConnection? = nil) async throws -> String {
        let body = #"{"url":"\#(url)"}"#
        let response =
            if let keepAlive {
                try await keepAlive.request(.POST, "/connections", contentType: "application/json", body: body)
            } else {
                try await self.request(.POST, "/connections", contentType: "application/json", body: body)
            }
        let text = String(buffer: response.body)
        guard response.status == 201, let idStart = text.range(of: #""id":""#)?.upperBound,
            let idEnd = text[idStart...].firstIndex(of: "\"")
        else {
            throw BenchError("POST /connections answered \(response.status): \(text)")
        }
        return String(text[idStart..<idEnd])
    }

    /// Opens `GET path` and calls `onRecord` on the event loop for each record; `ended` completes
    /// when the stream ends. Returns once the response head arrived, with the channel.
    func openEventStream(
        _ path: String, onRecord: @escaping (ByteBuffer) -> Void
    ) async throws -> (channel: Channel, ended: EventLoopFuture<Void>) {
        let eventLoop = self.group.next()
        let head = eventLoop.makePromise(of: Int.self)
        let ended = eventLoop.makePromise(of: Void.self)
        let reader = EventStreamHandler(head: head, ended: ended, onRecord: onRecord)
        let channel = try await self.connect(handler: reader, on: eventLoop)
        channel.writeAndFlush(Self.request(.GET, path, host: self.host), body: nil, promise: nil)
        let status = try await head.futureResult.get()
        guard status == 200 else { throw BenchError("GET \(path) answered \(status)") }
        return (channel, ended.futureResult)
    }

    /// Opens an HTTP connection that carries one request after another.
    func keepAliveConnection() async throws -> KeepAliveConnection {
        let answers = AnswerQueue()
        let channel = try await self.connect(handler: answers)
        return KeepAliveConnection(channel: channel, answers: answers, host: self.host)
    }

    private func connect(handler: ChannelHandler & Sendable, on eventLoop: EventLoop? = nil) async throws -> Channel {
        try await ClientBootstrap(group: eventLoop ?? self.group.next())
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: "127.0.0.1", port: self.port)
            .get()
    }

    static func request(
        _ method: HTTPMethod, _ path: String, host: String, contentType: String? = nil, body: String? = nil
    ) -> HTTPClientRequestPart {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: host)
        if let contentType { head.headers.add(name: "Content-Type", value: contentType) }
        head.headers.add(name: "Content-Length", value: "\(body?.utf8.count ?? 0)")
        return .head(head)
    }
}

extension Channel {
    /// Writes a whole request: head, body and end.
    fileprivate func writeAndFlush(_ head: HTTPClientRequestPart, body: String?, promise: EventLoopPromise<Void>?) {
        self.write(head, promise: nil)
        if let body { self.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil) }
        self.writeAndFlush(HTTPClientRequestPart.end(nil), promise: promise)
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

    /// Sends a request and waits for its response.
    func request(_ method: HTTPMethod, _ path: String, contentType: String? = nil, body: String? = nil) async throws -> BenchHTTPClient.Response {
        let promise = self.channel.eventLoop.makePromise(of: BenchHTTPClient.Response.self)
        self.answers.expect(promise)
        self.channel.writeAndFlush(
            BenchHTTPClient.request(method, path, host: self.host, contentType: contentType, body: body), body: body, promise: nil
        )
        return try await promise.futureResult.get()
    }

    /// Sends `text` as a `text/plain` message to `path` without waiting for the answer, which
    /// must be 204. Safe to call from any thread.
    func sendWithoutWaiting(_ text: String, to path: String) {
        self.answers.expect(nil)
        self.channel.writeAndFlush(BenchHTTPClient.request(.POST, path, host: self.host, contentType: "text/plain", body: text), body: text, promise: nil)
    }

    func close() {
        self.channel.close(promise: nil)
    }
}

/// Completes the promises of requests in the order their responses arrive.
private final class AnswerQueue: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    /// The promises of the requests awaiting answers, in order; `nil` for an answer nobody waits for.
    private let state = NIOLockedValueBox((waiting: [EventLoopPromise<BenchHTTPClient.Response>?](), status: 0, body: ByteBuffer()))

    func expect(_ promise: EventLoopPromise<BenchHTTPClient.Response>?) {
        self.state.withLockedValue { $0.waiting.append(promise) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head): self.state.withLockedValue { $0.status = Int(head.status.code) }
        case .body(var chunk): self.state.withLockedValue { _ = $0.body.writeBuffer(&chunk) }
        case .end:
            let (promise, response) = self.state.withLockedValue { state in
                defer { state.body = ByteBuffer() }
                return (state.waiting.isEmpty ? nil : state.waiting.removeFirst(), BenchHTTPClient.Response(status: state.status, body: state.body))
            }
            if let promise {
                promise.succeed(response)
            } else if response.status != 204 {
                print("a send was answered \(response.status): \(String(buffer: response.body))")
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let waiting = self.state.withLockedValue { state in
            defer { state.waiting = [] }
            return state.waiting
        }
        for promise in waiting { promise?.fail(BenchError("The connection closed before the response.")) }
    }
}

/// Collects one response.
private final class ResponseCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    private let promise: EventLoopPromise<BenchHTTPClient.Response>
    private let state = NIOLockedValueBox((status: 0, body: ByteBuffer()))

    init(promise: EventLoopPromise<BenchHTTPClient.Response>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head): self.state.withLockedValue { $0.status = Int(head.status.code) }
        case .body(var chunk): self.state.withLockedValue { _ = $0.body.writeBuffer(&chunk) }
        case .end:
            let (status, body) = self.state.withLockedValue { $0 }
            self.promise.succeed(.init(status: status, body: body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(BenchError("The connection closed before the response ended."))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }
}

/// Reads an event stream, handing each record to a callback on the event loop.
private final class EventStreamHandler: ChannelInboundHandler, @unchecked Sendable {
    // Confined to its channel's event loop.
    typealias InboundIn = HTTPClientResponsePart
    private let head: EventLoopPromise<Int>
    private let ended: EventLoopPromise<Void>
    private let onRecord: (ByteBuffer) -> Void
    private var scanner = SSERecordScanner()

    init(head: EventLoopPromise<Int>, ended: EventLoopPromise<Void>, onRecord: @escaping (ByteBuffer) -> Void) {
        self.head = head
        self.ended = ended
        self.onRecord = onRecord
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head): self.head.succeed(Int(head.status.code))
        case .body(let chunk): self.scanner.feed(chunk, onRecord: self.onRecord)
        case .end: self.ended.succeed(())
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
