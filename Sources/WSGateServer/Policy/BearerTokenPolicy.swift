import NIOHTTP1

/// The bearer token that API requests must carry when one is configured: as
/// `Authorization: Bearer <token>`, or as `?access_token=<token>` (an `EventSource` cannot send
/// headers). The comparison takes the same time whatever the guess.
struct BearerTokenPolicy: Sendable {
    /// The configured token's bytes; `nil` when none is set and every request passes.
    private let expected: [UInt8]?

    /// A policy for `token`; without one, every request passes.
    init(token: String?) {
        self.expected = token.map { Array($0.utf8) }
    }

    /// Throws 401 `unauthorized`, with `WWW-Authenticate: Bearer`, for a request without the token.
    func check(_ head: HTTPRequestHead) throws(APIError) {
        guard let expected = self.expected else { return }
        guard let presented = Self.presentedToken(head) else {
            throw Self.unauthorized("This gateway needs a bearer token: send Authorization: Bearer <token> or ?access_token=<token>.")
        }
        guard Self.constantTimeEquals(Array(presented.utf8), expected) else {
            throw Self.unauthorized("The bearer token is wrong.")
        }
    }

    /// The token the request carries, from `Authorization` or the query.
    private static func presentedToken(_ head: HTTPRequestHead) -> Substring? {
        if let authorization = head.headers.first(name: "Authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            return parts[1].drop { $0 == " " }
        }
        return QueryParameters(target: head.uri[...])["access_token"].map { Substring($0) }
    }

    /// Whether `presented` equals `expected`, in a time that depends only on `expected`'s length.
    static func constantTimeEquals(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference: UInt8 = presented.count == expected.count ? 0 : 1
        for index in expected.indices {
            difference |= (index < presented.count ? presented[index] : 0) ^ expected[index]
        }
        return difference == 0
    }

    private static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, "unauthorized", message)
        error.headers.add(name: "WWW-Authenticate", value: "Bearer")
        return error
    }
}
