import Testing
import WSGateTestSupport

/// Malformed, truncated, oversized and mistyped requests by the thousand, each on a connection
/// of its own: the gateway answers or drops each, then serves every endpoint as before, its
/// memory where it was.
@Suite(.timeLimit(.minutes(5)))
struct HostileStormTests {
    private static let host = "Host: 127.0.0.1\r\n"

    /// Requests no client should send.
    static let requests: [String] = [
        "GET /heal",
        "GET /healthz HTTP/1.1\r\n\(host)X-Big: \(String(repeating: "a", count: 70_000))\r\n\r\n",
        "GET /\(String(repeating: "t", count: 16_384)) HTTP/1.1\r\n\(host)\r\n",
        "\u{01}\u{02}\u{7F}\u{FF}garbage\0\r\n\r\n",
        "PUT /connections HTTP/1.1\r\n\(host)Content-Length: 0\r\n\r\n",
        "POST /connections HTTP/1.1\r\n\(host)Content-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"url\": 42}",
        "POST /connections HTTP/1.1\r\n\(host)Content-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"url\": \"ws://",
        "POST /connections HTTP/1.1\r\n\(host)Content-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"url\":\"ftp://x\"}",
        "POST /connections HTTP/1.1\r\n\(host)Content-Type: application/json\r\nContent-Length: 62\r\n\r\n{\"url\":\"ws://127.0.0.1:1/\",\"config\":{\"maxMessageSize\":\"huge\"}}",
        "POST /connections/abc/send HTTP/1.1\r\n\(host)Content-Type: image/png\r\nContent-Length: 3\r\n\r\nabc",
        "POST /connections/abc/send HTTP/1.1\r\n\(host)Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
        "GET /connections/%zz/events HTTP/1.1\r\n\(host)\r\n",
        "GET /events?connections=,,, HTTP/1.1\r\n\(host)\r\n",
        "GET /connections/x/events HTTP/1.1\r\n\(host)Last-Event-ID: -5\r\n\r\n",
        "GET /healthz HTTP/1.1\r\n\r\n",
        "GET /healthz HTTP/9.9\r\n\(host)\r\n",
        "POST /connections HTTP/1.1\r\n\(host)Content-Length: -1\r\n\r\n",
        "POST /connections HTTP/1.1\r\n\(host)Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        "GET /healthz HTTP/1.1\r\n\(host)X-Folded: a\r\n b\r\n\r\n",
        "DELETE /connections/x?code=99999 HTTP/1.1\r\n\(host)\r\n",
        "POST /connections HTTP/1.1\r\n\(host)Expect: 200-ok\r\nContent-Length: 2\r\n\r\n{}",
        "GET /metrics HTTP/1.1\r\n\(host)Authorization: Bearer \(String(repeating: "x", count: 9000))\r\n\r\n",
    ]

    @Test func tenThousandHostileRequestsLeaveTheGatewayServingWithItsMemory() async throws {
        let (gateway, port, notify) = try await GatewayProcess.startOnFreePort(logLevel: "error")
        defer { notify.close() }
        gateway.lowerPriority()
        let start = try #require(gateway.residentKiB)
        // A warm-up wave lets the allocator and the event loops reach their working size.
        _ = await ShortConnections.run(port: port, count: 2000, requests: Self.requests, endsOutput: true)
        let warm = try #require(gateway.residentKiB)
        let answered = await ShortConnections.run(port: port, count: 10_000, requests: Self.requests, endsOutput: true)
        let after = try #require(gateway.residentKiB)
        print("hostile storm: 10000 requests, \(answered) answered; RSS \(start) KiB at start, \(warm) KiB after the warm-up, \(after) KiB after the storm")
        // Every request but the truncated ones gets an answer.
        #expect(answered >= 10_000 * (Self.requests.count - 2) / Self.requests.count)
        #expect(Double(after) <= Double(warm) * 1.05, "RSS grew from \(warm) to \(after) KiB")

        // Every endpoint serves as before.
        let server = try await UpstreamServer()
        let client = GatewayClient(port: port)
        #expect(try await client.request(.GET, "/healthz").status == 200)
        #expect(try await client.request(.GET, "/readyz").status == 200)
        let id = try await client.connect(server.url())
        let peer = try await server.nextPeer()
        let events = try await client.events(id)
        #expect(try await client.send(id, #""after the storm""#).status == 204)
        #expect(await peer.receiveDataOrClose()?.data == .init(string: "after the storm"))
        try await peer.sendText("still serving")
        #expect(try await events.nextEvent()?.json == ["type": "Text", "data": "still serving"])
        #expect(try await client.request(.GET, "/connections/\(id)").json["state"] == "open")
        #expect(try await client.request(.GET, "/metrics").status == 200)
        gateway.terminate()
        #expect(await gateway.exitStatus() == 0)
    }
}
