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
        var allowed: [HTTPMethod] = []
        for route in self.routes {
            guard let id = Self.fit(route.segments, path.utf8) else { continue }
            if route.method == method { return .endpoint(route.endpoint, connectionID: id.map { String(Substring(path.utf8[$0])) }) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// The name of the route that `method` and `path` reach, or of the method and the pattern
    /// that the path fits when the method is not allowed; `nil` for an unknown path.
    func name(of method: HTTPMethod, path: Substring) -> String? {
        var fit: Route?
        for route in self.routes where Self.fit(route.segments, path.utf8) != nil {
            if route.method == method { return route.name }
            fit = fit ?? route
        }
        return fit.map { "\(method.rawValue) \($0.pattern)" }
    }

    /// Whether `path` fits the pattern's segments: `nil` if not, else the range of its `{id}`
    /// segment if it has one. It walks the bytes in place: every request is matched twice, once
    /// to route it and once to count its response.
    private static func fit(_ patternSegments: [[UInt8]?], _ path: Substring.UTF8View) -> Range<String.Index>?? {
        var start = path.startIndex
        var id: Range<String.Index>?
        for (number, expected) in patternSegments.enumerated() {
            let end = path[start...].firstIndex(of: UInt8(ascii: "/")) ?? path.endIndex
            // Only the pattern's last segment ends the path.
            let isLast = number == patternSegments.count - 1
            guard isLast == (end == path.endIndex) else { return nil }
            if let expected {
                guard expected.elementsEqual(path[start..<end]) else { return nil }
            } else {
                guard start < end else { return nil }
                id = start..<end
            }
            start = isLast ? end : path.index(after: end)
        }
        return .some(id)
    }
}
