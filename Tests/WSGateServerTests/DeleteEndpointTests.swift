import NIOCore
import NIOHTTP1
import NIOWebSocket
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// `DELETE /connections/<id>`.
@Suite(.timeLimit(.minutes(1)))
struct DeleteEndpointTests {
    @Test func aCleanCloseEndsEveryStreamAfterTheCloseEvent() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.answeredClose) { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            let events = try await client.events(id)
            // Answered on the upstream's event loop, as a real server answers: a test task could
            // be held up past the closing timeout by the other suites' load.
            try await peer.answerClose(code: 1000, reason: "ok")
            let upstream = Task { () -> WebSocketFrame? in
                let close = await peer.receive()
                await peer.disconnect()
                return close
            }
            let response = try await client.request(.DELETE, "/connections/\(id)")
            #expect(response.status == 200)
            #expect(response.json == ["id": .string(id), "code": 1000, "reason": "Disconnected by client", "clean": true])
            var close = await upstream.value?.data ?? ByteBuffer()
            #expect(close.readInteger(as: UInt16.self) == 1000)
            #expect(close.readString(length: close.readableBytes) == "Disconnected by client")
            #expect(try await events.remainingEvents().map(\.json) == [["type": "Close", "data": ["code": 1000, "reason": "ok"]]])
            #expect(try await client.request(.GET, "/connections").json == ["connections": []])
            // The client deleted the connection: its id is unknown from the answer on.
            for (method, path) in [(HTTPMethod.GET, ""), (.GET, "/events"), (.DELETE, "")] {
                #expect(try await client.request(method, "/connections/\(id)\(path)").errorCode == "not_found")
            }
            #expect(try await client.send(id, #""late""#).errorCode == "not_found")
        }
    }

    @Test func aCodeAndReasonCanBeGiven() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            try await peer.answerClose(code: 4001, reason: "")
            let upstream = Task { () -> WebSocketFrame? in
                let close = await peer.receive()
                await peer.disconnect()
                return close
            }
            // In a query, "+" is a space, as URLSearchParams and HTML forms write it.
            let response = try await client.request(.DELETE, "/connections/\(id)?code=4001&reason=bye+now%21")
            #expect(response.json["code"] == 4001)
            #expect(response.json["reason"] == "bye now!")
            var close = await upstream.value?.data ?? ByteBuffer()
            #expect(close.readInteger(as: UInt16.self) == 4001)
            #expect(close.readString(length: close.readableBytes) == "bye now!")
        }
    }

    @Test func anUnansweredCloseIsNotClean() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.pool.closeTimeout = .milliseconds(500) }) { client, _ in
            let id = try await client.connect(server.url())
            _ = try await server.nextPeer()
            let stream = try await client.events(id)
            let start = ContinuousClock.now
            let response = try await client.request(.DELETE, "/connections/\(id)")
            #expect(response.status == 200)
            #expect(response.json["clean"] == false)
            #expect(ContinuousClock.now - start >= .milliseconds(450))
            let events = try await stream.remainingEvents()
            #expect(events.count == 1)
            #expect(events.first?.json == "WebSocket protocol error: the server did not answer the Close within 500 ms")
        }
    }

    @Test func theAnswerComesWithTheUpstreamsCloseAndTheUpstreamEndsTCP() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.pool.closeTimeout = .seconds(10) }) { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            let events = try await client.events(id)
            let start = ContinuousClock.now
            let delete = Task { (try await client.request(.DELETE, "/connections/\(id)"), ContinuousClock.now) }
            _ = await peer.receive()
            // The upstream answers the Close but keeps TCP open.
            try await peer.sendClose(code: 1000)
            #expect(try await events.remainingEvents().map(\.json) == [["type": "Close", "data": ["code": 1000, "reason": ""]]])
            let (response, answered) = try await delete.value
            #expect(response.json["clean"] == true)
            // RFC 6455 section 7.1.1: the gateway, a client, leaves closing TCP to the server, here
            // until its closing timer runs out; the answer does not wait for that.
            await peer.waitForDisconnect()
            let disconnected = ContinuousClock.now
            #expect(answered < disconnected)
            #expect(disconnected - start >= .milliseconds(9900))
        }
    }

    @Test(arguments: ["?code=1005", "?code=abc", "?code=999", "?reason=" + String(repeating: "r", count: 124)])
    func invalidCloseParametersAre400(query: String) async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let response = try await client.request(.DELETE, "/connections/\(id)\(query)")
            #expect(response.status == 400)
        }
    }

    @Test func anUnknownIdIs404() async throws {
        try await withGateway { client, _ in
            let response = try await client.request(.DELETE, "/connections/unknown")
            #expect(response.status == 404)
            #expect(response.errorCode == "not_found")
        }
    }
}
