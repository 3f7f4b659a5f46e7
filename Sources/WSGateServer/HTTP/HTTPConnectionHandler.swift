import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import WSGateCore

/// Serves one HTTP connection on its event loop: it feeds ``HTTPConnectionStateMachine`` the
/// request parts, asks ``APIRouter`` where each request goes, writes the responses, event
/// streams included, and closes the connection when the machine says so.
///
/// No Swift task runs per request or per stream: an endpoint answers now, with a future, or with
/// an event subscription whose records go from the connection's history to the socket here.
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart
    private typealias Machine = HTTPConnectionStateMachine<APIRouter.Target>

    /// How long a connection closed after a refusal may still send before it is closed whole.
    /// Reading what the client still sends, rather than closing at once, keeps the kernel from
    /// answering it with a reset that could destroy the refusal before the client reads it.
    static let lingerTimeout = TimeAmount.seconds(2)

    private let router: APIRouter
    private let idleTimeout: TimeAmount
    private let drainTimeout: TimeAmount
    private let streamSlots: EventStreamSlots
    private let requestLine: RequestLineWatcher
    private let logger: Logger
    private var machine: Machine
    private var context: ChannelHandlerContext?
    /// The event stream being written, if the current response is one; it holds one of the ``streamSlots``.
    private var stream: (any EventRecordSource)?
    /// When the connection's wait for a request head, or for more of a body, times out; `nil`
    /// while it is not waiting.
    private var idleDeadline: NIODeadline?
    /// The pending check of ``idleDeadline``. A request that moves the deadline leaves it in
    /// place, and a check that finds the deadline moved schedules the next: a timer task per
    /// timeout period rather than one per request.
    private var idleTimer: Scheduled<Void>?
    /// Set when the channel asked for a read while the machine held input.
    private var isReadDeferred = false
    /// Set while held input is taken, so that a response that ends meanwhile does not start
    /// taking it a second time, deeper in the stack.
    private var isTakingHeldInput = false

    init(router: APIRouter, limits: HTTPLimits, streamSlots: EventStreamSlots, requestLine: RequestLineWatcher, logger: Logger) {
        self.router = router
        self.idleTimeout = limits.idleTimeout
        self.drainTimeout = limits.drainTimeout
        self.streamSlots = streamSlots
        self.requestLine = requestLine
        self.logger = logger
        self.machine = HTTPConnectionStateMachine(maxBodySize: limits.maxRequestBodySize, maxTargetLength: limits.maxTargetLength)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { self.armIdleTimer(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // The context refers to this handler: keeping it would keep the whole pipeline alive.
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.armIdleTimer(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stream?.cancel()
        self.endStream()
        self.idleTimer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        if case .end = part { self.requestLine.requestEnded() }
        self.take(.part(part), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case let error as HTTPParserError:
            self.take(.parseError(self.refusal(of: error)), context: context)
        case ByteToMessageDecoderError.dataReceivedInErrorState:
            // What a client sends after bytes that are not HTTP: answered already.
            break
        default:
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            self.perform(self.machine.quiesce(), context: context)
            context.eventLoop.assumeIsolated().scheduleTask(in: self.drainTimeout) { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func read(context: ChannelHandlerContext) {
        if self.machine.mayRead {
            context.read()
        } else {
            self.isReadDeferred = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.drainStream() }
        context.fireChannelWritabilityChanged()
    }

    // MARK: The machine

    private func take(_ input: Machine.Input, context: ChannelHandlerContext) {
        let action = self.machine.received(input) { head in self.router.route(head) }
        if self.machine.isReadingBody {
            // A request whose body is read must make progress, or it times out too.
            self.armIdleTimer(context: context)
        }
        self.perform(action, context: context)
    }

    private func perform(_ action: Machine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .sendContinue:
            context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
        case .answer(let request):
            self.idleDeadline = nil
            self.answer(request, context: context)
        case .refuseAndClose(let error, let head):
            self.idleDeadline = nil
            self.respond(error.response, to: head, context: context).assumeIsolated().whenComplete { _ in
                self.lingerAndClose(context: context)
            }
        case .close:
            context.close(promise: nil)
        case .awaitNextRequest:
            self.armIdleTimer(context: context)
            self.takeHeldInput(context: context)
        }
    }

    /// Takes the input held while a request was answered, until one needs answering again.
    private func takeHeldInput(context: ChannelHandlerContext) {
        guard !self.isTakingHeldInput else { return }
        self.isTakingHeldInput = true
        defer { self.isTakingHeldInput = false }
        while let input = self.machine.nextHeldInput() {
            self.take(input, context: context)
        }
        if self.isReadDeferred, self.machine.mayRead {
            self.isReadDeferred = false
            context.read()
        }
    }

    private func armIdleTimer(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let deadline = NIODeadline.now() + self.idleTimeout
        self.idleDeadline = deadline
        if self.idleTimer == nil { self.checkIdleDeadline(at: deadline, context: context) }
    }

    private func checkIdleDeadline(at deadline: NIODeadline, context: ChannelHandlerContext) {
        self.idleTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.idleTimer = nil
            guard let deadline = self.idleDeadline else { return }
            if deadline > .now() {
                self.checkIdleDeadline(at: deadline, context: context)
            } else {
                self.idleDeadline = nil
                self.perform(self.machine.idleTimeoutFired(), context: context)
            }
        }
    }

    /// Closes the output, reads and drops what the client still sends until it closes too, and
    /// closes after ``lingerTimeout`` at the latest.
    private func lingerAndClose(context: ChannelHandlerContext) {
        context.close(mode: .output).assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTimeout) { context.close(promise: nil) }
    }

    /// The answer to a parse error: 414 or 431 for a head too large, depending on whether its
    /// request line had ended; 400 for anything else.
    private func refusal(of error: HTTPParserError) -> APIError {
        guard error == .headerOverflow else { return .invalidHTTP }
        return self.requestLine.hasSeenRequestLine ? .headersTooLarge : .targetTooLong(limit: self.machine.maxTargetLength)
    }

    // MARK: Answering

    private func answer(_ request: Machine.Request, context: ChannelHandlerContext) {
        let response: EndpointResponse
        do {
            let target = try request.route.get()
            response = try self.router.respond(
                to: target,
                request: APIRequest(
                    head: request.head, connectionID: target.connectionID, body: request.body, eventLoop: context.eventLoop,
                    remoteAddress: context.channel.remoteAddress
                )
            )
        } catch {
            self.respond(self.errorResponse(for: error), to: request.head, context: context)
            return
        }
        switch response {
        case .complete(let response):
            self.respond(response, to: request.head, context: context)
        case .pending(let future):
            future.hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
                switch result {
                case .success(let response): self.respond(response, to: request.head, context: context)
                case .failure(let error): self.respond(self.errorResponse(for: error), to: request.head, context: context)
                }
            }
        case .eventStream(let subscription):
            self.startStream(subscription, for: request.head, context: context)
        }
    }

    /// The API error for what an endpoint threw; an unexpected one is logged.
    private func errorResponse(for error: any Error) -> APIResponse {
        let apiError = APIError(error)
        if apiError.code == "internal_error" {
            self.logger.error("request failed", metadata: ["error": "\(error)"])
        }
        return apiError.response
    }

    /// Writes a complete response to the request with `head` (`nil` when it was not HTTP).
    /// The future completes once it is written.
    @discardableResult
    private func respond(_ response: APIResponse, to head: HTTPRequestHead?, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        // 1xx, 204 and 304 carry no body and no Content-Length (RFC 9110, 8.6).
        let contentLength = response.status.mayHaveResponseBody ? response.body?.readableBytes ?? 0 : nil
        let responseHead = self.responseHead(response.status, response.headers, to: head, contentLength: contentLength)
        context.write(self.wrapOutboundOut(.head(responseHead)), promise: nil)
        if let body = response.body { context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        return self.endResponse(context: context)
    }

    /// The head of a response to the request with `head`, with its framing, `Connection` and CORS headers.
    private func responseHead(
        _ status: HTTPResponseStatus, _ headers: HTTPHeaders, to head: HTTPRequestHead?, contentLength: Int?
    ) -> HTTPResponseHead {
        self.router.endpoints.metrics.countResponse(route: self.router.routeName(of: head), status: status)
        var headers = headers
        if let contentLength { headers.replaceOrAdd(name: "Content-Length", value: String(contentLength)) }
        self.router.settings.current.policy.addCORSHeaders(for: head, to: &headers)
        let version = head?.version ?? .http1_1
        if !self.machine.keepsAliveAfterResponse {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version == .http1_0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        // Framing follows the request's version: no chunked encoding for an HTTP/1.0 client.
        return HTTPResponseHead(version: version == .http1_0 ? .http1_0 : .http1_1, status: status, headers: headers)
    }

    /// Writes the end of the response and does what the machine says next.
    @discardableResult
    private func endResponse(context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: written)
        switch self.machine.responseEnded() {
        case .close:
            // Once the response is sent: closing now would drop what the socket has not taken.
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case let next:
            self.perform(next, context: context)
        }
        return written.futureResult
    }

    // MARK: Event streams

    private func startStream(_ subscription: any EventRecordSource, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard self.streamSlots.acquire() else {
            subscription.cancel()
            self.respond(APIError.tooManyStreams(limit: self.streamSlots.limit).response, to: head, context: context)
            return
        }
        if head.version == .http1_0 {
            // Without chunked encoding, only the connection's end can end the stream.
            self.machine.closeAfterResponse()
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Cache-Control", value: "no-cache")
        headers.add(name: "X-Accel-Buffering", value: "no")
        context.write(self.wrapOutboundOut(.head(self.responseHead(.ok, headers, to: head, contentLength: nil))), promise: nil)
        // Flushed before the cut-off action is set: that runs at once on a subscriber cut off
        // already, and a close drops what is not flushed, the response's head with it.
        context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(staticString: "retry: 3000\n\n")))), promise: nil)
        self.stream = subscription
        let channel = context.channel
        subscription.onCutOff { channel.close(promise: nil) }
        self.drainStream()
    }

    /// Writes what the stream's subscription holds while the socket takes it. When it holds
    /// nothing, the subscription wakes this handler on its own event loop once records arrive.
    private func drainStream() {
        guard let context, let subscription = self.stream else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let wake: @Sendable () -> Void = {
            let drainHere: @Sendable () -> Void = { handler.eventLoop.execute { handler.value.drainStream() } }
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
                for part in Self.coalesced(records) { context.write(self.wrapOutboundOut(.body(.byteBuffer(part))), promise: nil) }
            case .pending:
                context.flush()
                return
            case .ended:
                self.endStream()
                self.endResponse(context: context)
                return
            case .cutOff:
                // Broken off without the response's end: a client that saw it end would reuse the
                // connection. Cancelling releases the other members of a multiplexed stream.
                subscription.cancel()
                self.endStream()
                context.flush()
                context.close(promise: nil)
                return
            }
        }
        context.flush()
    }

    /// Forgets the stream, if any, and gives back its slot.
    private func endStream() {
        guard self.stream != nil else { return }
        self.stream = nil
        self.streamSlots.release()
    }

    /// Records at least this large are written as they are; smaller neighbours are copied into
    /// one buffer, so that a batch of small events costs one chunk, not one chunk each.
    private static var copyLimit: Int { 4096 }

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
