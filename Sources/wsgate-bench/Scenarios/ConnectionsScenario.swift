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
        let channels = try await withThrowingTaskGroup(of: Channel.self) { group in
            var channels: [Channel] = []
            var started = 0
            while started < self.concurrency && started < self.count {
                started += 1
                group.addTask { try await self.setUp(client, upstream: upstream) }
            }
            for try await channel in group {
                channels.append(channel)
                if started < self.count {
                    started += 1
                    group.addTask { try await self.setUp(client, upstream: upstream) }
                }
            }
            return channels
        }
        let elapsed = NIODeadline.now() - start
        // Let the gateway settle (buffers released after the burst) before reading its memory.
        try await Task.sleep(for: .seconds(1))
        let perConnection = zip(baseline, gateway.residentBytes()).map { before, after in Double(after - before) / Double(self.count) }
        guard channels.count == self.count else { throw BenchError("only \(channels.count) streams are open") }
        for channel in channels { channel.close(promise: nil) }
        return (Double(self.count) / seconds(elapsed), perConnection)
    }

    private func setUp(_ client: BenchHTTPClient, upstream: BenchUpstream) async throws -> Channel {
        let id = try await client.openConnection(upstream.url("/idle"))
        return try await client.openEventStream("/connections/\(id)/events") { _ in }.channel
    }
}

/// Both values, when both are there.
private func zip<A, B>(_ first: A?, _ second: B?) -> (A, B)? {
    guard let first, let second else { return nil }
    return (first, second)
}
