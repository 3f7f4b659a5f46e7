import NIOCore

/// Bridged connections opened and closed one after another, as a long-running service sees
/// them over weeks: whether the gateway's memory comes back after each has gone.
struct ChurnScenario {
    let count: Int
    /// Connections made first, so that the allocator and the code paths reach their working size.
    let warmUp = 1000

    var name: String { "churn \(self.count)" }

    /// What a run measured.
    struct Outcome {
        var connectionsPerSecond: Double
        /// The gateway's resident bytes after the warm-up and after the run, when readable.
        var residentBytes: (warm: Int, after: Int)?
    }

    /// Opens and deletes `warmUp` connections, reads the gateway's memory, opens and deletes
    /// `count` more in sequence, and reads it again once every connection is gone.
    func run(_ client: BenchHTTPClient, upstream: BenchUpstream, gateway: GatewayUnderTest) async throws -> Outcome {
        let url = upstream.url("/idle")
        for _ in 0..<self.warmUp { try await self.openAndDelete(url, client) }
        let warm = gateway.residentBytes()
        let start = NIODeadline.now()
        for _ in 0..<self.count { try await self.openAndDelete(url, client) }
        let elapsed = NIODeadline.now() - start
        let list = try await client.request(.GET, "/connections")
        guard String(buffer: list.body) == #"{"connections":[]}"# else {
            throw BenchError("connections left after the churn: \(String(buffer: list.body))")
        }
        let after = gateway.residentBytes()
        return Outcome(
            connectionsPerSecond: Double(self.count) / seconds(elapsed),
            residentBytes: warm.flatMap { warm in after.map { (warm, $0) } }
        )
    }

    private func openAndDelete(_ url: String, _ client: BenchHTTPClient) async throws {
        let id = try await client.openConnection(url)
        let deleted = try await client.request(.DELETE, "/connections/\(id)")
        guard deleted.status == 200 else { throw BenchError("DELETE answered \(deleted.status)") }
    }
}
