import NIOConcurrencyHelpers
import NIOCore

/// The upstream floods right after the connect, before anyone subscribes; a subscriber that
/// arrives once the flood has stopped for good (held by the gateway, or finished) must receive
/// every event from id 1, the Close last.
struct BurstBeforeSubscriberScenario {
    let count: Int
    let size = 64

    var name: String { "burst before subscriber" }

    /// How many messages the upstream had sent when the subscriber arrived, and the rate at
    /// which the subscriber then received the whole flood.
    func run(_ client: BenchHTTPClient, upstream: BenchUpstream) async throws -> (sentBeforeSubscribe: Int, rate: Double) {
        let firstStop = upstream.nextFloodStop(on: client.group.next())
        let id = try await client.openConnection(upstream.url("/flood?count=\(self.count)&size=\(self.size)&start=1"))
        // The socket fills now and then while the gateway still reads; the flood is held for good
        // once no further stop follows within the quiet period.
        var stop = try await firstStop.get()
        while case .held = stop, let next = try await Self.nextStop(of: upstream, on: client.group.next(), within: .milliseconds(300)) {
            stop = next
        }
        let sent: Int
        switch stop {
        case .held(let count): sent = count
        case .finished: sent = self.count
        }
        let checker = StreamChecker(count: self.count, size: self.size)
        let start = NIODeadline.now()
        let (_, ended) = try await client.openEventStream("/connections/\(id)/events") { record in
            checker.check(SSERecord(record))
        }.get()
        try await ended.get()
        let elapsed = NIODeadline.now() - start
        try checker.verdict()
        return (sent, Double(self.count) / seconds(elapsed))
    }

    /// The flood's next stop, or nil when none comes within `timeout`.
    private static func nextStop(of upstream: BenchUpstream, on eventLoop: EventLoop, within timeout: TimeAmount) async throws -> FloodStop? {
        let outcome = eventLoop.makePromise(of: FloodStop?.self)
        let isDecided = NIOLockedValueBox(false)
        let decide: @Sendable (FloodStop?) -> Void = { stop in
            if isDecided.withLockedValue({ decided in defer { decided = true }; return !decided }) { outcome.succeed(stop) }
        }
        upstream.nextFloodStop(on: eventLoop).whenSuccess(decide)
        eventLoop.scheduleTask(in: timeout) { decide(nil) }
        return try await outcome.futureResult.get()
    }
}
