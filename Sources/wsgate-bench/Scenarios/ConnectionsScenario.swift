import Foundation
import NIOCore
import NIOPosix

/// Many bridged connections to an idle upstream, each with one open event stream: how fast
/// they are set up, and how much gateway memory each costs.
struct ConnectionsScenario {
    let count: Int
    /// Keep-alive connections that open bridged connections side by side, as a load tool's workers.
    let concurrency = 64

    var name: String { "connections \(self.count)" }

    /// What a run measured.
    struct Outcome {
        var setupsPerSecond: Double
        /// The gateway's resident bytes per connection, when its memory is readable.
        var bytesPerConnection: Double?
        /// The gateway's CPU time per setup in seconds, when its process is known.
        var gatewayCPUPerSetup: Double?
        /// This process's CPU time per setup in seconds: the load and the upstream.
        var harnessCPUPerSetup: Double
    }

    /// Opens `count` connections after a warm-up, measuring the setups' pace, the gateway's
    /// memory growth and the CPU time both sides spent.
    func run(_ client: BenchHTTPClient, upstream: BenchUpstream, gateway: GatewayUnderTest) async throws -> Outcome {
        // Warm up the allocator and the code paths, then take the baseline.
        let warmUp = try await client.openConnection(upstream.url("/idle"))
        _ = try await client.request(.DELETE, "/connections/\(warmUp)")
        let baseline = gateway.residentBytes()
        let opener = RawStreamOpener(client: client)
        let url = upstream.url("/idle")
        let (gatewayCPU, harnessCPU) = (gateway.cpuSeconds(), CPUTime.ofThisProcess())
        let start = NIODeadline.now()
        let streams = try await NIOThreadPool.singleton.runIfActive {
            try opener.open(self.count, workers: self.concurrency, upstreamURL: url)
        }
        let elapsed = NIODeadline.now() - start
        let perSetup = { (cpu: Double) in cpu / Double(self.count) }
        let gatewayCPUPerSetup = zip(gatewayCPU, gateway.cpuSeconds()).map { before, after in perSetup(after - before) }
        let harnessCPUPerSetup = perSetup(CPUTime.ofThisProcess() - harnessCPU)
        defer { for stream in streams { close(stream) } }
        // Let the gateway settle (buffers released after the burst) before reading its memory.
        try await Task.sleep(for: .seconds(1))
        let perConnection = zip(baseline, gateway.residentBytes()).map { before, after in Double(after - before) / Double(self.count) }
        return Outcome(
            setupsPerSecond: Double(self.count) / seconds(elapsed), bytesPerConnection: perConnection,
            gatewayCPUPerSetup: gatewayCPUPerSetup, harnessCPUPerSetup: harnessCPUPerSetup
        )
    }
}

/// Both values, when both are there.
private func zip<A, B>(_ first: A?, _ second: B?) -> (A, B)? {
    guard let first, let second else { return nil }
    return (first, second)
}
