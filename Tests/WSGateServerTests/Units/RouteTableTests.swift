import NIOHTTP1
import Testing
@testable import WSGateServer

/// The route table, without sockets.
struct RouteTableTests {
    let table = RouteTable.api

    @Test(arguments: [
        (HTTPMethod.GET, "/healthz", RouteTable.Match.endpoint(.health, connectionID: nil)),
        (.GET, "/readyz", .endpoint(.readiness, connectionID: nil)),
        (.GET, "/connections", .endpoint(.listConnections, connectionID: nil)),
        (.POST, "/connections", .endpoint(.openConnection, connectionID: nil)),
        (.GET, "/connections/abc", .endpoint(.connectionInfo, connectionID: "abc")),
        (.DELETE, "/connections/abc", .endpoint(.closeConnection, connectionID: "abc")),
        (.POST, "/connections/abc/send", .endpoint(.send, connectionID: "abc")),
        (.GET, "/connections/abc/events", .endpoint(.events, connectionID: "abc")),
        (.GET, "/events", .endpoint(.multiplexedEvents, connectionID: nil)),
        (.GET, "/", .endpoint(.consolePage, connectionID: nil)),
        (.GET, "/client.js", .endpoint(.clientModule, connectionID: nil)),
        (.GET, "/client.d.ts", .endpoint(.clientTypes, connectionID: nil)),
        (.GET, "/metrics", .endpoint(.metrics, connectionID: nil)),
        (.GET, "/openapi.json", .endpoint(.openAPIDocument, connectionID: nil)),
    ])
    func eachRouteReachesItsEndpoint(method: HTTPMethod, path: String, match: RouteTable.Match) {
        #expect(self.table.match(method, path: path[...]) == match)
    }

    @Test func everyEndpointHasARoute() {
        #expect(Set(self.table.routes.map(\.endpoint)) == Set(Endpoint.allCases))
    }

    @Test(arguments: [
        (HTTPMethod.PUT, "/connections", [HTTPMethod.GET, .POST]),
        (.POST, "/healthz", [.GET]),
        (.PUT, "/connections/abc", [.GET, .DELETE]),
        (.GET, "/connections/abc/send", [.POST]),
        (.DELETE, "/connections/abc/events", [.GET]),
        (.HEAD, "/readyz", [.GET]),
        (.POST, "/", [.GET]),
    ])
    func aKnownPathWithAnotherMethodIs405WithItsMethods(method: HTTPMethod, path: String, allowed: [HTTPMethod]) {
        #expect(self.table.match(method, path: path[...]) == .methodNotAllowed(allowed: allowed))
    }

    @Test(arguments: ["//", "", "/connections/", "/connections//send", "/connections/abc/other", "/healthz/x", "/nothing", "/connections/a/b/c", "/client.js/x", "/events/abc"])
    func anUnknownPathIs404(path: String) {
        #expect(self.table.match(.GET, path: path[...]) == .notFound)
    }
}

/// The query parser.
struct QueryParametersTests {
    @Test func plusAndPercentEscapesAreDecoded() {
        let query = QueryParameters(target: "/x?reason=bye+now&code=4000&emoji=%F0%9F%91%8B&plus=%2B&bad=%zz%4&empty&=v")
        #expect(query["reason"] == "bye now")
        #expect(query["code"] == "4000")
        #expect(query["emoji"] == "👋")
        #expect(query["plus"] == "+")
        #expect(query["bad"] == "%zz%4")
        #expect(query["empty"] == "")
        #expect(query[""] == "v")
        #expect(query["missing"] == nil)
    }

    @Test func theFirstValueOfANameWins() {
        #expect(QueryParameters(target: "/x?a=1&a=2")["a"] == "1")
    }

    @Test func aTargetWithoutAQueryHasNone() {
        #expect(QueryParameters(target: "/x").pairs.isEmpty)
        #expect(QueryParameters(target: "/x?").pairs.isEmpty)
    }
}
