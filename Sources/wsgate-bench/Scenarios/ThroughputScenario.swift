import NIOConcurrencyHelpers
import NIOCore

/// The upstream floods `count` Text messages of `size` bytes, then closes; one subscriber counts
/// and checks every message until the Close. Compared with a direct client reading the same flood.
struct ThroughputScenario {
    let count: Int
    let size: Int

    var name: String { "throughput \(self.size >= 1024 ? "\(self.size / 1024) KiB" : "\(self.size) B")" }

    /// Messages per second through the gateway.
    func runGateway(_ client: BenchHTTPClient, upstream: BenchUpstream) async throws -> Double {
        let id = try await client.openConnection(upstream.url("/flood?count=\(self.count)&size=\(self.size)"))
        let checker = StreamChecker(count: self.count, size: self.size)
        let (_, ended) = try await client.openEventStream("/connections/\(id)/events") { record in
            checker.check(SSERecord(record))
        }.get()
        let start = NIODeadline.now()
        _ = try await client.request(.POST, "/connections/\(id)/send", contentType: "text/plain", body: "go")
        try await ended.get()
        let elapsed = NIODeadline.now() - start
        try checker.verdict()
        return Double(self.count) / seconds(elapsed)
    }

    /// Messages per second read directly from the upstream by the fastest reader there is.
    func runDirect(port: Int) async throws -> Double {
        let (count, elapsed) = try await RawFrameCounter.readFlood(
            port: port, path: "/flood?count=\(self.count)&size=\(self.size)", size: self.size
        )
        if let failure = count.failure { throw BenchError("direct: \(failure)") }
        guard count.texts == self.count, count.closed else {
            throw BenchError("direct: received \(count.texts) of \(self.count) messages\(count.closed ? "" : " and no Close")")
        }
        return Double(self.count) / elapsed
    }
}

/// Checks one event stream of a flood: ids from 1 without holes, every payload intact, and a
/// Close event after the last message.
final class StreamChecker: Sendable {
    private let count: Int
    private let size: Int
    private let state = NIOLockedValueBox((next: 1, closed: false, failure: String?.none))

    init(count: Int, size: Int) {
        self.count = count
        self.size = size
    }

    func check(_ record: SSERecord) {
        guard let id = record.id, let data = record.data else { return }
        self.state.withLockedValue { state in
            guard state.failure == nil else { return }
            if id != state.next {
                state.failure = "expected event \(state.next), got \(id)"
            } else if id <= self.count {
                if !Verification.isTextEvent(data, index: id, size: self.size) { state.failure = "event \(id) differs" }
            } else if Verification.isCloseEvent(data) {
                state.closed = true
            } else {
                state.failure = "event \(id) is not the Close: \(String(buffer: data).prefix(100))"
            }
            state.next += 1
        }
    }

    /// Throws unless every message and the Close arrived intact.
    func verdict() throws {
        let (next, closed, failure) = self.state.withLockedValue { $0 }
        if let failure { throw BenchError(failure) }
        guard closed else { throw BenchError("the stream ended after \(next - 1) of \(self.count + 1) events") }
    }
}

/// A duration in seconds.
func seconds(_ amount: TimeAmount) -> Double {
    Double(amount.nanoseconds) / 1e9
}
