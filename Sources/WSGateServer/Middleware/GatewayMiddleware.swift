import Hummingbird

/// The one middleware in front of every route: it refuses hosts and origins the policies do not
/// allow, answers CORS preflights, and turns every error a route throws into the API's JSON
/// error answer. One middleware rather than three, because each level of middleware keeps a
/// few KiB of task stack alive for as long as an event stream stays open.
struct GatewayMiddleware<Context: RequestContext>: RouterMiddleware {
    let hosts: HostPolicy
    let cors: CORSPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let authority = request.head.authority, !self.hosts.allows(authority) {
            return APIError(.forbidden, "host_forbidden", "Host \"\(authority)\" is not a loopback name or an allowed host.").response()
        }
        guard let origin = request.headers[.origin] else {
            return await self.respond(request, context, next)
        }
        guard self.cors.allows(origin) else {
            return APIError(.forbidden, "origin_forbidden", "Origin \"\(origin)\" is not in allowedOrigins.").response()
        }
        let isPreflight = CORSPolicy.isPreflight(request)
        var response = isPreflight ? self.cors.preflightResponse() : await self.respond(request, context, next)
        self.cors.permit(origin, toRead: &response.headers, isPreflight: isPreflight)
        return response
    }

    /// The route's response, or its error as the API's JSON error answer.
    private func respond(_ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response) async -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError(error)
            if apiError.code == "internal_error" {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            return apiError.response()
        }
    }
}
