import Foundation
import Testing
@testable import WSGateServer
import WSGateTestSupport

/// `GET /`, `/client.js`, `/client.d.ts`: content types and revalidation.
@Suite(.timeLimit(.minutes(1)))
struct WebAssetEndpointTests {
    @Test(arguments: [
        ("/", "text/html; charset=utf-8", "<title>wsgate console</title>"),
        ("/client.js", "text/javascript; charset=utf-8", "export default class WebSocket"),
        ("/client.d.ts", "application/typescript; charset=utf-8", "export interface ConnectionConfig"),
    ])
    func eachFileHasItsTypeAndIsRevalidatedByItsETag(path: String, contentType: String, excerpt: String) async throws {
        try await withGateway { client, _ in
            let response = try await client.request(.GET, path)
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"] == [contentType])
            #expect(response.headers["Cache-Control"] == ["no-cache"])
            #expect(response.headers["X-Content-Type-Options"] == ["nosniff"])
            #expect(response.text.contains(excerpt))
            let entityTag = try #require(response.headers["ETag"].first)
            let revalidated = try await client.request(.GET, path, headers: [("If-None-Match", entityTag)])
            #expect(revalidated.status == 304)
            #expect(revalidated.headers["ETag"] == [entityTag])
            #expect(revalidated.headers["Content-Length"].isEmpty)
            #expect(revalidated.text.isEmpty)
            let changed = try await client.request(.GET, path, headers: [("If-None-Match", "\"other\"")])
            #expect(changed.status == 200)
        }
    }

    @Test func theOpenAPIDocumentDescribesEveryRouteOfTheTable() async throws {
        try await withGateway { client, _ in
            let response = try await client.request(.GET, "/openapi.json")
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"] == ["application/json"])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var described: Set<String> = []
            for (path, operations) in paths {
                for method in operations.keys where method != "parameters" { described.insert("\(method.uppercased()) \(path)") }
            }
            let routes = Set(RouteTable.api.routes.map { "\($0.method.rawValue) \($0.pattern)" })
            #expect(described == routes)
        }
    }
}
