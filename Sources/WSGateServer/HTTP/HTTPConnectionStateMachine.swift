import NIOCore
import NIOHTTP1

/// The rules of one HTTP/1.1 connection (RFC 9112), as a value: which request is being read,
/// answered or held back, whether the connection stays open after a response, when to stop
/// reading, and when to close. ``HTTPConnectionHandler`` feeds it what happens and carries out the
/// actions it returns.
///
/// - Requests are answered one at a time, in order. Parts of pipelined requests that arrive
///   while one is answered are held, and the socket is not read while any are held.
/// - The connection is persistent: it is reused after every response, event streams included,
///   unless the request was HTTP/1.0 without `Connection: keep-alive`, asked for
///   `Connection: close`, or the gateway is shutting down. Then the response says
///   `Connection: close` and the connection closes after it.
/// - A request whose body will not be read, because it is refused while `Expect: 100-continue`
///   waits or announces a body over the limit, is answered at once and the connection closed.
///   Any other refused request has its body read and dropped, and keeps the connection.
///
/// `Route` is what the handler found for a request head: its endpoint, in the gateway.
struct HTTPConnectionStateMachine<Route> {
    /// A request read whole, to be answered.
    struct Request {
        /// The head.
        var head: HTTPRequestHead
        /// Where it goes, or why it is refused.
        var route: Result<Route, APIError>
        /// The body, read whole (and dropped for a refused request).
        var body = ByteBuffer()
    }

    /// What arrives from the decoder.
    enum Input {
        /// A part of a request.
        case part(HTTPServerRequestPart)
        /// Bytes that are not HTTP, as the error they are answered with.
        case parseError(APIError)
    }

    /// What the handler does next.
    enum Action {
        /// Nothing.
        case none
        /// Write `100 Continue`: the body is wanted.
        case sendContinue
        /// Answer the request: serve its route, or answer its refusal.
        case answer(Request)
        /// Answer `error` to the request with this head (`nil` for bytes that are not HTTP) with
        /// `Connection: close`, then close without reading what is left.
        case refuseAndClose(APIError, HTTPRequestHead?)
        /// Close the connection once what was written is sent.
        case close
        /// Wait for the next request: arm the idle timer, then take the held input.
        case awaitNextRequest
    }

    private enum State {
        /// Waiting for a request head.
        case idle
        /// Reading a request's body.
        case reading(Request, keepAlive: Bool)
        /// Answering a request.
        case responding(keepAlive: Bool)
        /// The last response is written or being written; what arrives is dropped.
        case closing
    }

    private var state = State.idle
    /// Input that arrived while a request was answered, in order. An array, because an empty
    /// one allocates nothing, and most connections never hold anything; a ring buffer would cost
    /// every connection its storage. It holds at most what one read decodes to.
    private var held: [Input] = []
    /// Set by graceful shutdown: the response being written is the last.
    private var isQuiescing = false
    /// The largest body read (413 above it).
    let maxBodySize: Int
    /// The longest request target read (414 above it).
    let maxTargetLength: Int

    /// A machine for a new connection, waiting for its first request.
    init(maxBodySize: Int, maxTargetLength: Int) {
        self.maxBodySize = maxBodySize
        self.maxTargetLength = maxTargetLength
    }

    /// Whether the socket may be read: not while input is held.
    var mayRead: Bool { self.held.isEmpty }

    /// Whether a request's head has arrived and its body is being read.
    var isReadingBody: Bool {
        if case .reading = self.state { true } else { false }
    }

    /// Whether the connection stays open after the response being written.
    var keepsAliveAfterResponse: Bool {
        switch self.state {
        case .reading(_, let keepAlive), .responding(let keepAlive): keepAlive && !self.isQuiescing
        case .idle, .closing: false
        }
    }

    /// Takes `input`. A head is routed by `route`, which is called only for a head that is read now.
    mutating func received(_ input: Input, route: (HTTPRequestHead) -> Result<Route, APIError>) -> Action {
        if case .responding = self.state {
            self.held.append(input)
            return .none
        }
        switch input {
        case .part(.head(let head)): return self.receivedHead(head, route: route)
        case .part(.body(let chunk)): return self.receivedBody(chunk)
        case .part(.end): return self.receivedEnd()
        case .parseError(let error): return self.receivedParseError(error)
        }
    }

    private mutating func receivedHead(_ head: HTTPRequestHead, route: (HTTPRequestHead) -> Result<Route, APIError>) -> Action {
        guard case .idle = self.state else {
            // The decoder sends no head before the previous request's end; a refused and
            // closed request's successors are dropped.
            return .none
        }
        let request = Request(head: head, route: self.protocolRefusal(head).map { .failure($0) } ?? route(head))
        let contentLength = head.headers.first(name: "Content-Length").flatMap { Int($0) } ?? 0
        // An HTTP/1.0 client cannot expect anything (RFC 9110, 10.1.1).
        let expectation = Self.isHTTP11OrLater(head.version) ? head.headers.first(name: "Expect")?.lowercased() : nil
        if let expectation, expectation != "100-continue" {
            self.state = .closing
            return .refuseAndClose(.expectationFailed(expectation), head)
        }
        if contentLength > self.maxBodySize {
            self.state = .closing
            return .refuseAndClose(.tooLarge(limit: self.maxBodySize), head)
        }
        if expectation != nil, case .failure(let error) = request.route {
            self.state = .closing
            return .refuseAndClose(error, head)
        }
        self.state = .reading(request, keepAlive: head.isKeepAlive)
        return expectation != nil ? .sendContinue : .none
    }

    private mutating func receivedBody(_ chunk: ByteBuffer) -> Action {
        guard case .reading(var request, let keepAlive) = self.state else { return .none }
        if request.body.readableBytes + chunk.readableBytes > self.maxBodySize {
            self.state = .closing
            return .refuseAndClose(.tooLarge(limit: self.maxBodySize), request.head)
        }
        self.state = .closing  // Drops the state's reference to the body, so that it grows without a copy.
        request.body.writeImmutableBuffer(chunk)
        self.state = .reading(request, keepAlive: keepAlive)
        return .none
    }

    private mutating func receivedEnd() -> Action {
        guard case .reading(let request, let keepAlive) = self.state else { return .none }
        self.state = .responding(keepAlive: keepAlive)
        return .answer(request)
    }

    private mutating func receivedParseError(_ error: APIError) -> Action {
        switch self.state {
        case .idle:
            self.state = .closing
            return .refuseAndClose(error, nil)
        case .reading(let request, _):
            self.state = .closing
            return .refuseAndClose(error, request.head)
        case .responding, .closing:
            return .none
        }
    }

    /// The 400 or 414 that RFC 9112 asks for whatever the route: an HTTP/1.1 request must carry
    /// exactly one `Host`, and a target must fit the limit.
    private func protocolRefusal(_ head: HTTPRequestHead) -> APIError? {
        if Self.isHTTP11OrLater(head.version), head.headers["Host"].count != 1 {
            return .missingHost
        }
        if head.uri.utf8.count > self.maxTargetLength {
            return .targetTooLong(limit: self.maxTargetLength)
        }
        return nil
    }

    private static func isHTTP11OrLater(_ version: HTTPVersion) -> Bool {
        version.major > 1 || (version.major == 1 && version.minor >= 1)
    }

    /// The response that cannot be framed on a kept connection (a stream to an HTTP/1.0
    /// client, which ends with the connection) is the last.
    mutating func closeAfterResponse() {
        if case .responding = self.state { self.state = .responding(keepAlive: false) }
    }

    /// The response's last part is written.
    mutating func responseEnded() -> Action {
        guard case .responding(let keepAlive) = self.state else { return .none }
        guard keepAlive, !self.isQuiescing else {
            self.state = .closing
            return .close
        }
        self.state = .idle
        return .awaitNextRequest
    }

    /// The next held input to take now, if a request is not being answered.
    mutating func nextHeldInput() -> Input? {
        switch self.state {
        case .idle, .reading: self.held.isEmpty ? nil : self.held.removeFirst()
        case .responding, .closing: nil
        }
    }

    /// No request head, or no more of a body, arrived in time.
    mutating func idleTimeoutFired() -> Action {
        switch self.state {
        case .idle:
            self.state = .closing
            return .close
        case .reading(let request, _):
            self.state = .closing
            return .refuseAndClose(.requestTimeout, request.head)
        case .responding, .closing:
            return .none
        }
    }

    /// Graceful shutdown: an idle connection closes now, a busy one after its response.
    mutating func quiesce() -> Action {
        self.isQuiescing = true
        guard case .idle = self.state else { return .none }
        self.state = .closing
        return .close
    }
}
