import Testing
import WSGateTestSupport

/// A gateway that serves millions of short connections over weeks must not grow with them.
@Suite(.timeLimit(.minutes(3)))
struct ConnectionChurnTests {
    /// Good and bad requests, each on a connection of its own.
    static let requests = [
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /connections HTTP/1.0\r\n\r\n",
        "NOT HTTP AT ALL\r\n\r\n",
        "GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /healthz HTTP/1.1\r\n\r\n",
        "POST /connections HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        "PUT /connections/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
    ]

    @Test func twentyThousandShortConnectionsLeaveTheResidentMemoryFlat() async throws {
        let (gateway, port, notify) = try await GatewayProcess.startOnFreePort()
        defer { notify.close() }
        // The lowest priority: this test measures memory, not speed, and the tests beside it
        // that bound their waits keep the CPU.
        gateway.lowerPriority()
        // A warm-up wave lets the allocator and the event loops reach their working size.
        #expect(await ShortConnections.run(port: port, count: 4000, requests: Self.requests) == 4000)
        let warm = try #require(gateway.residentKiB)
        var after = warm
        for _ in 0..<4 {
            #expect(await ShortConnections.run(port: port, count: 5000, requests: Self.requests) == 5000)
            after = try #require(gateway.residentKiB)
        }
        #expect(Double(after) <= Double(warm) * 1.03, "RSS grew from \(warm) to \(after) KiB over 20,000 connections")
        gateway.terminate()
        #expect(await gateway.exitStatus() == 0)
    }
}
