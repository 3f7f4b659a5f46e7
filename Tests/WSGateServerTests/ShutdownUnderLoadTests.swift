import Foundation
import NIOWebSocket
import Testing
import WSGateCore
import WSGateTestSupport

/// SIGTERM while upstreams are sending: nothing is lost on the way out.
@Suite(.timeLimit(.minutes(2)))
struct ShutdownUnderLoadTests {
    /// Sends numbered Text messages until it has answered the gateway's Close, and returns how
    /// many it sent.
    private static func sendUntilClosed(_ peer: UpstreamPeer) async throws -> Int {
        try await peer.answerClose(code: 1001, reason: "Going Away")
        var sent = 0
        while case let written = try await peer.sendTexts((sent..<sent + 20).map(String.init)), written > 0 {
            sent += written
        }
        await peer.disconnect()
        return sent
    }

    @Test func everyEventUpToTheFinalCloseReachesEverySubscriberAndTheProcessExitsZero() async throws {
        let server = try await UpstreamServer()
        let (gateway, port, notify) = try await GatewayProcess.startOnFreePort()
        defer { notify.close() }
        let client = GatewayClient(port: port)

        var senders: [Task<Int, any Error>] = []
        var streams: [[EventStreamReader]] = []
        for _ in 0..<4 {
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            streams.append([try await client.events(id), try await client.events(id)])
            senders.append(Task { try await Self.sendUntilClosed(peer) })
        }
        // Under load: every subscriber has events flowing, and keeps reading through the shutdown.
        for pair in streams { for stream in pair { #expect(try await stream.nextEvent()?.id == 1) } }
        let readers = streams.map { pair in pair.map { stream in Task { try await stream.remainingEvents() } } }
        gateway.terminate()

        for (sender, pair) in zip(senders, readers) {
            let sent = try await sender.value
            for reader in pair {
                let rest = try await reader.value
                // Contiguous ids from 2, every message sent, then the upstream's Close.
                #expect(rest.map(\.id) == Array(2...(sent + 1)).map(Optional.some))
                #expect(rest.dropLast().map(\.json) == (1..<sent).map { .object(["type": "Text", "data": .string(String($0))]) })
                #expect(rest.last?.json == ["type": "Close", "data": ["code": 1001, "reason": "Going Away"]])
            }
        }
        #expect(await gateway.exitStatus() == 0)
    }
}
