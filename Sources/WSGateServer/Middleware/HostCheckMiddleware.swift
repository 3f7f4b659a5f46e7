import Hummingbird

/// Refuses requests whose `Host` is neither a loopback name or address nor an allowed host,
/// so that a web page cannot reach the gateway through DNS rebinding.
struct HostCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Extra host names (without port) to accept, lowercased; `*` accepts any.
    let allowedHosts: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authority = request.head.authority, !self.isAllowed(authority) else {
            return try await next(request, context)
        }
        return APIError(.forbidden, "host_forbidden", "Host \"\(authority)\" is not a loopback name or an allowed host.").response()
    }

    private func isAllowed(_ authority: String) -> Bool {
        let host = Self.hostName(of: authority).lowercased()
        return self.allowedHosts.contains("*") || self.allowedHosts.contains(host) || Self.isLoopback(host)
    }

    /// The host part of `host[:port]` or `[v6][:port]`, without brackets.
    static func hostName(of authority: String) -> Substring {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
            return authority[authority.index(after: authority.startIndex)..<end]
        }
        return authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    /// `localhost`, any `*.localhost`, 127.0.0.0/8 and ::1.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
