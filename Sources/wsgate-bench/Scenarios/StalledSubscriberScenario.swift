import NIOConcurrencyHelpers
import NIOCore

/// An upstream that streams without pause, one subscriber that keeps up and one that stops
/// reading: the gateway's memory must stay bounded, the stalled subscriber must be cut off, and
/// the other must keep receiving.
struct StalledSubscriberScenario {
    let duration: TimeAmount
    let size = 1024

    var name: String { "stalled subscriber" }

    /// The gateway's peak memory growth in bytes over the run, the events the reader received,
    /// and whether the stalled subscriber was cut off.
    func run(_ client: BenchHTTPClient, upstream: BenchUpstream, gateway: GatewayUnderTest) async throws -> (Int?, Int, Bool) {
        let id = try await client.openConnection(upstream.url("/stream?size=\(self.size)"))
        let stalled = try await client.openEventStream("/connections/\(id)/events") { _ in }.get()
        try await stalled.channel.setOption(.autoRead, value: false).get()
        let received = NIOLockedValueBox(0)
        let reader = try await client.openEventStream("/connections/\(id)/events") { record in
            if SSERecord(record).id != nil { received.withLockedValue { $0 += 1 } }
        }.get()
        let baseline = gateway.residentBytes()
        var peak = baseline
        _ = try await client.request(.POST, "/connections/\(id)/send", contentType: "text/plain", body: "go")
        let end = NIODeadline.now() + self.duration
        while NIODeadline.now() < end {
            try await Task.sleep(for: .milliseconds(100))
            if let now = gateway.residentBytes() { peak = max(peak ?? now, now) }
        }
        // The gateway closes a cut-off subscriber's connection: reading again drains what the
        // socket buffers hold and then meets the end of the stream, while the upstream still runs.
        try await stalled.channel.setOption(.autoRead, value: true).get()
        let wasCutOff = await Self.ends(stalled.ended, within: .seconds(5), on: stalled.channel.eventLoop)
        _ = try await client.request(.DELETE, "/connections/\(id)")
        reader.channel.close(promise: nil)
        stalled.channel.close(promise: nil)
        let growth = baseline.flatMap { base in peak.map { $0 - base } }
        return (growth, received.withLockedValue { $0 }, wasCutOff)
    }

    /// Whether `future` completes within `timeout`.
    private static func ends(_ future: EventLoopFuture<Void>, within timeout: TimeAmount, on eventLoop: EventLoop) async -> Bool {
        let outcome = eventLoop.makePromise(of: Bool.self)
        future.whenComplete { _ in outcome.succeed(true) }
        eventLoop.scheduleTask(in: timeout) { outcome.succeed(false) }
        return (try? await outcome.futureResult.get()) ?? false
    }
}
