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
                    return try await self.setUp(share, client, upstream: upstream, keepAlive: keepAlive).get()
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

    /// Sets up `count` connections one after the other, each with its event stream, on the
    /// keep-alive connection's event loop: as a load tool's worker would, without a hop to a
    /// task between the steps.
    private func setUp(
        _ count: Int, _ client: BenchHTTPClient, upstream: BenchUpstream, keepAlive: KeepAliveConnection, opened: [Channel] = []
    ) -> EventLoopFuture<[Channel]> {
        guard count > 0 else { return keepAlive.eventLoop.makeSucceededFuture(opened) }
        return client.openConnection(upstream.url("/idle"), on: keepAlive).flatMap { id in
            client.openEventStream("/connections/\(id)/events", on: keepAlive.eventLoop) { _ in }
        }.flatMap { stream in
            self.setUp(count - 1, client, upstream: upstream, keepAlive: keepAlive, opened: opened + [stream.channel])
        }
    }
}

/// Both values, when both are there.
private func zip<A, B>(_ first: A?, _ second: B?) -> (A, B)? {
    guard let first, let second else { return nil }
    return (first, second)
}
