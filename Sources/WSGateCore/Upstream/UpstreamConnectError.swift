/// Why an upstream WebSocket connection could not be opened.
public enum UpstreamConnectError: Error, Equatable, CustomStringConvertible {
    /// DNS resolution or the TCP connection failed.
    case connectFailed(String)
    /// The TLS handshake failed, for example on an untrusted certificate.
    case tlsFailed(String)
    /// The server answered, but not with an acceptable WebSocket upgrade; `status` is its HTTP status.
    case handshakeFailed(status: Int?, String)
    /// Connect, TLS and handshake together took longer than the connection's timeout.
    case timedOut(milliseconds: Int)
    /// The egress policy does not allow the upstream; the reason names the rule.
    case forbidden(String)
    /// The HTTP proxy (named without credentials) could not be reached or broke the tunnel.
    case proxyFailed(proxy: String, String)
    /// The HTTP proxy answered `CONNECT` with `status`.
    case proxyRefused(proxy: String, status: Int, String)
    /// The HTTP proxy did not open the tunnel within the connect timeout.
    case proxyTimedOut(proxy: String, milliseconds: Int)

    /// The reason as a sentence.
    public var description: String {
        switch self {
        case .connectFailed(let detail): "Could not connect to the upstream: \(detail)"
        case .tlsFailed(let detail): "The TLS handshake with the upstream failed: \(detail)"
        case .handshakeFailed(_, let detail): "The WebSocket handshake failed: \(detail)"
        case .timedOut(let milliseconds): "The upstream did not complete the handshake within \(milliseconds) ms."
        case .forbidden(let reason): reason
        case .proxyFailed(let proxy, let detail): "Could not open a tunnel through the proxy \(proxy): \(detail)"
        case .proxyRefused(_, _, let detail): detail
        case .proxyTimedOut(let proxy, let milliseconds): "The proxy \(proxy) did not open the tunnel within \(milliseconds) ms."
        }
    }
}
