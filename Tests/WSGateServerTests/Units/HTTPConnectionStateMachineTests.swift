import NIOCore
import NIOHTTP1
import Testing
@testable import WSGateServer

/// The per-connection rules of HTTP/1.1, without sockets. Routes are strings here.
struct HTTPConnectionStateMachineTests {
    typealias Machine = HTTPConnectionStateMachine<String>

    var machine = Machine(maxBodySize: 10, maxTargetLength: 20)

    static func head(
        _ method: HTTPMethod = .GET, _ uri: String = "/x", version: HTTPVersion = .http1_1, _ headers: [(String, String)] = [("Host", "h")]
    ) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(headers))
    }

    static func route(_ head: HTTPRequestHead) -> Result<String, APIError> {
        head.uri == "/refused" ? .failure(.noSuchEndpoint) : .success(head.uri)
    }

    mutating func receive(_ part: HTTPServerRequestPart) -> Machine.Action {
        self.machine.received(.part(part), route: Self.route)
    }

    /// The request of an `.answer` action, or `nil`.
    static func answered(_ action: Machine.Action) -> Machine.Request? {
        if case .answer(let request) = action { request } else { nil }
    }

    /// The error of a `.refuseAndClose` action, or `nil`.
    static func refusal(_ action: Machine.Action) -> APIError? {
        if case .refuseAndClose(let error, _) = action { error } else { nil }
    }

    static func isNone(_ action: Machine.Action) -> Bool { if case .none = action { true } else { false } }
    static func isClose(_ action: Machine.Action) -> Bool { if case .close = action { true } else { false } }
    static func isAwaiting(_ action: Machine.Action) -> Bool { if case .awaitNextRequest = action { true } else { false } }

    @Test mutating func aRequestIsAnsweredAndTheConnectionKeptForTheNext() throws {
        #expect(Self.isNone(self.receive(.head(Self.head(.POST, "/a", [("Host", "h"), ("Content-Length", "4")])))))
        #expect(Self.isNone(self.receive(.body(ByteBuffer(string: "ab")))))
        #expect(Self.isNone(self.receive(.body(ByteBuffer(string: "cd")))))
        let request = try #require(Self.answered(self.receive(.end(nil))))
        #expect(try request.route.get() == "/a")
        #expect(String(buffer: request.body) == "abcd")
        #expect(self.machine.keepsAliveAfterResponse)
        #expect(Self.isAwaiting(self.machine.responseEnded()))
        #expect(Self.isNone(self.receive(.head(Self.head()))))
        #expect(Self.answered(self.receive(.end(nil))) != nil)
    }

    @Test(arguments: [
        (HTTPVersion.http1_1, [("Host", "h"), ("Connection", "close")]),
        (.http1_0, []),
    ])
    func connectionCloseAndHTTP10CloseAfterTheResponse(version: HTTPVersion, headers: [(String, String)]) {
        var machine = Machine(maxBodySize: 10, maxTargetLength: 20)
        _ = machine.received(.part(.head(Self.head(version: version, headers))), route: Self.route)
        _ = machine.received(.part(.end(nil)), route: Self.route)
        #expect(!machine.keepsAliveAfterResponse)
        #expect(Self.isClose(machine.responseEnded()))
    }

    @Test mutating func http10KeepAliveIsHonoured() {
        _ = self.receive(.head(Self.head(version: .http1_0, [("Connection", "keep-alive")])))
        _ = self.receive(.end(nil))
        #expect(self.machine.keepsAliveAfterResponse)
        #expect(Self.isAwaiting(self.machine.responseEnded()))
    }

    @Test mutating func aStreamToAnHTTP10ClientIsTheLastResponse() {
        _ = self.receive(.head(Self.head(version: .http1_0, [("Connection", "keep-alive")])))
        _ = self.receive(.end(nil))
        self.machine.closeAfterResponse()
        #expect(!self.machine.keepsAliveAfterResponse)
        #expect(Self.isClose(self.machine.responseEnded()))
    }

    @Test mutating func pipelinedRequestsAreHeldAndTakenInOrderAfterTheResponse() {
        _ = self.receive(.head(Self.head(.GET, "/first")))
        _ = self.receive(.end(nil))
        #expect(self.machine.mayRead)
        #expect(Self.isNone(self.receive(.head(Self.head(.GET, "/second")))))
        #expect(Self.isNone(self.receive(.end(nil))))
        #expect(Self.isNone(self.machine.received(.parseError(.invalidHTTP), route: Self.route)))
        #expect(!self.machine.mayRead)
        #expect(self.machine.nextHeldInput() == nil)  // Not while the first is answered.
        #expect(Self.isAwaiting(self.machine.responseEnded()))
        var actions: [Machine.Action] = []
        while let input = self.machine.nextHeldInput() {
            actions.append(self.machine.received(input, route: Self.route))
        }
        // The second is answered; the parse error waits for its response.
        #expect(actions.count == 2)
        #expect((try? Self.answered(actions[1])?.route.get()) == "/second")
        #expect(!self.machine.mayRead)
        #expect(Self.isAwaiting(self.machine.responseEnded()))
        let last = self.machine.nextHeldInput()
        #expect(last.map { Self.refusal(self.machine.received($0, route: Self.route)) } == .invalidHTTP)
        #expect(self.machine.mayRead)
    }

    @Test mutating func expectContinueIsAnsweredForAnAcceptedRequest() {
        let action = self.receive(.head(Self.head(.POST, "/a", [("Host", "h"), ("Content-Length", "3"), ("Expect", "100-Continue")])))
        guard case .sendContinue = action else { Issue.record("\(action)"); return }
        #expect(Self.isNone(self.receive(.body(ByteBuffer(string: "abc")))))
        #expect(Self.answered(self.receive(.end(nil))) != nil)
    }

    @Test mutating func expectContinueIsRefusedBeforeTheBodyForARefusedRequest() {
        let action = self.receive(.head(Self.head(.POST, "/refused", [("Host", "h"), ("Content-Length", "3"), ("Expect", "100-continue")])))
        #expect(Self.refusal(action) == .noSuchEndpoint)
        #expect(!self.machine.keepsAliveAfterResponse)
        #expect(Self.isNone(self.receive(.body(ByteBuffer(string: "abc")))))
        #expect(Self.isNone(self.receive(.end(nil))))
    }

    @Test mutating func anotherExpectationIs417() {
        let action = self.receive(.head(Self.head(.POST, "/a", [("Host", "h"), ("Expect", "something")])))
        #expect(Self.refusal(action)?.code == "expectation_failed")
    }

    @Test mutating func anAnnouncedBodyOverTheLimitIs413AtOnce() {
        let action = self.receive(.head(Self.head(.POST, "/a", [("Host", "h"), ("Content-Length", "11")])))
        #expect(Self.refusal(action)?.code == "too_large")
    }

    @Test mutating func aChunkedBodyOverTheLimitIs413WhenItPassesIt() {
        _ = self.receive(.head(Self.head(.POST, "/a", [("Host", "h"), ("Transfer-Encoding", "chunked")])))
        #expect(Self.isNone(self.receive(.body(ByteBuffer(string: "0123456789")))))
        #expect(Self.refusal(self.receive(.body(ByteBuffer(string: "!"))))?.code == "too_large")
    }

    @Test mutating func aRefusedRequestHasItsBodyReadAndKeepsTheConnection() throws {
        _ = self.receive(.head(Self.head(.POST, "/refused", [("Host", "h"), ("Content-Length", "2")])))
        _ = self.receive(.body(ByteBuffer(string: "{}")))
        let request = try #require(Self.answered(self.receive(.end(nil))))
        #expect(throws: APIError.noSuchEndpoint) { try request.route.get() }
        #expect(self.machine.keepsAliveAfterResponse)
    }

    @Test(arguments: [[("Host", "a"), ("Host", "b")], [(String, String)]()])
    func anHTTP11RequestWithoutExactlyOneHostIs400(headers: [(String, String)]) throws {
        var machine = Machine(maxBodySize: 10, maxTargetLength: 20)
        _ = machine.received(.part(.head(Self.head(.GET, "/x", headers))), route: Self.route)
        let request = try #require(Self.answered(machine.received(.part(.end(nil)), route: Self.route)))
        #expect(throws: APIError.missingHost) { try request.route.get() }
    }

    @Test mutating func anHTTP10RequestNeedsNoHost() throws {
        _ = self.receive(.head(Self.head(version: .http1_0, [])))
        let request = try #require(Self.answered(self.receive(.end(nil))))
        #expect(try request.route.get() == "/x")
    }

    @Test mutating func aTargetOverTheLimitIs414() throws {
        _ = self.receive(.head(Self.head(.GET, "/" + String(repeating: "a", count: 20))))
        let request = try #require(Self.answered(self.receive(.end(nil))))
        #expect(throws: APIError.targetTooLong(limit: 20)) { try request.route.get() }
    }

    @Test mutating func aParseErrorIsRefusedAndClosed() {
        #expect(Self.refusal(self.machine.received(.parseError(.invalidHTTP), route: Self.route)) == .invalidHTTP)
        #expect(Self.isNone(self.receive(.head(Self.head()))))
        #expect(Self.isNone(self.receive(.end(nil))))
    }

    @Test mutating func theIdleTimeoutClosesAConnectionWaitingForAHeadAndRefusesAStalledBody() {
        var stalled = Machine(maxBodySize: 10, maxTargetLength: 20)
        _ = stalled.received(.part(.head(Self.head(.POST, "/a", [("Host", "h"), ("Content-Length", "5")]))), route: Self.route)
        #expect(Self.refusal(stalled.idleTimeoutFired()) == .requestTimeout)
        _ = self.receive(.head(Self.head()))
        _ = self.receive(.end(nil))
        #expect(Self.isNone(self.machine.idleTimeoutFired()))
        #expect(Self.isAwaiting(self.machine.responseEnded()))
        #expect(Self.isClose(self.machine.idleTimeoutFired()))
    }

    @Test mutating func quiescingClosesAnIdleConnectionAtOnceAndABusyOneAfterItsResponse() {
        var idle = Machine(maxBodySize: 10, maxTargetLength: 20)
        #expect(Self.isClose(idle.quiesce()))
        _ = self.receive(.head(Self.head()))
        _ = self.receive(.end(nil))
        #expect(Self.isNone(self.machine.quiesce()))
        #expect(!self.machine.keepsAliveAfterResponse)
        #expect(Self.isClose(self.machine.responseEnded()))
    }
}
