import NIOCore

/// One connection whose upstream floods 64-byte messages, read by many subscribers at once:
/// how many deliveries a second the gateway makes, each subscriber checked for every event.
struct FanOutScenario {
    let subscribers: Int
    let count: Int
    let size = 64

    var name: String { "fan-out \(self.subscribers) subscribers" }

    /// Deliveries per second (messages × subscribers / time).
    func run(_ client: BenchHTTPClient, upstream: BenchUpstream) async throws -> Double {
        let id = try await client.openConnection(upstream.url("/flood?count=\(self.count)&size=\(self.size)"))
        var checkers: [StreamChecker] = []
        var ends: [EventLoopFuture<Void>] = []
        for _ in 0..<self.subscribers {
            let checker = StreamChecker(count: self.count, size: self.size)
            let (_, ended) = try await client.openEventStream("/connections/\(id)/events") { checker.check(SSERecord($0)) }.get()
            checkers.append(checker)
            ends.append(ended)
        }
        let start = NIODeadline.now()
        _ = try await client.request(.POST, "/connections/\(id)/send", contentType: "text/plain", body: "go")
        for ended in ends { try await ended.get() }
        let elapsed = NIODeadline.now() - start
        for (index, checker) in checkers.enumerated() {
            do { try checker.verdict() } catch { throw BenchError("subscriber \(index + 1): \(error)") }
        }
        return Double(self.count * self.subscribers) / seconds(elapsed)
    }
}
