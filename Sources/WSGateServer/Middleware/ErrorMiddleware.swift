import Hummingbird

/// Turns every error thrown by a route into the API's JSON error answer.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError(error)
            if apiError.status.code >= 500, apiError.code == "internal_error" {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            return apiError.response()
        }
    }
}
