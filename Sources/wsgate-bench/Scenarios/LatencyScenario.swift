import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket

/// One connection to an echo upstream; messages sent at a fixed rate, each timed until its
/// echo arrives. Through the gateway a message goes out as `POST /send` and comes back on the
/// event stream; directly it is a WebSocket round trip.
///
/// The two paths take turns in short rounds, after a warm-up of each, so that both see the same
/// drift of a shared machine: measured one after the other, a burst of noise from the host
/// during one of them decided the ratio of the tails.
struct LatencyScenario {
    /// Messages timed over each path.
    let count: Int
    let rate: Int
    /// The rounds `count` is split into.
    let rounds = 10
    /// Messages over each path before the first round, not timed.
    let warmUp = 200

    var name: String { "latency \(self.rate)/s" }

    /// Round-trip times in seconds, sorted, through the gateway and directly.
    func run(_ client: BenchHTTPClient, upstream: BenchUpstream, group: EventLoopGroup) async throws -> (gateway: [Double], direct: [Double]) {
        let total = self.warmUp + self.count
        let gateway = try await EchoPath.throughGateway(client, upstream: upstream, count: total)
        let direct = try await EchoPath.direct(port: upstream.port, group: group, count: total)
        try await self.pace(gateway, 1...self.warmUp)
        try await self.pace(direct, 1...self.warmUp)
        let perRound = self.count / self.rounds
        for round in 0..<self.rounds {
            let first = self.warmUp + round * perRound + 1
            let last = round == self.rounds - 1 ? total : first + perRound - 1
            try await self.pace(direct, first...last)
            try await self.pace(gateway, first...last)
        }
        try await gateway.close()
        try await direct.close()
        let timed = (self.warmUp + 1)...total
        return (try gateway.timings.verdict(timed), try direct.timings.verdict(timed))
    }

    /// Sends messages `indices` over `path` `rate` times a second, on its event loop, and waits
    /// for every echo (at most 30 s more).
    private func pace(_ path: EchoPath, _ indices: ClosedRange<Int>) async throws {
        let interval = TimeAmount.nanoseconds(1_000_000_000 / Int64(self.rate))
        let start = NIODeadline.now() + .milliseconds(10)
        // Each send is scheduled at its own deadline, so that a late timer does not shift the rest.
        for index in indices {
            path.eventLoop.scheduleTask(deadline: start + interval * Int64(index - indices.lowerBound)) {
                path.timings.sent(index)
                path.send(index)
            }
        }
        let finished = start + interval * Int64(indices.count) + .seconds(30)
        while !path.timings.hasReceived(indices), NIODeadline.now() < finished {
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// One way of sending numbered Text messages to the echo upstream and timing their echoes.
private struct EchoPath: Sendable {
    /// Where the sends are paced from: the loop that also reads the echoes.
    let eventLoop: EventLoop
    let send: @Sendable (Int) -> Void
    let timings: RoundTrips
    let close: @Sendable () async throws -> Void

    /// Through the gateway: `POST /send` on a keep-alive connection, echoes from the event
    /// stream, both on one event loop so that the benchmark itself does not cross threads.
    static func throughGateway(_ client: BenchHTTPClient, upstream: BenchUpstream, count: Int) async throws -> EchoPath {
        // The connection is opened over the keep-alive connection that then sends, as a client
        // that reuses its HTTP connection does.
        let sender = try await client.keepAliveConnection()
        let id = try await client.openConnection(upstream.url("/echo"), on: sender).get()
        let timings = RoundTrips(count: count)
        let (stream, _) = try await client.openEventStream("/connections/\(id)/events", on: sender.eventLoop) { record in
            let record = SSERecord(record)
            if let data = record.data, let index = Verification.textInteger(data) { timings.received(index) }
        }.get()
        return EchoPath(
            eventLoop: sender.eventLoop,
            send: { index in sender.sendWithoutWaiting(String(index), to: "/connections/\(id)/send") },
            timings: timings,
            close: {
                sender.close()
                stream.close(promise: nil)
                _ = try await client.request(.DELETE, "/connections/\(id)")
            }
        )
    }

    /// Directly: a WebSocket client of the upstream.
    static func direct(port: Int, group: EventLoopGroup, count: Int) async throws -> EchoPath {
        let timings = RoundTrips(count: count)
        let client = try await DirectClient.connect(port: port, path: "/echo", group: group) { frame in
            if frame.opcode == .text, let index = Int(String(buffer: frame.data)) { timings.received(index) }
        }
        return EchoPath(eventLoop: client.channel.eventLoop, send: { client.sendText(String($0)) }, timings: timings, close: { client.close() })
    }
}

/// Send and receive times of numbered messages.
final class RoundTrips: Sendable {
    private struct State {
        var sentAt: [NIODeadline?]
        var durations: [Double?]
        var unexpected = 0
    }

    private let state: NIOLockedValueBox<State>

    init(count: Int) {
        self.state = NIOLockedValueBox(State(sentAt: Array(repeating: nil, count: count + 1), durations: Array(repeating: nil, count: count + 1)))
    }

    func sent(_ index: Int) {
        self.state.withLockedValue { $0.sentAt[index] = .now() }
    }

    func received(_ index: Int) {
        let now = NIODeadline.now()
        self.state.withLockedValue { state in
            guard state.sentAt.indices.contains(index), let sentAt = state.sentAt[index], state.durations[index] == nil else {
                state.unexpected += 1
                return
            }
            state.durations[index] = seconds(now - sentAt)
        }
    }

    /// Whether every message of `indices` came back.
    func hasReceived(_ indices: ClosedRange<Int>) -> Bool {
        self.state.withLockedValue { state in state.durations[indices].allSatisfy { $0 != nil } }
    }

    /// The round-trip times of `indices`, sorted; throws unless every message came back exactly once.
    func verdict(_ indices: ClosedRange<Int>) throws -> [Double] {
        let (durations, unexpected) = self.state.withLockedValue { ($0.durations[indices].compactMap { $0 }, $0.unexpected) }
        guard durations.count == indices.count else {
            throw BenchError("\(indices.count - durations.count) of \(indices.count) messages did not come back")
        }
        guard unexpected == 0 else { throw BenchError("\(unexpected) echoes were duplicates or never sent") }
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
