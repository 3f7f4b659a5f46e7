import NIOCore

/// Many bridged connections to an idle upstream, each with one open event stream: how fast
/// they are set up, and how much gateway memory each costs.
struct ConnectionsScenario {
    let count: Int
    let concurrency = 64

    var name: String { "connections \(self.count)" }

    /// Setups per second, and resident bytes per connection when the gateway's memory is readable.
    func run(_ client: BenchHTTPClient, upstream: BenchUpstream, gateway: GatewayUnderTest) async throws -> (Double, Double?) {
        // Warm up the allocator and the code paths, then take the baseline.
        let warmUp = try await client.openConnection(upstream.url("/idle"))
        _ = try await client.request(.DELETE, "/connections/\(warmUp)")
        let baseline = gateway.residentBytes()
        let start = NIODeadline.now()
        // Workers, each with a keep-alive connection for its POSTs, as a load tool would use.
        let workers = min(self.concurrency, self.count)
        let channels = try await withThrowingTaskGroup(of: [Channel].self) { group in
            for worker in 0..<workers {
                let share = self.count / workers + (worker < self.count % workers ? 1 : 0)
                group.addTask {
                    let keepAlive = try await client.keepAliveConnection()
                    defer { keepAlive.close() }
                    var channels: [Channel] = []
                    for _ in 0..<share { channels.append(try await self.setUp(client, upstream: upstream, keepAlive: keepAlive)) }
                    return channels
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = NIODeadline.now() - start
        // Let the gateway settle (buffers released after the burst) before reading its memory.
        try await Task.sleep(for: .seconds(1))
        let perConnection = zip(baseline, gateway.residentBytes()).map { before, after in Double(after - before) / Double(self.count) }
        guard channels.count == self.count else { throw BenchError("only \(channels.count) streams are open") }
        for channel in channels { channel.close(promise: nil) }
        return (Double(self.count) / seconds(elapsed), perConnection)
    }

    private func setUp(_ client: BenchHTTPClient, upstream: BenchUpstream, keepAlive: KeepAliveConnection) async throws -> Channel {
        let id = try await client.openConnection(upstream.url("/idle"), on: keepAlive)
        return try await client.openEventStream("/connections/\(id)/events") { _ in }.channel
    }
}

/// Both values, when both are there.
private func zip<A, B>(_ first: A?, _ second: B?) -> (A, B)? {
    guard let first, let second else { return nil }
    return (first, second)
}
