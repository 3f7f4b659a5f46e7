import HTTPTypes
import Hummingbird

/// Which web origins may use the API, and the CORS headers that tell browsers so.
struct CORSPolicy: Sendable {
    /// The exact origins (`scheme://host[:port]`) allowed; `*` allows any.
    let allowedOrigins: Set<String>

    init(allowedOrigins: [String]) {
        self.allowedOrigins = Set(allowedOrigins)
    }

    /// Whether a request carrying `Origin: origin` is answered.
    func allows(_ origin: String) -> Bool {
        self.allowedOrigins.contains(origin) || self.allowedOrigins.contains("*")
    }

    /// Whether `request` is a CORS preflight.
    static func isPreflight(_ request: Request) -> Bool {
        request.method == .options && request.headers[.accessControlRequestMethod] != nil
    }

    /// The answer to a preflight from an allowed origin.
    func preflightResponse() -> Response {
        var response = Response(status: .noContent)
        response.headers[.accessControlAllowMethods] = "GET, POST, DELETE"
        response.headers[.accessControlAllowHeaders] = "Content-Type, Authorization, Last-Event-ID"
        response.headers[.accessControlMaxAge] = "600"
        return response
    }

    /// Adds the headers that let `origin` read a response with these `headers`.
    func permit(_ origin: String, toRead headers: inout HTTPFields, isPreflight: Bool = false) {
        if !isPreflight { headers[.accessControlExposeHeaders] = "Location" }
        headers[.accessControlAllowOrigin] = origin
        headers[.vary] = "Origin"
    }
}
