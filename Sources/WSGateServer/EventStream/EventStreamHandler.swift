import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOPosix
import WSGateCore

/// Serves `GET /connections/<id>/events` on the HTTP connection's event loop.
///
/// It sits in each HTTP/1 connection's pipeline in front of Hummingbird and takes the event
/// stream requests for itself; every other request passes through. Records go from the
/// connection's history to the socket without a Swift task per stream: no hop per event, and
/// no task stack held by each of thousands of idle streams. The socket's writability paces the
/// writes, which is what the history's flow control watches.
final class EventStreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        /// Requests go to Hummingbird.
        case forwarding
        /// An event stream request whose end has not arrived yet.
        case receiving(HTTPRequest, connectionID: String)
        /// A complete event stream request that waits for Hummingbird to finish answering the
        /// requests pipelined before it, so that responses keep their order.
        case deferred(HTTPRequest, connectionID: String)
        /// Writing the stream; it ends with the connection.
        case streaming(EventSubscription)
        case finished
    }

    private let pool: ConnectionPool
    private let hosts: HostPolicy
    private let cors: CORSPolicy
    private var state = State.forwarding
    private var context: ChannelHandlerContext?
    /// Requests passed to Hummingbird whose responses have not ended yet.
    private var requestsAtHummingbird = 0

    init(pool: ConnectionPool, hosts: HostPolicy, cors: CORSPolicy) {
        self.pool = pool
        self.hosts = hosts
        self.cors = cors
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        switch (self.state, part) {
        case (.forwarding, .head(let request)):
            if request.method == .get, let id = request.path.flatMap(EventStreamRequest.connectionID(inPath:)) {
                self.state = .receiving(request, connectionID: id)
            } else {
                self.requestsAtHummingbird += 1
                context.fireChannelRead(data)
            }
        case (.forwarding, _):
            context.fireChannelRead(data)
        case (.receiving(let request, let id), .end):
            if self.requestsAtHummingbird > 0 {
                self.state = .deferred(request, connectionID: id)
            } else {
                self.serve(request, connectionID: id, context: context)
            }
        case (.receiving, _), (.deferred, _), (.streaming, _), (.finished, _):
            // A GET's body, or bytes sent after an event stream request: nothing to do with them.
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard case .end = self.unwrapOutboundIn(data) else { return }
        self.requestsAtHummingbird -= 1
        if self.requestsAtHummingbird == 0, case .deferred(let request, let id) = self.state {
            self.serve(request, connectionID: id, context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.drain() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .streaming(let subscription) = self.state { subscription.cancel() }
        self.state = .finished
        context.fireChannelInactive()
    }

    // MARK: Answering

    private func serve(_ request: HTTPRequest, connectionID: String, context: ChannelHandlerContext) {
        let origin = request.headerFields[.origin]
        do {
            if let authority = request.authority, !self.hosts.allows(authority) {
                throw APIError(.forbidden, "host_forbidden", "Host \"\(authority)\" is not a loopback name or an allowed host.")
            }
            if let origin, !self.cors.allows(origin) {
                throw APIError(.forbidden, "origin_forbidden", "Origin \"\(origin)\" is not in allowedOrigins.")
            }
            guard let connection = self.pool.connection(ConnectionID(connectionID)) else {
                throw APIError.connectionNotFound(connectionID)
            }
            let streamRequest = try EventStreamRequest(request, connectionID: connectionID)
            switch connection.history.subscribe(from: streamRequest.cursor, binaryEncoding: streamRequest.binaryEncoding) {
            case .complete:
                self.answer(HTTPResponse(status: .noContent), body: nil, origin: origin, context: context)
            case .stream(let subscription):
                self.startStream(subscription, origin: origin, context: context)
            }
        } catch {
            let apiError = APIError(error)
            var body = ByteBuffer()
            body.writeJSON(apiError.body)
            var head = HTTPResponse(status: apiError.status, headerFields: apiError.headers)
            head.headerFields[.contentType] = "application/json"
            self.answer(head, body: body, origin: origin, context: context)
        }
    }

    /// Writes a complete response and goes back to passing requests on.
    private func answer(_ head: HTTPResponse, body: ByteBuffer?, origin: String?, context: ChannelHandlerContext) {
        var head = head
        head.headerFields[.contentLength] = "\(body?.readableBytes ?? 0)"
        self.permit(origin, &head)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(self.wrapOutboundOut(.body(body)), promise: nil) }
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        self.state = .forwarding
    }

    private func permit(_ origin: String?, _ head: inout HTTPResponse) {
        guard let origin, self.cors.allows(origin) else { return }
        self.cors.permit(origin, toRead: &head.headerFields)
    }

    // MARK: Streaming

    private func startStream(_ subscription: EventSubscription, origin: String?, context: ChannelHandlerContext) {
        var head = HTTPResponse(status: .ok)
        head.headerFields[.contentType] = "text/event-stream"
        head.headerFields[.cacheControl] = "no-cache"
        if let noProxyBuffering = HTTPField.Name("X-Accel-Buffering") { head.headerFields[noProxyBuffering] = "no" }
        self.permit(origin, &head)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(ByteBuffer(staticString: "retry: 3000\n\n"))), promise: nil)
        self.state = .streaming(subscription)
        // The client sends nothing more on this connection: a small receive buffer will do.
        context.channel.setOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 4096))
            .whenFailure { _ in }
        let channel = context.channel
        subscription.onCutOff { channel.close(promise: nil) }
        self.drain()
    }

    /// Writes what the subscription holds while the socket takes it. When it holds nothing, the
    /// subscription wakes this handler on its own event loop once records arrive.
    private func drain() {
        guard let context, case .streaming(let subscription) = self.state else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let wake: @Sendable () -> Void = {
            let drainHere: @Sendable () -> Void = { handler.eventLoop.execute { handler.value.drain() } }
            // Woken by a record appended on an event loop (the upstream's): wait for the rest of
            // that loop's reads, so that a burst crosses threads once, not once per record.
            if let producer = MultiThreadedEventLoopGroup.currentEventLoop, producer !== handler.eventLoop {
                producer.execute(drainHere)
            } else {
                drainHere()
            }
        }
        while context.channel.isWritable {
            switch subscription.take(orWake: wake) {
            case .records(let records):
                for part in Self.coalesced(records) { context.write(self.wrapOutboundOut(.body(part)), promise: nil) }
            case .pending:
                context.flush()
                return
            case .ended:
                self.state = .finished
                // The stream is over; so is this connection, which a client reopens to resume.
                context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
                return
            }
        }
        context.flush()
    }

    /// Records at least this large are written as they are; smaller neighbours are copied into
    /// one buffer, so that a batch of small events costs one chunk, not one chunk each.
    private static let copyLimit = 4096

    /// `records` with its runs of small records joined.
    private static func coalesced(_ records: [ByteBuffer]) -> [ByteBuffer] {
        guard records.count > 1 else { return records }
        var parts: [ByteBuffer] = []
        var small: ByteBuffer?
        for record in records {
            if record.readableBytes >= Self.copyLimit {
                if let run = small.take() { parts.append(run) }
                parts.append(record)
            } else if small == nil {
                small = record
            } else {
                small?.writeImmutableBuffer(record)
            }
        }
        if let run = small { parts.append(run) }
        return parts
    }
}
