import NIOCore
import NIOWebSocket
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// `POST /connections/<id>/send`.
@Suite(.timeLimit(.minutes(1)))
struct SendEndpointTests {
    @Test func everyBodyFormReachesTheUpstreamInOrder() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            // No keepalive Ping may come between the frames on a slow machine.
            let id = try await client.connect(server.url(), config: #"{"pingIntervalMs": 0}"#)
            let peer = try await server.nextPeer()
            let sends: [(String, String)] = [
                (#""text ✓\n""#, "application/json"),
                ("[1, 2, 255]", "application/json"),
                (#"{"type": "Text", "data": "tagged"}"#, "application/json; charset=utf-8"),
                (#"{"type": "Binary", "data": "AAE="}"#, "application/json"),
                (#"{"type": "Ping", "data": [7]}"#, "application/json"),
                (#"{"type": "Pong", "data": [8]}"#, "application/json"),
                ("raw text", "text/plain"),
                ("\u{0}\u{1}", "application/octet-stream"),
                ("\"n1\"\n\n[9]\n{\"type\":\"Text\",\"data\":\"n3\"}\n", "application/x-ndjson"),
            ]
            for (body, contentType) in sends {
                let response = try await client.send(id, body, contentType: contentType)
                #expect(response.status == 204, "\(body): \(response.text)")
                #expect(response.headers["Content-Length"].isEmpty, "a 204 carries no Content-Length (RFC 9110, 8.6)")
            }
            var received: [String] = []
            for _ in 0..<11 {
                let frame = try #require(await peer.receive())
                received.append("\(frame.opcode) \(Array(frame.data.readableBytesView))")
            }
            let expected: [(WebSocketOpcode, [UInt8])] = [
                (.text, Array("text ✓\n".utf8)), (.binary, [1, 2, 255]), (.text, Array("tagged".utf8)), (.binary, [0, 1]),
                (.ping, [7]), (.pong, [8]), (.text, Array("raw text".utf8)), (.binary, [0, 1]),
                (.text, Array("n1".utf8)), (.binary, [9]), (.text, Array("n3".utf8)),
            ]
            #expect(received == expected.map { "\($0.0) \($0.1)" })
        }
    }

    @Test(arguments: [
        ("[256]", "application/json"), ("[-1]", "application/json"), ("3", "application/json"), ("not json", "application/json"),
        (#"{"type": "Close", "data": {"code": 1005}}"#, "application/json"), (#"{"type": "Binary", "data": "%%%"}"#, "application/json"),
        ("\"ok\"\nbroken", "application/x-ndjson"), ("\n\n", "application/x-ndjson"),
    ])
    func invalidMessagesAre400(body: String, contentType: String) async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let response = try await client.send(id, body, contentType: contentType)
            #expect(response.status == 400)
            #expect(response.errorCode == "invalid_message")
        }
    }

    @Test func invalidUTF8AsTextPlainIs400() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let response = try await client.request(
                .POST, "/connections/\(id)/send", headers: [("Content-Type", "text/plain")], body: ByteBuffer(bytes: [0xC3, 0x28])
            )
            #expect(response.status == 400)
            #expect(response.errorCode == "invalid_message")
        }
    }

    @Test func anUnknownIdIs404() async throws {
        try await withGateway { client, _ in
            let response = try await client.send("nope", #""x""#)
            #expect(response.status == 404)
            #expect(response.errorCode == "not_found")
        }
    }

    @Test func otherContentTypesAre415() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let response = try await client.send(id, "x", contentType: "application/xml")
            #expect(response.status == 415)
            #expect(response.errorCode == "unsupported_media_type")
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.http.maxRequestBodySize = 1000 }) { client, _ in
            let id = try await client.connect(server.url())
            let response = try await client.send(id, String(repeating: "x", count: 5000), contentType: "text/plain")
            #expect(response.status == 413)
            #expect(response.errorCode == "too_large")
        }
    }

    @Test func sendingAfterACloseIs409WithTheCloseFrame() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            #expect(try await client.send(id, #"{"type": "Close", "data": {"code": 4000, "reason": "done"}}"#).status == 204)
            #expect(await peer.receive()?.opcode == .connectionClose)
            let response = try await client.send(id, #""late""#)
            #expect(response.status == 409)
            #expect(response.errorCode == "connection_closed")
            #expect(response.json["error"]?["close"] == ["code": 4000, "reason": "done"])
        }
    }

    @Test func pipelinedSendsAreAnsweredAndSentInOrder() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            let raw = try await RawConnection(port: client.port)
            let send = { (text: String) in
                "POST /connections/\(id)/send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)"
            }
            try await raw.send(send("one") + "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + send("two"))
            let text = try await raw.read(until: "{\"status\":\"ok\"}")
            let statuses = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(statuses.prefix(2) == ["204", "200"])
            let frames = [await peer.receive(), await peer.receive()].map { $0.map { String(buffer: $0.data) } }
            #expect(frames == ["one", "two"])
            raw.close()
        }
    }

    @Test func aFullWriteBufferIs503WithRetryAfter() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(
                server.url(), config: #"{"writeBufferSize": 0, "maxWriteBufferSize": 1048576}"#
            )
            let peer = try await server.nextPeer()
            try await peer.stopReading()
            let chunk = String(repeating: "z", count: 256 * 1024)
            // Concurrent sends: the socket takes a few, the write buffer limit must refuse some.
            let refusal = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await client.send(id, chunk, contentType: "text/plain") }
                }
                var refusal: TestResponse?
                for try await response in group where response.status == 503 && refusal == nil {
                    refusal = response
                    await peer.disconnect()
                }
                return refusal
            }
            #expect(refusal?.errorCode == "write_buffer_full")
            #expect(refusal?.headers["Retry-After"] == ["1"])
        }
    }
}
