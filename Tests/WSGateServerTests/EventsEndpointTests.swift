import NIOCore
import NIOPosix
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// `GET /connections/<id>/events`.
// Two minutes: pushing 16 MB through a debug build took 58 s in a full parallel run in CI.
@Suite(.timeLimit(.minutes(2)))
struct EventsEndpointTests {
    /// The loop of the 100,000-message burst's upstream. Writing the burst holds its loop for
    /// about 10 s in a debug build; on the loops that the whole test process shares, that held
    /// up the other suites' upstreams past the gateway's handshake and closing timers.
    private static let burstLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    @Test func theStreamHasTheSSEHeadersAndARetryLine() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let events = try await client.events(id)
            #expect(events.response.status == 200)
            #expect(events.response.headers["Content-Type"] == ["text/event-stream"])
            #expect(events.response.headers["Cache-Control"] == ["no-cache"])
            #expect(events.response.headers["X-Accel-Buffering"] == ["no"])
            #expect(try await events.next() == SSERecord(retry: 3000))
            events.response.close()
        }
    }

    @Test func messagesBeforeTheFirstSubscriberAreReplayed() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            try await peer.sendText("early 1")
            try await peer.send(.binary, [1, 2])
            try await peer.sendClose(code: 1000, reason: "bye")
            await peer.waitForDisconnect()
            let events = try await client.events(id)
            let records = try await events.remainingEvents()
            #expect(records.map(\.id) == [1, 2, 3])
            #expect(records.map(\.json) == [
                ["type": "Text", "data": "early 1"], ["type": "Binary", "data": [1, 2]],
                ["type": "Close", "data": ["code": 1000, "reason": "bye"]],
            ])
        }
    }

    @Test func aHundredThousandMessagesBeforeTheFirstSubscriberAllArriveFromIDOne() async throws {
        let server = try await UpstreamServer(group: Self.burstLoop)
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            // 100,000 messages of 100 bytes: far more than the history holds (1024 events, 8 MiB).
            let texts = (1...100_000).map { String(format: "%06d", $0) + String(repeating: "x", count: 94) }
            let sent = Task { try await peer.sendTexts(texts) }
            let events = try await client.events(id)
            var expected = 1
            while expected <= texts.count, let record = try await events.nextEvent() {
                guard record.id == expected, record.json == ["type": "Text", "data": .string(texts[expected - 1])] else {
                    Issue.record("event \(expected) arrived as \(record)")
                    break
                }
                expected += 1
            }
            #expect(expected == texts.count + 1)
            #expect(try await sent.value == texts.count)
            events.response.close()
        }
    }

    @Test func withDropOldestALateSubscriberGetsAGapThenTheNewest() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url(), config: #"{"historyOverflow": "dropOldest"}"#)
            let peer = try await server.nextPeer()
            try await peer.sendTexts((1...2000).map { "m\($0)" })
            try await peer.sendClose(code: 1000)
            // The gateway answers the Close once it has read everything before it.
            _ = await peer.receiveDataOrClose()
            let records = try await client.events(id).remainingEvents()
            #expect(records.first?.event == "gap")
            #expect(records.first?.json == ["missed": 977, "firstAvailable": 978])
            #expect(records.dropFirst().map(\.id) == Array(978...2001))
        }
    }

    @Test func lastEventIDResumesByHeaderAndByQuery() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            for index in 1...5 { try await peer.sendText("m\(index)") }
            await peer.disconnect()
            let byHeader = try await client.events(id, headers: [("Last-Event-ID", "3")])
            #expect(try await byHeader.remainingEvents().map(\.id) == [4, 5, 6])
            let byQuery = try await client.events(id, query: "?lastEventId=4")
            #expect(try await byQuery.remainingEvents().map(\.id) == [5, 6])
        }
    }

    @Test func fromNowSkipsHistory() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            try await peer.sendText("old")
            let first = try await client.events(id)
            #expect(try await first.nextEvent()?.id == 1)
            let events = try await client.events(id, query: "?from=now")
            try await peer.sendText("new")
            let record = try await events.nextEvent()
            #expect(record?.id == 2)
            #expect(record?.json == ["type": "Text", "data": "new"])
            events.response.close()
            first.response.close()
        }
    }

    @Test func aCursorOlderThanHistoryGetsAGap() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.pool.history.maxEvents = 2 }) { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            // Events are dropped only while a subscriber is connected to receive them.
            let first = try await client.events(id)
            for index in 1...6 { try await peer.sendText("m\(index)") }
            await peer.disconnect()
            #expect(try await first.remainingEvents().map(\.id) == Array(1...7))
            let records = try await client.events(id, headers: [("Last-Event-ID", "1")]).remainingEvents()
            #expect(records.first?.event == "gap")
            #expect(records.first?.json == ["missed": 4, "firstAvailable": 6])
            #expect(records.dropFirst().map(\.id) == [6, 7])
        }
    }

    @Test func base64ModeEncodesBinaryPayloads() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            try await peer.send(.binary, [0, 255])
            try await peer.send(.ping, [1])
            let events = try await client.events(id, query: "?binary=base64")
            #expect(try await events.nextEvent()?.json == ["type": "Binary", "data": "AP8="])
            #expect(try await events.nextEvent()?.json == ["type": "Ping", "data": "AQ=="])
            events.response.close()
        }
    }

    @Test func threeSubscribersEachGetEverything() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            let subscribers = try await [client.events(id), client.events(id), client.events(id)]
            for index in 1...50 { try await peer.sendText("message \(index)") }
            try await peer.sendClose(code: 1000)
            let expected = (1...50).map { JSONValue.object(["type": "Text", "data": .string("message \($0)")]) }
                + [["type": "Close", "data": ["code": 1000, "reason": ""]]]
            try await withThrowingTaskGroup(of: [SSERecord].self) { group in
                for subscriber in subscribers { group.addTask { try await subscriber.remainingEvents() } }
                for try await records in group {
                    #expect(records.map(\.id) == Array(1...51))
                    #expect(records.map(\.json) == expected)
                }
            }
        }
    }

    @Test func aSlowSubscriberIsCutOffWhileAFastOneKeepsEverything() async throws {
        let server = try await UpstreamServer()
        let configuration = GatewayConfiguration.testing { $0.pool.history.subscriberUnsentLimit = 256 * 1024 }
        try await withGateway(configuration) { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            let slow = try await client.events(id)
            try await slow.response.channel.setOption(.autoRead, value: false).get()
            let fast = try await client.events(id)
            let payload = String(repeating: "p", count: 16 * 1024)
            // 16 MB in all, more than the socket buffers of the subscriber that stopped reading can hold.
            // The fast subscriber reads each message before the next is sent, so it never falls behind.
            let count = 1000
            for index in 1...count {
                try await peer.sendText("\(index) \(payload)")
                let record = try await fast.nextEvent()
                #expect(record?.id == index)
                #expect(record?.json?["data"] == .string("\(index) \(payload)"))
            }
            try await peer.sendClose(code: 1000)
            #expect(try await fast.nextEvent()?.id == count + 1)
            #expect(try await fast.nextEvent() == nil)
            #expect(fast.response.endedCleanly)
            // The slow subscriber's HTTP connection was closed (NIO may have seen that already):
            // reading it again ends before all events, and without the response's end, which
            // would tell a pooled client that the connection can be reused.
            try? await slow.response.channel.setOption(.autoRead, value: true).get()
            let slowRecords = try? await slow.remainingEvents()
            #expect((slowRecords?.count ?? 0) < count + 1)
            #expect(!slow.response.endedCleanly)
        }
    }

    @Test func fastSlowAndStalledSubscribersEachGetWhatThePolicyPromises() async throws {
        let server = try await UpstreamServer()
        // A limit above what one read of the upstream can bring, and a stall timeout that a test
        // process starved by its neighbours cannot reach: the stalled subscriber is cut off by
        // the limit.
        let configuration = GatewayConfiguration.testing {
            $0.pool.history.subscriberUnsentLimit = 1 << 20
            $0.pool.history.stallTimeout = .seconds(60)
        }
        try await withGateway(configuration) { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            let stalled = try await client.events(id)
            try await stalled.response.channel.setOption(.autoRead, value: false).get()
            let (fast, slow) = try await (client.events(id), client.events(id))
            // 8 MB in all, more than the stalled subscriber's limit and socket buffers hold.
            let texts = (1...2000).map { "\($0) " + String(repeating: "m", count: 4000) }
            let sent = Task {
                try await peer.sendTexts(texts)
                try await peer.sendClose(code: 1000)
            }
            // Both readers resume from the last id they saw when cut off, as an EventSource does;
            // the slow one pauses a millisecond every 20 events.
            async let fastRun = Self.readResuming(fast, id: id, client: client, until: texts.count + 1, pauseEvery: nil)
            async let slowRun = Self.readResuming(slow, id: id, client: client, until: texts.count + 1, pauseEvery: 20)
            for (ids, gaps) in try await [fastRun, slowRun] {
                // In order, nothing twice, the Close last; a hole only where a gap says so.
                #expect(ids == ids.sorted() && Set(ids).count == ids.count)
                #expect(ids.last == texts.count + 1)
                let holes = zip(ids, ids.dropFirst()).filter { $1 != $0 + 1 }.count + (ids.first == 1 ? 0 : 1)
                #expect(holes <= gaps)
            }
            try await sent.value
            // Stalled: cut off, so its stream ends before the Close.
            try? await stalled.response.channel.setOption(.autoRead, value: true).get()
            let stalledEvents = (try? await stalled.remainingEvents()) ?? []
            #expect(stalledEvents.count < texts.count + 1)
        }
    }

    /// The ids and the number of gap events a reader of connection `id` gets until event
    /// `last`, resuming after each cut-off.
    private static func readResuming(
        _ first: EventStreamReader, id: String, client: GatewayClient, until last: Int, pauseEvery: Int?
    ) async throws -> (ids: [Int], gaps: Int) {
        var (ids, gaps, stream) = ([Int](), 0, first)
        while true {
            while let record = try await stream.nextEvent() {
                if record.event == "gap" { gaps += 1 }
                if let id = record.id { ids.append(id) }
                if let pauseEvery, ids.count % pauseEvery == 0 { try await Task.sleep(for: .milliseconds(1)) }
            }
            if let seen = ids.last, seen >= last { return (ids, gaps) }
            stream = try await client.events(id, query: ids.last.map { "?lastEventId=\($0)" } ?? "")
        }
    }

    @Test func aCursorAtTheFinalEventIs204() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            try await peer.sendClose(code: 1000)
            let records = try await client.events(id).remainingEvents()
            #expect(records.count == 1)
            let atEnd = try await client.request(.GET, "/connections/\(id)/events", headers: [("Last-Event-ID", "1")])
            #expect(atEnd.status == 204)
            #expect(atEnd.body.readableBytes == 0)
        }
    }

    @Test func anEndedIdIs404AfterRetention() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.pool.endedRetention = .milliseconds(300) }) { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            // Subscribed before the end: on a loaded machine a request after it may come too late.
            let events = try await client.events(id)
            // The connection ends after this instant, so the id must stay known 300 ms past it.
            let closing = ContinuousClock.now
            try await peer.sendClose(code: 1000)
            #expect(try await events.remainingEvents().count == 1)
            // The server ends TCP once the gateway has answered its Close, as RFC 6455 asks.
            _ = await peer.receive()
            await peer.disconnect()
            // The id is forgotten by a timer: poll until it is.
            var gone = try await client.request(.GET, "/connections/\(id)")
            while gone.status == 200, ContinuousClock.now - closing < .seconds(10) {
                try await Task.sleep(for: .milliseconds(50))
                gone = try await client.request(.GET, "/connections/\(id)")
            }
            #expect(ContinuousClock.now - closing >= .milliseconds(300))
            #expect(gone.status == 404)
            #expect(gone.errorCode == "not_found")
            #expect(try await client.request(.GET, "/connections/\(id)/events").status == 404)
        }
    }

    @Test func aPipelinedStreamRequestIsAnsweredAfterTheRequestsBeforeIt() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            try await peer.sendText("first")
            let raw = try await RawConnection(port: client.port)
            try await raw.send(
                "GET /connections HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /connections/\(id)/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            )
            let text = try await raw.read(until: "\"first\"")
            let list = try #require(text.range(of: "{\"connections\":"))
            let stream = try #require(text.range(of: "text/event-stream"))
            #expect(list.lowerBound < stream.lowerBound)
            raw.close()
        }
    }

    @Test(arguments: ["?lastEventId=x", "?lastEventId=-1", "?from=later", "?binary=hex"])
    func badCursorsAre400(query: String) async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let response = try await client.request(.GET, "/connections/\(id)/events\(query)")
            #expect(response.status == 400)
            #expect(response.errorCode == "invalid_request")
        }
    }

    @Test func idleStreamsGetKeepaliveComments() async throws {
        let server = try await UpstreamServer()
        try await withGateway(.testing { $0.keepaliveInterval = .milliseconds(100) }) { client, _ in
            let id = try await client.connect(server.url())
            let events = try await client.events(id)
            _ = try await events.next()
            #expect(try await events.next() == SSERecord(comment: "keepalive"))
            events.response.close()
        }
    }
}
