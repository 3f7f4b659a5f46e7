import Foundation
import NIOCore
import NIOHTTP1
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// HTTP/1.1 as RFC 9112 and 9110 ask, over real sockets: persistent connections, pipelining,
/// `Expect: 100-continue`, HTTP/1.0, and a JSON error for every request the gateway refuses,
/// after which it keeps serving.
@Suite(.timeLimit(.minutes(1)))
struct HTTPProtocolTests {
    static let health = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    /// Opens a connection whose upstream has sent "hello" and closed, so that its event stream
    /// ends by itself; returns its id.
    static func endedConnection(_ client: GatewayClient) async throws -> String {
        let server = try await UpstreamServer()
        let id = try await client.connect(server.url())
        let peer = try await server.nextPeer()
        try await peer.sendText("hello")
        try await peer.sendClose(code: 1000)
        _ = await peer.receive()
        await peer.disconnect()
        let stream = try await client.events(id)
        _ = try await stream.remainingEvents()
        return id
    }

    /// Whether the gateway still answers a fresh request.
    static func stillServes(_ client: GatewayClient) async throws -> Bool {
        try await client.request(.GET, "/healthz").status == 200
    }

    @Test func aConnectionIsReusedAfterAnEventStreamEnds() async throws {
        try await withGateway { client, _ in
            let id = try await Self.endedConnection(client)
            let raw = try await RawConnection(port: client.port)
            try await raw.send("GET /connections/\(id)/events?lastEventId=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + Self.health)
            let text = try await raw.read(until: #"{"status":"ok"}"#)
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(text.lowercased().contains("transfer-encoding: chunked\r\n"))
            #expect(text.contains(#"data: {"type":"Text","data":"hello"}"#))
            #expect(text.contains("\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n"), "the stream ends, then the next response follows")
            #expect(!text.lowercased().contains("connection: close"))
            // And the connection stays open for a third request.
            try await raw.send(Self.health)
            #expect(try await raw.read(until: "\r\n\r\n").hasPrefix("HTTP/1.1 200 OK\r\n"))
            raw.close()
        }
    }

    @Test func curlReusesItsConnectionAfterAnEventStream() async throws {
        try await withGateway { client, _ in
            let id = try await Self.endedConnection(client)
            let base = "http://127.0.0.1:\(client.port)"
            let curl = try await Curl.run(["-sv", "\(base)/connections/\(id)/events", "\(base)/healthz", "\(base)/connections/\(id)/events"])
            #expect(curl.status == 0)
            #expect(curl.stdout.components(separatedBy: #"data: {"type":"Text","data":"hello"}"#).count == 3)
            #expect(curl.stdout.contains(#"{"status":"ok"}"#))
            #expect(curl.stderr.components(separatedBy: "Re-using existing connection").count == 3, "\(curl.stderr)")
            #expect(!curl.stderr.contains("Closing connection"))
        }
    }

    @Test func expectContinueIsAnsweredSoCurlSendsALargeBodyAtOnce() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("wsgate-expect-\(UUID()).txt")
            let text = String(repeating: "0123456789abcdef", count: 3 << 16)  // 3 MiB
            try text.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let curl = try await Curl.run([
                "-sv", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: text/plain",
                "--data-binary", "@\(file.path)", "http://127.0.0.1:\(client.port)/connections/\(id)/send",
            ])
            #expect(curl.stderr.contains("Expect: 100-continue"))
            #expect(curl.stderr.contains("HTTP/1.1 100 Continue"))
            #expect(curl.stdout == "204")
            let frame = await peer.receiveDataOrClose()
            #expect(frame?.data.readableBytes == text.utf8.count)
        }
    }

    @Test func aRefusedExpectContinueIsAnsweredBeforeTheBody() async throws {
        try await withGateway { client, _ in
            let raw = try await RawConnection(port: client.port)
            try await raw.send(
                "POST /connections/some-id/send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/html\r\n"
                    + "Content-Length: 1000000\r\nExpect: 100-continue\r\n\r\n"
            )
            let text = await raw.readToEnd()
            #expect(text.hasPrefix("HTTP/1.1 415 Unsupported Media Type\r\n"))
            #expect(text.lowercased().contains("connection: close\r\n"))
            #expect(!text.contains("100 Continue"))
            #expect(try await Self.stillServes(client))
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withGateway { client, _ in
            let raw = try await RawConnection(port: client.port)
            try await raw.send(
                Self.health + "GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            )
            let text = try await raw.read(until: #"{"status":"ready"}"#)
            let statuses = text.matches(of: /HTTP\/1\.1 (\d{3})/).map { String($0.output.1) }
            #expect(statuses == ["200", "404", "200"])
            raw.close()
        }
    }

    @Test func anHTTP10EventStreamIsNotChunkedAndEndsWithTheConnection() async throws {
        try await withGateway { client, _ in
            let id = try await Self.endedConnection(client)
            let raw = try await RawConnection(port: client.port)
            try await raw.send("GET /connections/\(id)/events?lastEventId=0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let text = await raw.readToEnd()
            #expect(text.hasPrefix("HTTP/1.0 200 OK\r\n"))
            #expect(!text.lowercased().contains("transfer-encoding"))
            #expect(text.contains("\r\n\r\nretry: 3000\n\nid: 1\n"))
        }
    }

    @Test(arguments: [
        ("GET /healthz HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n"),
        ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK\r\n"),
    ])
    func http10AndConnectionCloseAreAnsweredThenClosed(request: String, statusLine: String) async throws {
        try await withGateway { client, _ in
            let raw = try await RawConnection(port: client.port)
            try await raw.send(request)
            let text = await raw.readToEnd()
            #expect(text.hasPrefix(statusLine))
            #expect(text.lowercased().contains("connection: close\r\n"))
            #expect(text.hasSuffix(#"{"status":"ok"}"#))
        }
    }

    @Test(arguments: [
        ("GET /healthz HTTP/1.1\r\n\r\n", "400 Bad Request", "missing_host"),
        ("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400 Bad Request", "missing_host"),
        ("PUT /connections HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", "405 Method Not Allowed", "method_not_allowed"),
        ("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "414 URI Too Long", "target_too_long"),
        ("POST /connections HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}",
         "415 Unsupported Media Type", "unsupported_media_type"),
        ("POST /connections HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: gifts\r\nContent-Length: 2\r\n\r\n{}", "417 Expectation Failed", "expectation_failed"),
    ])
    func aBadRequestGetsItsStatusAndJSONError(request: String, status: String, code: String) async throws {
        try await withGateway { client, _ in
            let raw = try await RawConnection(port: client.port)
            try await raw.send(request)
            let text = try await raw.read(until: "\"}}")
            #expect(text.hasPrefix("HTTP/1.1 \(status)\r\n"), "\(text.prefix(200))")
            #expect(text.contains(#"{"error":{"code":"\#(code)","message":""#))
            if code == "method_not_allowed" { #expect(text.contains("Allow: GET, POST\r\n")) }
            raw.close()
            #expect(try await Self.stillServes(client))
        }
    }

    /// Requests too large to read whole, by what is too large.
    static let oversized: [String: (request: String, status: String, code: String)] = [
        "a 2 MB header": (
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: \(String(repeating: "b", count: 2 << 20))\r\n\r\n",
            "431 Request Header Fields Too Large", "headers_too_large"
        ),
        "100,000 header lines": (
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\(String(repeating: "X-Line: 1\r\n", count: 100_000))\r\n",
            "431 Request Header Fields Too Large", "headers_too_large"
        ),
        "a 1 MB target": (
            "GET /\(String(repeating: "t", count: 1 << 20)) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "414 URI Too Long", "target_too_long"
        ),
        "a body over the limit": (
            "POST /connections HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
                + String(repeating: "x", count: 1 << 20),
            "413 Payload Too Large", "too_large"
        ),
    ]

    @Test(arguments: ["a 2 MB header", "100,000 header lines", "a 1 MB target", "a body over the limit"])
    func anOversizedRequestIsAnsweredNotReset(what: String) async throws {
        let (request, status, code) = try #require(Self.oversized[what])
        try await withGateway { client, _ in
            let raw = try await RawConnection(port: client.port)
            // The gateway answers and closes before it has read everything; the write may fail.
            try? await raw.send(request)
            let text = await raw.readToEnd()
            #expect(text.hasPrefix("HTTP/1.1 \(status)\r\n"), "\(what): \(text.prefix(200))")
            #expect(text.lowercased().contains("connection: close\r\n"))
            #expect(text.contains(#"{"error":{"code":"\#(code)","message":""#))
            #expect(try await Self.stillServes(client))
        }
    }

    @Test(arguments: ["", "GET /healthz HTTP/1.1\r\nHo"])
    func aClientThatSendsNoCompleteHeadIsClosedAfterTheIdleTimeout(partial: String) async throws {
        try await withGateway(.testing { $0.http.idleTimeout = .seconds(1) }) { client, _ in
            let raw = try await RawConnection(port: client.port)
            if !partial.isEmpty { try await raw.send(partial) }
            #expect(await raw.readToEnd() == "")
        }
    }

    @Test func aBodyThatStopsArrivingIs408() async throws {
        // Long enough that a loaded machine sends the head before the connection's first
        // timeout, which would close it without a word, as no request had begun.
        try await withGateway(.testing { $0.http.idleTimeout = .seconds(5) }) { client, _ in
            let raw = try await RawConnection(port: client.port)
            try await raw.send("POST /connections HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{")
            let text = await raw.readToEnd()
            #expect(text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
            #expect(text.contains(#"{"error":{"code":"request_timeout","message":""#))
        }
    }

    @Test func aKeptAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        // Long enough that a loaded machine sends the request before the connection's first
        // idle period ends, which would close it unanswered.
        try await withGateway(.testing { $0.http.idleTimeout = .seconds(3) }) { client, _ in
            let raw = try await RawConnection(port: client.port)
            try await raw.send(Self.health)
            let text = await raw.readToEnd()
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(text.hasSuffix(#"{"status":"ok"}"#))
        }
    }

    @Test func connectionsPastTheLimitWaitUntilOneCloses() async throws {
        try await withGateway(.testing { $0.http.maxConnections = 1 }) { client, _ in
            let first = try await RawConnection(port: client.port)
            try await first.send(Self.health)
            _ = try await first.read(until: #"{"status":"ok"}"#)
            // The second connects (the kernel's backlog takes it) but is not served yet...
            let second = try await RawConnection(port: client.port)
            try await second.send(Self.health)
            // ...while the first is, again...
            try await first.send(Self.health)
            _ = try await first.read(until: #"{"status":"ok"}"#)
            #expect(second.bytesReceived == 0)
            // ...until the first closes.
            first.close()
            #expect(try await second.read(until: #"{"status":"ok"}"#).hasPrefix("HTTP/1.1 200 OK\r\n"))
            second.close()
        }
    }
}
