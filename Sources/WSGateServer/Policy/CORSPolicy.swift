import NIOHTTP1

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

    /// The answer to a preflight from an allowed origin for a path that takes `methods`.
    func preflightResponse(methods: [HTTPMethod]) -> APIResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Access-Control-Allow-Methods", value: methods.map(\.rawValue).joined(separator: ", "))
        headers.add(name: "Access-Control-Allow-Headers", value: "Content-Type, Authorization, Last-Event-ID")
        headers.add(name: "Access-Control-Max-Age", value: "600")
        return APIResponse(status: .noContent, headers: headers)
    }

    /// Adds the headers that let `origin`, which must be allowed, read a response with these `headers`.
    func permit(_ origin: String, toRead headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: origin)
        headers.replaceOrAdd(name: "Access-Control-Expose-Headers", value: "Location")
        headers.replaceOrAdd(name: "Vary", value: "Origin")
    }
}
