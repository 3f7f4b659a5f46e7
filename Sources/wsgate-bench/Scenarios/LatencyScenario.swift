import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket

/// One connection to an echo upstream; messages sent at a fixed rate, each timed until its
/// echo arrives. Through the gateway a message goes out as `POST /send` and comes back on the
/// event stream; directly it is a WebSocket round trip.
struct LatencyScenario {
    let count: Int
    let rate: Int

    var name: String { "latency \(self.rate)/s" }

    /// Round-trip times in seconds, through the gateway.
    func runGateway(_ client: BenchHTTPClient, upstream: BenchUpstream) async throws -> [Double] {
        // The connection is opened over the keep-alive connection that then sends, as a client
        // that reuses its HTTP connection does.
        let sender = try await client.keepAliveConnection()
        let id = try await client.openConnection(upstream.url("/echo"), on: sender).get()
        let timings = RoundTrips(count: self.count)
        let (channel, _) = try await client.openEventStream("/connections/\(id)/events", on: sender.eventLoop) { record in
            let record = SSERecord(record)
            if let data = record.data, let index = Verification.textInteger(data) { timings.received(index) }
        }.get()
        // Paced on the sender's event loop, so that a send does not cross threads in the benchmark.
        try await self.pace(on: sender.eventLoop, timings: timings) { index in
            sender.sendWithoutWaiting(String(index), to: "/connections/\(id)/send")
        }
        sender.close()
        channel.close(promise: nil)
        _ = try await client.request(.DELETE, "/connections/\(id)")
        return try timings.verdict()
    }

    /// Round-trip times in seconds, directly.
    func runDirect(port: Int, group: EventLoopGroup) async throws -> [Double] {
        let timings = RoundTrips(count: self.count)
        let client = try await DirectClient.connect(port: port, path: "/echo", group: group) { frame in
            if frame.opcode == .text, let index = Int(String(buffer: frame.data)) { timings.received(index) }
        }
        try await self.pace(on: client.channel.eventLoop, timings: timings) { index in client.sendText(String(index)) }
        client.close()
        return try timings.verdict()
    }

    /// Sends `count` messages `rate` times a second and waits for every echo (at most 30 s more).
    private func pace(on eventLoop: EventLoop, timings: RoundTrips, send: @escaping @Sendable (Int) -> Void) async throws {
        let interval = TimeAmount.nanoseconds(1_000_000_000 / Int64(self.rate))
        let start = NIODeadline.now() + .milliseconds(10)
        let count = self.count
        // Each send is scheduled at its own deadline, so a late timer does not shift the rest.
        for index in 1...count {
            let deadline = start + interval * Int64(index - 1)
            eventLoop.scheduleTask(deadline: deadline) {
                timings.sent(index)
                send(index)
            }
        }
        let finished = start + interval * Int64(count) + .seconds(30)
        while !timings.isComplete, NIODeadline.now() < finished {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Send and receive times of numbered messages.
final class RoundTrips: Sendable {
    private let state: NIOLockedValueBox<(sentAt: [NIODeadline?], durations: [Double], duplicates: Int)>
    private let count: Int

    init(count: Int) {
        self.count = count
        self.state = NIOLockedValueBox((Array(repeating: nil, count: count + 1), [], 0))
    }

    func sent(_ index: Int) {
        self.state.withLockedValue { $0.sentAt[index] = .now() }
    }

    func received(_ index: Int) {
        let now = NIODeadline.now()
        self.state.withLockedValue { state in
            guard index >= 1, index <= self.count, let sentAt = state.sentAt[index] else { return }
            state.sentAt[index] = nil
            state.durations.append(seconds(now - sentAt))
        }
    }

    var isComplete: Bool { self.state.withLockedValue { $0.durations.count == self.count } }

    /// The round-trip times; throws unless every message came back exactly once.
    func verdict() throws -> [Double] {
        let durations = self.state.withLockedValue { $0.durations }
        guard durations.count == self.count else {
            throw BenchError("\(self.count - durations.count) of \(self.count) messages did not come back")
        }
        return durations.sorted()
    }
}

extension Array where Element == Double {
    /// The value below which `fraction` of the sorted values lie.
    func percentile(_ fraction: Double) -> Double {
        guard !self.isEmpty else { return 0 }
        return self[Swift.min(self.count - 1, Int(Double(self.count) * fraction))]
    }
}
