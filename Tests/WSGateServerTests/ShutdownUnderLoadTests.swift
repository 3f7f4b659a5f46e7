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

    /// An event stream that has stopped reading behind a small receive buffer, of a connection
    /// whose upstream has sent `pending` and then Close 1000 with `closeReason`, all of which
    /// the gateway has read.
    private static func stoppedStream(port: Int, server: UpstreamServer, pending: [String], closeReason: String) async throws -> EventStreamReader {
        let client = GatewayClient(port: port)
        let id = try await client.connect(server.url())
        let peer = try await server.nextPeer()
        let stream = try await client.events(id)
        try await stream.response.channel.setOption(.socketOption(.so_rcvbuf), value: 16 * 1024).get()
        try await stream.response.channel.setOption(.autoRead, value: false).get()
        _ = try await peer.sendTexts(pending)
        try await peer.sendClose(code: 1000, reason: closeReason)
        // The gateway answers the Close once it has read it, and so every message before it.
        #expect(await peer.receiveDataOrClose()?.opcode == .connectionClose)
        return stream
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

    /// Two listeners: each waits at shutdown for its own streams to be written to their end.
    @Test func aStreamOnEveryListenerIsWrittenToItsEndBeforeTheProcessExits() async throws {
        let server = try await UpstreamServer()
        // Room for every message in the subscriber's buffer, and a minute to drain: the test is
        // about shutdown, not the cut-offs, and a busy machine reads slowly.
        let (gateway, ports, notify) = try await GatewayProcess.startOnFreePorts(
            listeners: 2,
            environment: [
                "WSGATE_HISTORY_MAX_BYTES": "\(64 << 20)", "WSGATE_HISTORY_SUBSCRIBER_BUFFER_BYTES": "\(64 << 20)",
                "WSGATE_HTTP_DRAIN_TIMEOUT_SECONDS": "60",
            ]
        )
        defer { notify.close() }
        defer { gateway.terminate() }

        // 8 MB on each listener's stream, which has stopped reading behind a small receive buffer:
        // more than the socket buffers hold, so most of it waits in the gateway at SIGTERM.
        let texts = (1...8).map { "\($0) " + String(repeating: "m", count: 1 << 20) }
        var streams: [EventStreamReader] = []
        for port in ports {
            streams.append(try await Self.stoppedStream(port: port, server: server, pending: texts, closeReason: "sent"))
        }
        gateway.terminate()
        // Read side by side, as separate clients would: each stream has the same drain time.
        let readers = streams.map { stream in
            Task {
                try await stream.response.channel.setOption(.autoRead, value: true).get()
                return try await stream.remainingEvents()
            }
        }
        for reader in readers {
            let events = try await reader.value
            #expect(events.map(\.id) == Array(1...texts.count + 1).map(Optional.some))
            // Compared only once the ids hold: a megabyte of text in a failure message reads badly.
            if let last = events.last, last.id == texts.count + 1 {
                #expect(last.json == ["type": "Close", "data": ["code": 1000, "reason": "sent"]])
            }
        }
        #expect(await gateway.exitStatus() == 0)
    }

    /// A client that stops reading its event stream is cut off after the drain timeout.
    @Test func aReaderThatStoppedDoesNotHoldTheProcessOpen() async throws {
        let server = try await UpstreamServer()
        let (gateway, ports, notify) = try await GatewayProcess.startOnFreePorts(environment: ["WSGATE_HTTP_DRAIN_TIMEOUT_SECONDS": "1"])
        defer { notify.close() }
        defer { gateway.terminate() }
        // 6 MB: more than the socket buffers hold, less than the subscriber's buffer of 8 MB.
        let texts = (1...6).map { "\($0) " + String(repeating: "m", count: 1 << 20) }
        let stream = try await Self.stoppedStream(port: ports[0], server: server, pending: texts, closeReason: "")
        gateway.terminate()
        #expect(await gateway.exitStatus() == 0)
        stream.response.close()
    }
}
