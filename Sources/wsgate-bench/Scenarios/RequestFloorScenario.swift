import NIOCore

/// The cost of the HTTP API itself, for reading the latency figures: round trips of
/// `GET /healthz` and of `POST /send` (answered once the message is written upstream), one at a
/// time on a keep-alive connection.
struct RequestFloorScenario {
    let count: Int

    var name: String { "request floor" }

    /// Sorted round-trip times in seconds of `GET /healthz` and of `POST /send`.
    func run(_ client: BenchHTTPClient, upstream: BenchUpstream) async throws -> (health: [Double], send: [Double]) {
        let id = try await client.openConnection(upstream.url("/idle"))
        let keepAlive = try await client.keepAliveConnection()
        defer { keepAlive.close() }
        func time(_ request: () async throws -> BenchHTTPClient.Response, expecting status: Int) async throws -> [Double] {
            var samples: [Double] = []
            for _ in 0..<self.count {
                let start = NIODeadline.now()
                let response = try await request()
                samples.append(seconds(NIODeadline.now() - start))
                guard response.status == status else { throw BenchError("answered \(response.status), not \(status)") }
            }
            return samples.sorted()
        }
        let health = try await time({ try await keepAlive.request(.GET, "/healthz").get() }, expecting: 200)
        let send = try await time(
            { try await keepAlive.request(.POST, "/connections/\(id)/send", contentType: "text/plain", body: "x").get() }, expecting: 204
        )
        return (health, send)
    }
}
