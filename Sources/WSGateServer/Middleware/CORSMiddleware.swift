import HTTPTypes
import Hummingbird

/// Lets the configured web origins use the API and refuses every other origin.
///
/// Requests without `Origin` (curl, scripts) pass untouched. For an allowed origin, preflights
/// are answered and responses carry `Access-Control-Allow-Origin`; any other origin gets 403.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The exact origins (`scheme://host[:port]`) allowed; `*` allows any.
    let allowedOrigins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else {
            return try await next(request, context)
        }
        guard self.allowedOrigins.contains(origin) || self.allowedOrigins.contains("*") else {
            return APIError(.forbidden, "origin_forbidden", "Origin \"\(origin)\" is not in allowedOrigins.").response()
        }
        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, DELETE"
            response.headers[.accessControlAllowHeaders] = "Content-Type, Authorization, Last-Event-ID"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response = try await next(request, context)
            response.headers[.accessControlExposeHeaders] = "Location"
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        return response
    }
}
