import Foundation
import NIOCore
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// `reconnect`: a lost upstream is dialled again while subscribers keep their stream.
@Suite(.timeLimit(.minutes(2)))
struct ReconnectTests {
    private static func config(initialDelayMs: Int, maxDelayMs: Int, maxAttempts: Int) -> String {
        #"{"reconnect": {"initialDelayMs": \#(initialDelayMs), "maxDelayMs": \#(maxDelayMs), "maxAttempts": \#(maxAttempts)}}"#
    }

    @Test func subscribersSeeTheLossAndTheReturnWithContiguousIdsAcrossARestart() async throws {
        let first = try await UpstreamServer()
        let port = first.port
        try await withGateway(.answeredClose) { client, _ in
            var server = first
            let id = try await client.connect(server.url(), config: Self.config(initialDelayMs: 100, maxDelayMs: 400, maxAttempts: 0))
            var peer = try await server.nextPeer()
            let events = try await client.events(id)
            try await peer.sendText("before")
            #expect(try await events.nextEvent()?.json == ["type": "Text", "data": "before"])

            // The upstream process dies: its port closes and its connection is reset.
            try await server.close()
            try await peer.reset()
            let lost = try #require(try await events.nextEvent())
            #expect(lost.id == 2)
            #expect(lost.json?["type"] == "Lost")
            #expect(lost.json?["data"]?["attempt"] == 1)
            #expect(lost.json?["data"]?["close"] == .null)
            let refused = try await client.send(id, #""while lost""#)
            #expect(refused.status == 409)
            #expect(refused.errorCode == "reconnecting")
            #expect(refused.headers.first(name: "Retry-After") != nil)
            let info = try await client.request(.GET, "/connections/\(id)").json
            #expect(info["state"] == "reconnecting")
            #expect(info["reconnect"]?["attempts"] != nil)

            // It comes back on the same port.
            server = try await UpstreamServer(port: port)
            peer = try await server.nextPeer()
            let back = try #require(try await events.nextEvent())
            #expect(back.id == 3)
            #expect(back.json?["type"] == "Reconnected")
            try await peer.sendText("after")
            let after = try await events.nextEvent()
            #expect(after?.id == 4)
            #expect(after?.json == ["type": "Text", "data": "after"])
            #expect(try await client.send(id, #""hello again""#).status == 204)
            #expect(await peer.receiveDataOrClose()?.data == ByteBuffer(string: "hello again"))
            #expect(try await client.request(.GET, "/connections/\(id)").json["reconnect"] == .null)

            // The server's Close is a loss too, not the end.
            try await peer.sendClose(code: 1001, reason: "restarting")
            let closed = try #require(try await events.nextEvent())
            #expect(closed.id == 5)
            #expect(closed.json?["type"] == "Lost")
            #expect(closed.json?["data"]?["close"] == ["code": 1001, "reason": "restarting"])
            #expect(await peer.receiveDataOrClose()?.opcode == .connectionClose)
            await peer.disconnect()
            peer = try await server.nextPeer()
            let backAgain = try await events.nextEvent()
            #expect(backAgain?.id == 6)
            #expect(backAgain?.json?["type"] == "Reconnected")

            // A DELETE ends it for good.
            try await peer.answerClose(code: 1000, reason: "")
            #expect(try await client.request(.DELETE, "/connections/\(id)").status == 200)
            let final = try #require(try await events.nextEvent())
            #expect(final.id == 7)
            #expect(final.json == ["type": "Close", "data": ["code": 1000, "reason": ""]])
            #expect(try await events.nextEvent() == nil)
        }
    }

    @Test func attemptsBackOffWithJitterNeverFasterThanTheInitialDelayThenGiveUp() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url(), config: Self.config(initialDelayMs: 200, maxDelayMs: 800, maxAttempts: 4))
            let peer = try await server.nextPeer()
            let events = try await client.events(id)
            // From now on the upstream refuses every handshake.
            let port = server.port
            try await server.close()
            let refusing = try await UpstreamServer(handshake: .reject(status: 503), port: port)
            let lostAt = ContinuousClock.now
            try await peer.reset()
            #expect(try await events.nextEvent()?.json?["type"] == "Lost")
            let gaveUp = try #require(try await events.nextEvent())
            guard case .string(let message)? = gaveUp.json else { throw TestFailure("expected an error event, got \(gaveUp)") }
            #expect(message.hasPrefix("Gave up reconnecting after 4 attempts"), "\(message)")
            #expect(try await events.nextEvent() == nil)

            let times = refusing.requestTimes
            #expect(times.count == 4)
            #expect(try #require(times.first) - lostAt >= .milliseconds(200))
            let gaps = zip(times, times.dropFirst()).map { $1 - $0 }
            // Attempt n waits from 200 ms to min(800, 200 × 2^(n-1)) ms, plus the refused handshake
            // (the upper bounds, which a loaded machine stretches, are the unit tests' business).
            #expect(gaps.allSatisfy { $0 >= .milliseconds(200) }, "\(gaps)")
            #expect(Set(gaps).count == gaps.count, "jittered: \(gaps)")
        }
    }

    @Test func aDownUpstreamCostsTheGatewayAlmostNoCPU() async throws {
        let server = try await UpstreamServer()
        let (gateway, port, notify) = try await GatewayProcess.startOnFreePort()
        defer { notify.close() }
        let client = GatewayClient(port: port)
        let id = try await client.connect(server.url(), config: Self.config(initialDelayMs: 100, maxDelayMs: 200, maxAttempts: 0))
        let peer = try await server.nextPeer()
        try await server.close()
        try await peer.reset()
        let before = try #require(gateway.cpuTime)
        // Measuring over a span of time is the point here: there is no event to await.
        try await Task.sleep(for: .seconds(10))
        let used = try #require(gateway.cpuTime) - before
        let attempts = try await client.request(.GET, "/connections/\(id)").json["reconnect"]?["attempts"]
        print("reconnecting to a closed port for 10 s: \(attempts.map { "\($0)" } ?? "?") attempts, \(used) of CPU")
        #expect(used < .milliseconds(300))
        if case .integer(let count)? = attempts { #expect(count >= 30) } else { Issue.record("no attempts in \(String(describing: attempts))") }
        gateway.terminate()
        #expect(await gateway.exitStatus() == 0)
    }
}
