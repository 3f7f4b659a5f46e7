import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `wsgate-bench`: measures a gateway through its HTTP API against a direct WebSocket client,
/// with an upstream server of its own on loopback. Build and run it in release mode:
///
///     swift run -c release wsgate-bench
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsgate-bench",
        abstract: "Throughput, latency, fan-out, connection and memory benchmarks of wsgate against a direct WebSocket client."
    )

    @Option(help: "Measure the gateway already listening on this port instead of spawning one per scenario.")
    var port: Int?

    @Option(help: "The wsgate executable to spawn (default: the one beside this binary).")
    var gateway: String?

    @Option(help: "Messages per throughput run of 64-byte messages.")
    var smallMessages = 200_000

    @Option(help: "Messages per throughput run of 64 KiB messages.")
    var largeMessages = 4_000

    @Option(help: "Messages in the latency run (sent at 2000/s).")
    var latencyMessages = 10_000

    @Option(help: "Messages flooded to the fan-out subscribers.")
    var fanOutMessages = 20_000

    @Option(help: "Bridged connections in the connection run.")
    var connections = 10_000

    @Option(help: "Bridged connections opened and closed in sequence in the churn run (not among the default scenarios).")
    var churn = 100_000

    @Option(help: "Messages the upstream floods before the first subscriber arrives.")
    var burstMessages = 100_000

    @Option(help: "Scenarios to run, comma-separated: throughput, burst, latency, floor, fanout, connections, stalled, churn.")
    var scenarios = "throughput,burst,latency,floor,fanout,connections,stalled"

    func run() async throws {
        FileDescriptorLimit.raise(to: 200_000)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        // The upstream has a thread of its own, as a separate server would: on the clients'
        // threads, whether the direct client shared a thread with it was down to chance.
        let upstreamGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let upstream = try await BenchUpstream(group: upstreamGroup)
        let selected = Set(self.scenarios.split(separator: ",").map(String.init))
        var results: [ScenarioResult] = []

        func withGateway<T>(_ body: (BenchHTTPClient, GatewayUnderTest) async throws -> T) async throws -> T {
            let gateway: GatewayUnderTest
            if let port = self.port {
                gateway = GatewayUnderTest(port: port)
            } else {
                gateway = try await GatewayUnderTest(spawning: self.gateway ?? GatewayUnderTest.siblingExecutable, group: group)
            }
            defer { gateway.stop() }
            return try await body(BenchHTTPClient(port: gateway.port, group: group), gateway)
        }

        var singleSubscriberRate: Double?
        if selected.contains("throughput") {
            for scenario in [ThroughputScenario(count: self.smallMessages, size: 64), ThroughputScenario(count: self.largeMessages, size: 64 * 1024)] {
                let direct = try await scenario.runDirect(port: upstream.port)
                let bridged = try await withGateway { client, _ in try await scenario.runGateway(client, upstream: upstream) }
                if scenario.size == 64 { singleSubscriberRate = bridged }
                let megabytes = { (rate: Double) in rate * Double(scenario.size) / 1e6 }
                results.append(ScenarioResult(
                    scenario: scenario.name,
                    measurements: [
                        Measurement(name: "messages", value: bridged, unit: "msg/s", reference: direct, referenceName: "direct",
                                    meetsTarget: bridged >= 0.25 * direct, target: "≥ 25 % of direct"),
                        Measurement(name: "bytes", value: megabytes(bridged), unit: "MB/s", reference: megabytes(direct), referenceName: "direct"),
                    ],
                    verified: "\(scenario.count) messages: ids 1…\(scenario.count + 1) contiguous, every payload byte, the final Close"
                ))
            }
        }
        if selected.contains("burst") {
            let scenario = BurstBeforeSubscriberScenario(count: self.burstMessages)
            let (sent, rate) = try await withGateway { client, _ in try await scenario.run(client, upstream: upstream) }
            results.append(ScenarioResult(
                scenario: scenario.name,
                measurements: [
                    Measurement(name: "sent before subscribe", value: Double(sent), unit: "messages"),
                    Measurement(name: "delivered", value: rate, unit: "msg/s"),
                ],
                verified: "\(scenario.count) messages sent before the first subscribe: ids 1…\(scenario.count + 1) contiguous, every payload byte, the Close"
            ))
        }
        if selected.contains("latency") {
            let scenario = LatencyScenario(count: self.latencyMessages, rate: 2000)
            let (bridged, direct) = try await withGateway { client, _ in try await scenario.run(client, upstream: upstream, group: group) }
            var measurements: [Measurement] = []
            for (label, fraction) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0)] {
                let value = bridged.percentile(fraction) * 1000
                let reference = direct.percentile(fraction) * 1000
                measurements.append(Measurement(
                    name: label, value: value, unit: "ms", reference: reference, referenceName: "direct",
                    meetsTarget: label == "p99" ? value <= 2.5 * reference : nil, target: label == "p99" ? "≤ 2.5 × direct" : nil
                ))
            }
            results.append(ScenarioResult(
                scenario: scenario.name, measurements: measurements,
                verified: "\(scenario.count) messages each way in \(scenario.rounds) alternating rounds, each echoed exactly once"
            ))
        }
        if selected.contains("floor") {
            let scenario = RequestFloorScenario(count: 3000)
            let (health, send) = try await withGateway { client, _ in try await scenario.run(client, upstream: upstream) }
            results.append(ScenarioResult(
                scenario: scenario.name,
                measurements: [
                    Measurement(name: "healthz p50", value: health.percentile(0.5) * 1000, unit: "ms"),
                    Measurement(name: "healthz p99", value: health.percentile(0.99) * 1000, unit: "ms"),
                    Measurement(name: "send p50", value: send.percentile(0.5) * 1000, unit: "ms"),
                    Measurement(name: "send p99", value: send.percentile(0.99) * 1000, unit: "ms"),
                ],
                verified: "\(scenario.count) requests of each kind answered 200 and 204"
            ))
        }
        if selected.contains("fanout") {
            let scenario = FanOutScenario(subscribers: 100, count: self.fanOutMessages)
            let rate = try await withGateway { client, _ in try await scenario.run(client, upstream: upstream) }
            results.append(ScenarioResult(
                scenario: scenario.name,
                measurements: [
                    Measurement(name: "deliveries", value: rate, unit: "deliveries/s", reference: singleSubscriberRate,
                                referenceName: "1-subscriber msg/s", meetsTarget: singleSubscriberRate.map { rate >= 2 * $0 },
                                target: "≥ 2 × 1-subscriber throughput")
                ],
                verified: "\(scenario.subscribers) subscribers × \(scenario.count) messages: ids contiguous, payloads intact, Close"
            ))
        }
        if selected.contains("connections") {
            // Each bridged connection takes two descriptors in the gateway (upstream and event
            // stream) and two here; a hard limit that cannot be raised caps the count.
            let feasible = (FileDescriptorLimit.current - 200) / 2
            if feasible < self.connections {
                print("note: the open-file limit (\(FileDescriptorLimit.current), not raisable here) allows \(feasible) connections, not \(self.connections)")
            }
            let scenario = ConnectionsScenario(count: min(self.connections, feasible))
            let outcome = try await withGateway { client, gateway in
                try await scenario.run(client, upstream: upstream, gateway: gateway)
            }
            let setups = outcome.setupsPerSecond
            var measurements = [
                Measurement(name: "setups", value: setups, unit: "setups/s", meetsTarget: setups >= 2500, target: "≥ 2500/s")
            ]
            if let bytesPerConnection = outcome.bytesPerConnection {
                let kibibytes = bytesPerConnection / 1024
                measurements.append(Measurement(name: "rss per connection", value: kibibytes, unit: "KiB", meetsTarget: kibibytes <= 24, target: "≤ 24 KiB"))
            }
            if let gatewayCPU = outcome.gatewayCPUPerSetup {
                measurements.append(Measurement(name: "gateway cpu per setup", value: gatewayCPU * 1_000_000, unit: "µs"))
            }
            measurements.append(Measurement(name: "harness cpu per setup", value: outcome.harnessCPUPerSetup * 1_000_000, unit: "µs"))
            results.append(ScenarioResult(
                scenario: scenario.name, measurements: measurements,
                verified: "\(scenario.count) connections opened (201) each with a 200 event stream held open"
            ))
        }
        if selected.contains("churn") {
            let scenario = ChurnScenario(count: self.churn)
            let outcome = try await withGateway { client, gateway in try await scenario.run(client, upstream: upstream, gateway: gateway) }
            var measurements = [Measurement(name: "open and close", value: outcome.connectionsPerSecond, unit: "connections/s")]
            if let (warm, after) = outcome.residentBytes {
                let growth = Double(after - warm) / Double(warm) * 100
                measurements.append(Measurement(name: "rss after warm-up", value: Double(warm) / 1_048_576, unit: "MiB"))
                measurements.append(Measurement(name: "rss after churn", value: Double(after) / 1_048_576, unit: "MiB"))
                measurements.append(Measurement(name: "rss growth", value: growth, unit: "%", meetsTarget: growth <= 10, target: "≤ 10 %"))
            }
            results.append(ScenarioResult(
                scenario: scenario.name, measurements: measurements,
                verified: "\(scenario.count) connections opened (201) and deleted (200) one after another; none left"
            ))
        }
        if selected.contains("stalled") {
            let scenario = StalledSubscriberScenario(duration: .seconds(5))
            let (growth, received, wasCutOff) = try await withGateway { client, gateway in
                try await scenario.run(client, upstream: upstream, gateway: gateway)
            }
            var measurements = [Measurement(name: "events to the reader", value: Double(received), unit: "events")]
            if let growth {
                let mebibytes = Double(growth) / Double(1 << 20)
                measurements.append(Measurement(name: "peak rss growth", value: mebibytes, unit: "MiB", meetsTarget: mebibytes < 64, target: "bounded (< 64 MiB)"))
            }
            measurements.append(Measurement(name: "stalled cut off", value: wasCutOff ? 1 : 0, unit: "", meetsTarget: wasCutOff, target: "cut off"))
            results.append(ScenarioResult(scenario: scenario.name, measurements: measurements, verified: "5 s of streaming with one subscriber stalled"))
        }

        print("")
        Report.printTable(results)
        print("")
        for result in results { Report.printJSONLine(result) }
        try await upstream.close()
        try await group.shutdownGracefully()
        try await upstreamGroup.shutdownGracefully()
    }
}

/// The process's open-file limit.
enum FileDescriptorLimit {
    /// The soft limit in force.
    static var current: Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(limit.rlim_cur)
    }

    /// Raises the soft limit towards `wanted`, within the hard limit (and the hard limit too when allowed).
    static func raise(to wanted: rlim_t) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        if limit.rlim_max < wanted {
            var raised = rlimit(rlim_cur: wanted, rlim_max: wanted)
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { return }
        }
        limit.rlim_cur = min(wanted, limit.rlim_max)
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }
}
