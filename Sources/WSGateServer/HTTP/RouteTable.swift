import NIOHTTP1

/// The API's endpoints, by what they do.
enum Endpoint: Sendable, Equatable, CaseIterable {
    /// `GET /healthz`.
    case health
    /// `GET /readyz`.
    case readiness
    /// `GET /connections`.
    case listConnections
    /// `POST /connections`: the plugin's `connect(url, config)`.
    case openConnection
    /// `GET /connections/<id>`.
    case connectionInfo
    /// `DELETE /connections/<id>`: the plugin's `disconnect()`.
    case closeConnection
    /// `POST /connections/<id>/send`: the plugin's `send(message)`.
    case send
    /// `GET /connections/<id>/events`: the plugin's `addListener(cb)`.
    case events
    /// `GET /events?connections=…`: the events of several connections in one stream.
    case multiplexedEvents
    /// `GET /`: the console page.
    case consolePage
    /// `GET /client.js`: the plugin's API for browsers.
    case clientModule
    /// `GET /client.d.ts`: its types.
    case clientTypes
    /// `GET /metrics`: the Prometheus text format.
    case metrics
    /// `GET /openapi.json`: the API described in OpenAPI 3.1.
    case openAPIDocument

    /// Whether the endpoint serves a file for pages of any origin: code and a page, no data.
    var isPublicFile: Bool {
        switch self {
        case .consolePage, .clientModule, .clientTypes: true
        default: false
        }
    }

    /// Whether a configured bearer token is needed: for all but health checks and public files.
    var requiresToken: Bool {
        !self.isPublicFile && self != .health && self != .readiness
    }
}

/// Which endpoint a method and path reach: every route of the API in one table.
struct RouteTable: Sendable {
    /// One route: a method, a path pattern whose `{id}` segment is a connection id, and its endpoint.
    struct Route: Sendable, Equatable {
        /// The method.
        let method: HTTPMethod
        /// The path pattern, such as `/connections/{id}/send`.
        let pattern: String
        /// The endpoint it reaches.
        let endpoint: Endpoint
        /// The method and pattern, as the metrics label requests: `POST /connections/{id}/send`.
        let name: String
        /// The pattern's segments as bytes, `nil` for the `{id}` segment, split once.
        fileprivate let segments: [[UInt8]?]

        /// A route of `method` and `pattern` to `endpoint`.
        init(method: HTTPMethod, pattern: String, endpoint: Endpoint) {
            self.method = method
            self.pattern = pattern
            self.endpoint = endpoint
            self.name = "\(method.rawValue) \(pattern)"
            self.segments = pattern.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map { segment in
                segment.elementsEqual(RouteTable.idSegment.utf8) ? nil : Array(segment)
            }
        }
    }

    /// What a request's method and path reach.
    enum Match: Equatable {
        /// An endpoint, with the connection id of an `{id}` segment.
        case endpoint(Endpoint, connectionID: String?)
        /// A known path that does not take this method; `allowed` lists those it takes.
        case methodNotAllowed(allowed: [HTTPMethod])
        /// No route has this path.
        case notFound
    }

    /// The segment of a pattern that matches any connection id.
    static let idSegment = "{id}"

    /// The API's routes.
    static let api = RouteTable(routes: [
        Route(method: .GET, pattern: "/healthz", endpoint: .health),
        Route(method: .GET, pattern: "/readyz", endpoint: .readiness),
        Route(method: .GET, pattern: "/connections", endpoint: .listConnections),
        Route(method: .POST, pattern: "/connections", endpoint: .openConnection),
        Route(method: .GET, pattern: "/connections/{id}", endpoint: .connectionInfo),
        Route(method: .DELETE, pattern: "/connections/{id}", endpoint: .closeConnection),
        Route(method: .POST, pattern: "/connections/{id}/send", endpoint: .send),
        Route(method: .GET, pattern: "/connections/{id}/events", endpoint: .events),
        Route(method: .GET, pattern: "/events", endpoint: .multiplexedEvents),
        Route(method: .GET, pattern: "/", endpoint: .consolePage),
        Route(method: .GET, pattern: "/client.js", endpoint: .clientModule),
        Route(method: .GET, pattern: "/client.d.ts", endpoint: .clientTypes),
        Route(method: .GET, pattern: "/metrics", endpoint: .metrics),
        Route(method: .GET, pattern: "/openapi.json", endpoint: .openAPIDocument),
    ])

    /// Every route, in the order they are tried.
    let routes: [Route]

    /// Matches `method` and `path` (the request target without its query).
    func match(_ method: HTTPMethod, path: Substring) -> Match {
        let segments = Self.segments(of: path)
        var allowed: [HTTPMethod] = []
        for route in self.routes {
            guard let id = Self.match(route.segments, segments) else { continue }
            if route.method == method { return .endpoint(route.endpoint, connectionID: id) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// The name of the route that `method` and `path` reach, or of the method and the pattern
    /// that the path fits when the method is not allowed; `nil` for an unknown path.
    func name(of method: HTTPMethod, path: Substring) -> String? {
        let segments = Self.segments(of: path)
        var fit: Route?
        for route in self.routes where Self.match(route.segments, segments) != nil {
            if route.method == method { return route.name }
            fit = fit ?? route
        }
        return fit.map { "\(method.rawValue) \($0.pattern)" }
    }

    /// The path's segments, compared as bytes: matching runs for every request, twice.
    private static func segments(of path: Substring) -> [Substring.UTF8View.SubSequence] {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    }

    /// Whether `segments` fit the pattern's: `nil` if not, else the `{id}` segment's value if it has one.
    private static func match(_ patternSegments: [[UInt8]?], _ segments: [Substring.UTF8View.SubSequence]) -> String?? {
        guard patternSegments.count == segments.count else { return nil }
        var id: String?
        for (expected, actual) in zip(patternSegments, segments) {
            if let expected {
                guard expected.elementsEqual(actual) else { return nil }
            } else {
                guard !actual.isEmpty else { return nil }
                id = String(Substring(actual))
            }
        }
        return .some(id)
    }
}
