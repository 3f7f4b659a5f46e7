import Foundation
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// `GET /metrics`, read by an independent parser after known traffic.
@Suite(.timeLimit(.minutes(1)))
struct MetricsEndpointTests {
    /// The samples of `exposition`, as `prometheus_client`'s parser reads them.
    private func parse(_ exposition: String) async throws -> [String: Double] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID()).txt")
        try exposition.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let python = try await TestPython.interpreter.value
        let script = TestPython.packageRoot.appendingPathComponent("Tests/Python/parse_metrics.py").path
        let parsed = try await CommandRun.run(URL(fileURLWithPath: python[0]), Array(python.dropFirst()) + [script, file.path])
        guard parsed.status == 0, let data = parsed.stdout.data(using: .utf8),
            let samples = try JSONSerialization.jsonObject(with: data) as? [String: Double]
        else {
            throw TestFailure("prometheus_client could not parse the metrics: \(parsed.stderr)\n\(exposition)")
        }
        return samples
    }

    @Test func theCountsAfterKnownTrafficParseAndAddUp() async throws {
        let server = try await UpstreamServer()
        try await withGateway { client, _ in
            let id = try await client.connect(server.url())
            let peer = try await server.nextPeer()
            _ = try await client.post("/connections", json: #"{"url": "http://not-a-websocket"}"#)
            #expect(try await client.send(id, #""hello""#).status == 204)
            #expect(try await client.send(id, "[1, 2, 3]").status == 204)
            _ = await peer.receiveDataOrClose()
            _ = await peer.receiveDataOrClose()
            try await peer.sendText("one")
            try await peer.sendText("two")
            let events = try await client.events(id)
            #expect(try await events.nextEvent()?.id == 1)
            #expect(try await events.nextEvent()?.id == 2)

            let response = try await client.request(.GET, "/metrics")
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"] == ["text/plain; version=0.0.4; charset=utf-8"])
            let samples = try await self.parse(response.text)
            #expect(samples[#"wsgate_upstream_connections_open{}"#] == 1)
            #expect(samples[#"wsgate_upstream_connections_opened_total{result="ok"}"#] == 1)
            #expect(samples[#"wsgate_upstream_connections_opened_total{result="invalid_request"}"#] == 1)
            #expect(samples[#"wsgate_upstream_messages_total{direction="sent",type="text"}"#] == 1)
            #expect(samples[#"wsgate_upstream_messages_total{direction="sent",type="binary"}"#] == 1)
            #expect(samples[#"wsgate_upstream_payload_bytes_total{direction="sent",type="binary"}"#] == 3)
            #expect(samples[#"wsgate_upstream_messages_total{direction="received",type="text"}"#] == 2)
            #expect(samples[#"wsgate_upstream_payload_bytes_total{direction="received",type="text"}"#] == 6)
            #expect(samples[#"wsgate_events_delivered_total{}"#] == 2)
            #expect(samples[#"wsgate_subscribers{}"#] == 1)
            #expect(samples[#"wsgate_http_requests_total{route="POST /connections/{id}/send",status="204"}"#] == 2)
            #expect(samples[#"wsgate_http_requests_total{route="POST /connections",status="201"}"#] == 1)
            #expect(samples[#"wsgate_http_requests_total{route="POST /connections",status="400"}"#] == 1)
            #expect(samples[#"wsgate_upstream_connect_duration_seconds_count{}"#] == 1)
            #expect((samples[#"process_resident_memory_bytes{}"#] ?? 0) > 1_000_000)
            #expect((samples[#"process_open_fds{}"#] ?? 0) > 3)
            events.response.close()
        }
    }
}
