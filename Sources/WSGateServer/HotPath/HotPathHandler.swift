import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import WSGateCore

/// Serves the three busiest endpoints, `POST /connections`, `GET /connections/<id>/events` and
/// `POST /connections/<id>/send`, on the HTTP connection's event loop.
///
/// It sits in each HTTP/1 connection's pipeline in front of Hummingbird, takes those requests for
/// itself and passes every other one through. Without a Swift task per request or per stream,
/// a connect or a send costs no hop to a task and back, an event goes from the connection's history to the
/// socket directly, and thousands of idle streams hold no task stacks. Responses keep the order
/// of the requests, pipelined ones included.
final class HotPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The endpoints served here.
    enum Route {
        case open
        case events(connectionID: String)
        case send(connectionID: String)
    }

    /// A request taken for this handler, with its body so far.
    struct PendingRequest {
        var head: HTTPRequest
        var route: Route
        var body = ByteBuffer()
        var isTooLarge = false
    }

    enum State {
        /// Requests go to Hummingbird.
        case forwarding
        /// A request of ours whose end has not arrived yet.
        case receiving(PendingRequest)
        /// A complete request of ours that waits for Hummingbird to answer the requests before it.
        case waitingForHummingbird(PendingRequest)
        /// A request waits for its outcome: a connect for the upstream, a send for the write.
        case awaitingOutcome
        /// Writing an event stream; it ends with the connection.
        case streaming(EventSubscription)
        case finished
    }

    let pool: ConnectionPool
    let hosts: HostPolicy
    let cors: CORSPolicy
    let maxRequestBodySize: Int
    /// The connection config that a connect's `config` is applied to.
    let connectionDefaults: ConnectionConfig
    var state = State.forwarding
    var context: ChannelHandlerContext?
    /// Requests passed to Hummingbird whose responses have not ended yet.
    private var requestsAtHummingbird = 0
    /// The last `Host` value that passed the host policy: a client sends the same one with every
    /// request of a connection, which then costs a comparison instead of a check.
    private var allowedAuthority: String?
    /// Parts that arrived while a request of ours was being answered, replayed after it.
    private var heldParts = CircularBuffer<HTTPRequestPart>()
    /// Set by bytes that are not HTTP/1.1, after which the decoder reads nothing more: once the
    /// responses before them are written, they are answered 400 and the connection is closed.
    /// Hummingbird's routes read no request body, so its answers never wait for parts that the
    /// error cut off.
    private var hasParseError = false

    init(pool: ConnectionPool, hosts: HostPolicy, cors: CORSPolicy, maxRequestBodySize: Int, connectionDefaults: ConnectionConfig) {
        self.pool = pool
        self.hosts = hosts
        self.cors = cors
        self.maxRequestBodySize = maxRequestBodySize
        self.connectionDefaults = connectionDefaults
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.process(self.unwrapInboundIn(data), context: context)
    }

    private func process(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch (self.state, part) {
        case (.forwarding, .head(let head)):
            if let route = Self.route(of: head) {
                self.state = .receiving(PendingRequest(head: head, route: route))
            } else {
                self.requestsAtHummingbird += 1
                context.fireChannelRead(self.wrapInboundOut(part))
            }
        case (.forwarding, _):
            context.fireChannelRead(self.wrapInboundOut(part))
        case (.receiving(var pending), .body(var chunk)):
            if pending.body.readableBytes + chunk.readableBytes > self.maxRequestBodySize {
                pending.isTooLarge = true
                pending.body.clear()
            } else if !pending.isTooLarge {
                pending.body.writeBuffer(&chunk)
            }
            self.state = .receiving(pending)
        case (.receiving(let pending), .end):
            if self.requestsAtHummingbird > 0 {
                self.state = .waitingForHummingbird(pending)
            } else {
                self.serve(pending, context: context)
            }
        case (.receiving, .head):
            break
        case (.waitingForHummingbird, _), (.awaitingOutcome, _):
            self.heldParts.append(part)
        case (.streaming, _), (.finished, _):
            // The connection belongs to its event stream: whatever the client sends is ignored.
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard case .end = self.unwrapOutboundIn(data) else { return }
        self.requestsAtHummingbird -= 1
        if self.requestsAtHummingbird == 0, case .waitingForHummingbird(let pending) = self.state {
            self.serve(pending, context: context)
        } else {
            self.answerParseErrorWhenIdle(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else { return context.fireErrorCaught(error) }
        self.hasParseError = true
        self.answerParseErrorWhenIdle(context: context)
    }

    /// Answers a parse error with the API's 400 and closes, once no response is outstanding.
    private func answerParseErrorWhenIdle(context: ChannelHandlerContext) {
        guard self.hasParseError, self.requestsAtHummingbird == 0 else { return }
        switch self.state {
        case .forwarding, .receiving:
            self.state = .finished
            var (head, body) = Self.response(for: APIError.invalidHTTP)
            head.headerFields[.connection] = "close"
            let written = context.eventLoop.makePromise(of: Void.self)
            self.write(head, body: body, origin: nil, promise: written, context: context)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .streaming:
            context.close(promise: nil)
        case .waitingForHummingbird, .awaitingOutcome, .finished:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .streaming(let subscription) = self.state { subscription.cancel() }
        self.state = .finished
        context.fireChannelInactive()
    }

    /// Whether parts are processed as they come rather than held.
    private var isTakingParts: Bool {
        switch self.state {
        case .forwarding, .receiving: true
        case .waitingForHummingbird, .awaitingOutcome, .streaming, .finished: false
        }
    }

    /// Which of our endpoints `head` asks for, if any: `/connections`, `/connections/<id>/events`
    /// or `…/send`, with or without a query. Every request passes here, so it reads the path's
    /// UTF-8 bytes rather than its characters, and makes a string only of a matching id.
    private static func route(of head: HTTPRequest) -> Route? {
        let collection = "/connections".utf8
        guard let path = head.path?.utf8.prefix(while: { $0 != UInt8(ascii: "?") }), path.starts(with: collection) else { return nil }
        if head.method == .post, path.count == collection.count { return .open }
        guard path.dropFirst(collection.count).first == UInt8(ascii: "/") else { return nil }
        let resource = path.dropFirst(collection.count + 1)
        guard let slash = resource.firstIndex(of: UInt8(ascii: "/")), slash > resource.startIndex else { return nil }
        let action = resource[resource.index(after: slash)...]
        let id = { String(Substring(resource[..<slash])) }
        switch head.method {
        case .get where action.elementsEqual("events".utf8): return .events(connectionID: id())
        case .post where action.elementsEqual("send".utf8): return .send(connectionID: id())
        default: return nil
        }
    }

    // MARK: Answering

    private func serve(_ pending: PendingRequest, context: ChannelHandlerContext) {
        let origin = pending.head.headerFields[.origin]
        do {
            if let authority = pending.head.authority, authority != self.allowedAuthority {
                guard self.hosts.allows(authority) else {
                    throw APIError(.forbidden, "host_forbidden", "Host \"\(authority)\" is not a loopback name or an allowed host.")
                }
                self.allowedAuthority = authority
            }
            if let origin, !self.cors.allows(origin) {
                throw APIError(.forbidden, "origin_forbidden", "Origin \"\(origin)\" is not in allowedOrigins.")
            }
            switch pending.route {
            case .open: try self.serveOpen(pending, origin: origin, context: context)
            case .events(let id): try self.serveEvents(pending, connection: self.connection(id), origin: origin, context: context)
            case .send(let id): try self.serveSend(pending, connection: self.connection(id), origin: origin, context: context)
            }
        } catch {
            self.answer(error, origin: origin, context: context)
        }
    }

    private func connection(_ id: String) throws -> Connection {
        guard let connection = self.pool.connection(ConnectionID(id)) else { throw APIError.connectionNotFound(id) }
        return connection
    }

    /// Answers with `error` as the API's JSON error.
    func answer(_ error: any Error, origin: String?, context: ChannelHandlerContext) {
        let (head, body) = Self.response(for: error)
        self.answer(head, body: body, origin: origin, context: context)
    }

    /// The API's JSON error response for `error`.
    private static func response(for error: any Error) -> (HTTPResponse, ByteBuffer) {
        let apiError = APIError(error)
        var body = ByteBuffer()
        body.writeJSON(apiError.body)
        var head = HTTPResponse(status: apiError.status, headerFields: apiError.headers)
        head.headerFields[.contentType] = "application/json"
        return (head, body)
    }

    /// `204 No Content`, the answer to nearly every request served here, with its headers built once.
    static let noContent: HTTPResponse = {
        var head = HTTPResponse(status: .noContent)
        head.headerFields[.contentLength] = "0"
        return head
    }()

    /// Writes a complete response, then goes back to passing requests on, the held ones first.
    func answer(_ head: HTTPResponse, body: ByteBuffer?, origin: String?, context: ChannelHandlerContext) {
        self.write(head, body: body, origin: origin, promise: nil, context: context)
        self.state = .forwarding
        if !self.heldParts.isEmpty {
            while self.isTakingParts, !self.heldParts.isEmpty {
                self.process(self.heldParts.removeFirst(), context: context)
            }
            // Outside a read, what was passed on reaches Hummingbird only with a read-complete.
            context.fireChannelReadComplete()
        }
        self.answerParseErrorWhenIdle(context: context)
    }

    /// Writes and flushes a complete response; `promise` completes once it is written.
    private func write(
        _ head: HTTPResponse, body: ByteBuffer?, origin: String?, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext
    ) {
        var head = head
        if head.headerFields[.contentLength] == nil {
            head.headerFields[.contentLength] = "\(body?.readableBytes ?? 0)"
        }
        self.permit(origin, &head)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(self.wrapOutboundOut(.body(body)), promise: nil) }
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: promise)
    }

    /// Adds the CORS headers when `origin` is allowed.
    func permit(_ origin: String?, _ head: inout HTTPResponse) {
        guard let origin, self.cors.allows(origin) else { return }
        self.cors.permit(origin, toRead: &head.headerFields)
    }
}
