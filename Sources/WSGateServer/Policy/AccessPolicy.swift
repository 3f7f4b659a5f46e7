import NIOHTTP1

/// The one place that decides who may use the API: a request must name an allowed `Host`, a
/// browser's request an allowed `Origin`, and, when one is configured, carry the bearer token.
/// Each response to a browser carries the CORS headers that let the page read it.
struct AccessPolicy: Sendable {
    /// Which `Host` values are answered.
    let hosts: HostPolicy
    /// Which origins may call, and their CORS headers.
    let cors: CORSPolicy
    /// The bearer token requests need, if one is set.
    var token = BearerTokenPolicy(token: nil)

    /// Throws the 403 for a request whose `Host` is not allowed.
    func checkHost(_ head: HTTPRequestHead) throws(APIError) {
        if let authority = head.headers.first(name: "Host"), !self.hosts.allows(authority) {
            throw APIError(.forbidden, "host_forbidden", "Host \"\(authority)\" is not a loopback name or an allowed host.")
        }
    }

    /// Throws the 403 for a browser's request from an origin that is not allowed. A page the
    /// gateway served itself (the console) is of the gateway's own origin, always allowed.
    func checkOrigin(_ head: HTTPRequestHead) throws(APIError) {
        let ownOrigin = head.headers.first(name: "Host").map { "http://\($0)" }
        if let origin = head.headers.first(name: "Origin"), origin != ownOrigin, !self.cors.allows(origin) {
            throw APIError(.forbidden, "origin_forbidden", "Origin \"\(origin)\" is not in security.allowedOrigins.")
        }
    }

    /// Whether `head` is a CORS preflight.
    static func isPreflight(_ head: HTTPRequestHead) -> Bool {
        head.method == .OPTIONS && head.headers.contains(name: "Origin") && head.headers.contains(name: "Access-Control-Request-Method")
    }

    /// Adds the CORS headers that let the page of the request's origin read the response. An
    /// origin that is not allowed only ever gets public files and the 403 that says why it is
    /// refused: the check above guards the API, and a page that can read its refusal can show it.
    func addCORSHeaders(for request: HTTPRequestHead?, to headers: inout HTTPHeaders) {
        guard let origin = request?.headers.first(name: "Origin") else { return }
        self.cors.permit(origin, toRead: &headers)
    }
}
