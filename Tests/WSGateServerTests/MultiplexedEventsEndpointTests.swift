import NIOCore
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// `GET /events?connections=…`: several connections' events in one stream.
@Suite(.timeLimit(.minutes(1)))
struct MultiplexedEventsEndpointTests {
    /// Reads `count` events; returns each connection's texts and the last record's cursor.
    private func read(_ count: Int, from stream: EventStreamReader) async throws -> (texts: [String: [String]], cursor: String?) {
        var texts: [String: [String]] = [:]
        var cursor: String?
        for _ in 0..<count {
            let record = try #require(try await stream.nextEvent())
            guard case .string(let connection)? = record.json?["connection"], case .string(let text)? = record.json?["data"]?["data"] else {
                throw TestFailure("not a multiplexed text event: \(record)")
            }
            texts[connection, default: []].append(text)
            cursor = record.idField
        }
        return (texts, cursor)
    }

    @Test func oneStreamCarriesEveryConnectionAndResumesEachExactlyWithAJoinerAppended() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            var ids: [String] = []
            var peers: [UpstreamPeer] = []
            for _ in 0..<3 {
                ids.append(try await client.connect(server.url()))
                peers.append(try await server.nextPeer())
            }
            for index in 1...3 { try await peers[0].sendText("a\(index)") }
            for index in 1...2 { try await peers[1].sendText("b\(index)") }
            let first = EventStreamReader(try await client.open(.GET, "/events?connections=\(ids[0]),\(ids[1])"))
            let (texts, cursor) = try await self.read(5, from: first)
            #expect(texts == [ids[0]: ["a1", "a2", "a3"], ids[1]: ["b1", "b2"]])
            #expect(cursor == "3,2")
            first.response.close()

            try await peers[0].sendText("a4")
            try await peers[1].sendText("b3")
            try await peers[2].sendText("c1")
            let resumed = EventStreamReader(
                try await client.open(.GET, "/events?connections=\(ids[0]),\(ids[1]),\(ids[2])", headers: [("Last-Event-ID", cursor ?? "")])
            )
            let (more, _) = try await self.read(3, from: resumed)
            #expect(more == [ids[0]: ["a4"], ids[1]: ["b3"], ids[2]: ["c1"]])
            resumed.response.close()
        }
    }

    @Test func theStreamEndsOnceEveryMemberHasAndAnUnknownIDIsGone() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            try await peer.sendText("last words")
            try await peer.sendClose(code: 1000, reason: "bye")
            await peer.waitForDisconnect()
            let stream = EventStreamReader(try await client.open(.GET, "/events?connections=\(id),unknown"))
            let records = try await stream.remainingEvents()
            #expect(records.map(\.event) == ["gone", nil, nil])
            #expect(records.first?.json == ["connection": "unknown"])
            #expect(records.last?.json == ["connection": .string(id), "id": 2, "data": ["type": "Close", "data": ["code": 1000, "reason": "bye"]]])
        }
    }

    @Test(arguments: [
        ("/events", []),
        ("/events?connections=", []),
        ("/events?connections=a,a", []),
        ("/events?connections=a,", []),
        ("/events?connections=a,b", [("Last-Event-ID", "1,2,3")]),
        ("/events?connections=a,b", [("Last-Event-ID", "1,x")]),
        ("/events?connections=a&binary=hex", []),
        ("/events?connections=a.b", []),
        ("/events?connections=a&lastEventId=x", [("Last-Event-ID", "1")]),
    ])
    func aMalformedStreamRequestIsA400(path: String, headers: [(String, String)]) async throws {
        try await withGateway { client, _ in
            let response = try await client.request(.GET, path, headers: headers)
            #expect(response.status == 400)
            #expect(response.json["error"]?["code"] == "invalid_request")
        }
    }
}
