import NIOHTTP1

/// The one place that decides who may use the API: a request must name an allowed `Host`, and
/// a browser's request an allowed `Origin`. Each response to an allowed origin carries the CORS
/// headers that let the page read it.
struct AccessPolicy: Sendable {
    /// Which `Host` values are answered.
    let hosts: HostPolicy
    /// Which origins may call, and their CORS headers.
    let cors: CORSPolicy

    /// Throws the 403 for a request whose `Host` or `Origin` is not allowed. A page the gateway
    /// served itself (the console) is of the gateway's own origin, which is always allowed.
    func check(_ head: HTTPRequestHead) throws(APIError) {
        let authority = head.headers.first(name: "Host")
        if let authority, !self.hosts.allows(authority) {
            throw APIError(.forbidden, "host_forbidden", "Host \"\(authority)\" is not a loopback name or an allowed host.")
        }
        if let origin = head.headers.first(name: "Origin"), origin != authority.map({ "http://\($0)" }), !self.cors.allows(origin) {
            throw APIError(.forbidden, "origin_forbidden", "Origin \"\(origin)\" is not in allowedOrigins.")
        }
    }

    /// Whether `head` is a CORS preflight.
    static func isPreflight(_ head: HTTPRequestHead) -> Bool {
        head.method == .OPTIONS && head.headers.contains(name: "Origin") && head.headers.contains(name: "Access-Control-Request-Method")
    }

    /// Adds the CORS headers to a response to `request` when it comes from an allowed origin.
    func addCORSHeaders(for request: HTTPRequestHead?, to headers: inout HTTPHeaders) {
        guard let origin = request?.headers.first(name: "Origin"), self.cors.allows(origin) else { return }
        self.cors.permit(origin, toRead: &headers)
    }
}
