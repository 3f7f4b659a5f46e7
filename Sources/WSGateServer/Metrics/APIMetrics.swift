import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1
import Prometheus
import WSGateCore

/// The gateway's metrics registry and what the HTTP front end counts into it: requests by route
/// and status, connects by result, and the process's own figures, read at each scrape.
final class APIMetrics: Sendable {
    /// The registry that `GET /metrics` writes out.
    let registry = PrometheusCollectorRegistry()
    /// The core's metrics, in the same registry.
    let core: GatewayMetrics
    private let factory: PrometheusMetricsFactory
    private let requests = NIOLockedValueBox([ResponseKind: CoreMetrics.Counter]())
    private let connects = NIOLockedValueBox([String: CoreMetrics.Counter]())
    private let residentMemory: CoreMetrics.Gauge
    private let openFileDescriptors: CoreMetrics.Gauge

    init() {
        var factory = PrometheusMetricsFactory(registry: self.registry)
        factory.durationHistogramBuckets["wsgate_upstream_connect_duration_seconds"] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
            .milliseconds(500), .seconds(1), .seconds(5), .seconds(10),
        ]
        self.factory = factory
        self.core = GatewayMetrics(factory: factory)
        self.residentMemory = CoreMetrics.Gauge(label: "process_resident_memory_bytes", factory: factory)
        self.openFileDescriptors = CoreMetrics.Gauge(label: "process_open_fds", factory: factory)
    }

    /// What a response is counted by.
    private struct ResponseKind: Hashable {
        var route: String
        var status: UInt
    }

    /// Counts a response with `status` to a request for `route` (an endpoint's name, or `none`).
    func countResponse(route: String, status: HTTPResponseStatus) {
        self.counter(ResponseKind(route: route, status: status.code), in: self.requests) {
            CoreMetrics.Counter(label: "wsgate_http_requests_total", dimensions: [("route", route), ("status", "\(status.code)")], factory: self.factory)
        }.increment()
    }

    /// Counts a `POST /connections` by its result: `ok` or the error's code.
    func countConnect(result: String) {
        self.counter(result, in: self.connects) {
            CoreMetrics.Counter(label: "wsgate_upstream_connections_opened_total", dimensions: [("result", result)], factory: self.factory)
        }.increment()
    }

    /// The registry in Prometheus' text format, with the process's figures read now.
    func scrape() -> [UInt8] {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kibibytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        {
            self.residentMemory.record(kibibytes * 1024)
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            self.openFileDescriptors.record(descriptors.count)
        }
        return self.registry.emitToBuffer()
    }

    private func counter<Key: Hashable>(
        _ key: Key, in counters: NIOLockedValueBox<[Key: CoreMetrics.Counter]>, make: () -> CoreMetrics.Counter
    ) -> CoreMetrics.Counter {
        counters.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = make()
            counters[key] = counter
            return counter
        }
    }
}
