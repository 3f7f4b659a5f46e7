import NIOHTTP1

/// The one router: finds where a request goes and whether it may go there, from its head alone,
/// so that a refusal can be answered before the body is read; then hands the complete request
/// to its endpoint.
struct APIRouter: Sendable {
    /// Where a request goes.
    enum Target: Sendable {
        /// An endpoint, with the connection id of an `{id}` path segment.
        case endpoint(Endpoint, connectionID: String?)
        /// A CORS preflight for a path that takes `allowed`.
        case preflight(allowed: [HTTPMethod])

        /// The connection id of the path, if it has one.
        var connectionID: String? {
            if case .endpoint(_, let id) = self { id } else { nil }
        }
    }

    /// Every route.
    let routes: RouteTable
    /// Who may ask, and what connections start from: the settings a reload replaces.
    let settings: LiveSettings
    /// What answers.
    let endpoints: APIEndpoints

    /// Where the request with `head` goes, or the error that refuses it: 403 or 401 for the
    /// access policy, 404 for an unknown path, 405 for a method the path does not take, 415 for a body
    /// the endpoint cannot read. A preflight is answered for any origin: the request it
    /// announces is checked itself, and refused with a 403 the page can read.
    func route(_ head: HTTPRequestHead) -> Result<Target, APIError> {
        let policy = self.settings.current.policy
        return Result { () throws(APIError) in
            try policy.checkHost(head)
            switch self.routes.match(head.method, path: Self.path(of: head)) {
            case .notFound:
                throw .noSuchEndpoint
            case .methodNotAllowed(let allowed):
                if AccessPolicy.isPreflight(head) { return .preflight(allowed: allowed) }
                try policy.checkOrigin(head)
                throw .methodNotAllowed(head.method, allowed: allowed)
            case .endpoint(let endpoint, let id):
                if !endpoint.isPublicFile { try policy.checkOrigin(head) }
                if endpoint.requiresToken { try policy.token.check(head) }
                if let accepted = APIEndpoints.acceptedMediaTypes(endpoint) {
                    let contentType = head.headers.first(name: "Content-Type")
                    guard let mediaType = APIRequest.mediaType(of: contentType), accepted.contains(mediaType) else {
                        throw .unsupportedMediaType(contentType, accepted: accepted)
                    }
                }
                return .endpoint(endpoint, connectionID: id)
            }
        }
    }

    /// The request's method and the pattern of the path it asks for, as the metrics label
    /// requests (`POST /connections/{id}/send`); `none` for an unknown path, or for bytes that
    /// are not HTTP.
    func routeName(of head: HTTPRequestHead?) -> String {
        head.flatMap { self.routes.name(of: $0.method, path: Self.path(of: $0)) } ?? "none"
    }

    /// The request target without its query.
    private static func path(of head: HTTPRequestHead) -> Substring {
        let uri = head.uri.utf8
        return Substring(uri[..<(uri.firstIndex(of: UInt8(ascii: "?")) ?? uri.endIndex)])
    }

    /// Answers a complete `request` for `target`.
    func respond(to target: Target, request: APIRequest) throws -> EndpointResponse {
        switch target {
        case .endpoint(let endpoint, _): try self.endpoints.respond(endpoint, to: request)
        case .preflight(let allowed): .complete(self.settings.current.policy.cors.preflightResponse(methods: allowed))
        }
    }
}
