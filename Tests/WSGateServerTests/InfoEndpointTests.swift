import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// `GET /connections`, `GET /connections/<id>`, `/healthz`, `/readyz`, unknown paths and bytes
/// that are not HTTP.
@Suite(.timeLimit(.minutes(1)))
struct InfoEndpointTests {
    @Test func aConnectionDescribesItsTraffic() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            let events = try await client.events(id)
            #expect(try await client.send(id, #""four""#).status == 204)
            _ = await peer.receive()
            try await peer.send(.binary, [1, 2, 3])
            _ = try await events.nextEvent()
            let info = try await client.request(.GET, "/connections/\(id)").json
            #expect(info["id"] == .string(id))
            #expect(info["url"] == .string(server.url()))
            #expect(info["protocol"] == .null)
            #expect(info["state"] == "open")
            #expect(info["messagesIn"] == 1 && info["bytesIn"] == 3)
            #expect(info["messagesOut"] == 1 && info["bytesOut"] == 4)
            #expect(info["subscribers"] == 1)
            #expect(info["lastEventId"] == 1)
            guard case .string(let created)? = info["createdAt"], case .string(let active)? = info["lastActiveAt"] else {
                Issue.record("timestamps missing")
                return
            }
            #expect(created.hasSuffix("Z") && active >= created)
            let list = try await client.request(.GET, "/connections").json
            #expect(list["connections"].map { if case .array(let items) = $0 { items.count } else { 0 } } == 1)
            events.response.close()
        }
    }

    @Test func healthAndReadiness() async throws {
        try await withGateway { client, _ in
            let health = try await client.request(.GET, "/healthz")
            let readiness = try await client.request(.GET, "/readyz")
            #expect(health.json == ["status": "ok"])
            #expect(readiness.json == ["status": "ready"])
        }
    }

    @Test(arguments: [
        "", // as the connection's first request
        "POST /connections HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}", // after a refused request
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", // after a served one
        "POST /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n", // inside a chunked body: only the 400
    ])
    func bytesThatAreNotHTTPAre400AndCloseTheConnection(before: String) async throws {
        try await withGateway { client, _ in
            let raw = try await RawConnection(port: client.port)
            try await raw.send(before + "NOT\u{1} HTTP\r\n\r\n")
            let text = await raw.readToEnd()
            #expect(text.contains("HTTP/1.1 400 Bad Request\r\n"))
            #expect(text.contains(#"{"error":{"code":"invalid_http","message":"The request is not valid HTTP/1.1."}}"#))
            // The request before it is answered first.
            let first = ["POST /connections": "HTTP/1.1 415 ", "GET /healthz": "HTTP/1.1 200 ", "POST /nothing": "HTTP/1.1 400 "]
            #expect(first.allSatisfy { request, status in !before.hasPrefix(request) || text.hasPrefix(status) })
        }
    }

    @Test func anUnknownPathIs404InJSON() async throws {
        try await withGateway { client, _ in
            let response = try await client.request(.GET, "/nothing/here")
            #expect(response.status == 404)
            #expect(response.errorCode == "not_found")
        }
    }
}
