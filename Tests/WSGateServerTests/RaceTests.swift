import Foundation
import NIOHTTP1
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// Creates, deletes, sends and subscribes racing on the same ids.
@Suite(.timeLimit(.minutes(3)))
struct RaceTests {
    /// The value of the metric line `name` (without labels) in a Prometheus scrape.
    private static func metric(_ name: String, in scrape: String) -> Double? {
        scrape.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test func aThousandConcurrentOperationsOnTheSameIdsLeaveNothingBehind() async throws {
        let upstream = try await PythonWebSocketsServer()
        try await withGateway(.testing { $0.pool.closeTimeout = .seconds(2) }) { client, gateway in
            var ids: [String] = []
            for _ in 0..<8 { ids.append(try await client.connect(upstream.url())) }
            let shared = ids
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for operation in 0..<1000 {
                    group.addTask {
                        let id = shared[operation % shared.count]
                        switch operation % 4 {
                        case 0:
                            let created = try await client.post("/connections", json: #"{"url": "\#(upstream.url())"}"#)
                            if case .string(let new)? = created.json["id"], operation % 8 == 0 {
                                return try await client.request(.DELETE, "/connections/\(new)").status
                            }
                            return created.status
                        case 1:
                            return try await client.request(.DELETE, "/connections/\(id)").status
                        case 2:
                            return try await client.send(id, #""race""#).status
                        default:
                            let stream = try await client.open(.GET, "/connections/\(id)/events")
                            stream.close()
                            return stream.status
                        }
                    }
                }
                var statuses: [Int: Int] = [:]
                for try await status in group { statuses[status, default: 0] += 1 }
                return statuses
            }
            // Every answer is one an API client can act on: no 5xx. Subscribes land on two of the ids
            // (operation % 8 is 3 or 7), 125 each, so on a slow machine some meet the limit of 100
            // subscribers before the closed streams are gone: 429 with Retry-After.
            #expect(statuses.keys.allSatisfy { [200, 201, 204, 404, 409, 429].contains($0) }, "\(statuses)")
            for connection in gateway.pool.openConnections {
                _ = try await client.request(.DELETE, "/connections/\(connection.id)")
            }
            #expect(gateway.pool.openConnections.isEmpty)
            #expect(try await client.request(.GET, "/connections").json == ["connections": []])
            // The gauges agree: no connection and no subscriber left once the streams have closed.
            var scrape = try await client.request(.GET, "/metrics").text
            while Self.metric("wsgate_subscribers", in: scrape) != 0 {
                scrape = try await client.request(.GET, "/metrics").text
            }
            #expect(Self.metric("wsgate_upstream_connections_open", in: scrape) == 0)
            #expect(try await client.request(.GET, "/healthz").status == 200)
        }
    }
}
