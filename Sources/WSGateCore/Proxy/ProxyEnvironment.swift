import NIOCore

/// The proxies of the process environment, read as curl reads them: `https_proxy` (or
/// `HTTPS_PROXY`) for `wss`, `http_proxy` for `ws` (curl ignores `HTTP_PROXY`, which a CGI
/// request could set), then `all_proxy` (or `ALL_PROXY`); `no_proxy` (or `NO_PROXY`) lists the
/// hosts reached directly, whichever way the proxy was chosen.
public struct ProxyEnvironment: Sendable, Equatable {
    var httpProxy: HTTPProxy?
    var httpsProxy: HTTPProxy?
    var allProxy: HTTPProxy?
    /// The `no_proxy` entries, lowercased and without a leading dot.
    var noProxy: [String] = []

    /// No proxies.
    public init() {}

    /// The proxies of `environment`; an invalid proxy URL is an error naming its variable.
    public init(_ environment: [String: String]) throws(InvalidInputError) {
        /// The first of the variables `names` that is set and not empty.
        func value(_ names: String...) -> (name: String, text: String)? {
            names.lazy.compactMap { name in environment[name].flatMap { $0.isEmpty ? nil : (name, $0) } }.first
        }
        func proxy(_ variable: (name: String, text: String)?) throws(InvalidInputError) -> HTTPProxy? {
            guard let (name, text) = variable else { return nil }
            do {
                return try HTTPProxy(text)
            } catch {
                throw InvalidInputError("\(name): \(error.description)")
            }
        }
        self.httpProxy = try proxy(value("http_proxy"))
        self.httpsProxy = try proxy(value("https_proxy", "HTTPS_PROXY"))
        self.allProxy = try proxy(value("all_proxy", "ALL_PROXY"))
        self.noProxy = (value("no_proxy", "NO_PROXY")?.text ?? "").split(separator: ",").map {
            let entry = $0.trimmingCharacters(in: .whitespaces).lowercased()
            return entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
        }.filter { !$0.isEmpty }
    }

    /// The proxy a connection to `url` goes through under `setting`, or `nil` for none.
    func proxy(for url: WebSocketURL, setting: ProxySetting) -> HTTPProxy? {
        let proxy: HTTPProxy?
        switch setting {
        case .none: return nil
        case .proxy(let configured): proxy = configured
        case .environment: proxy = (url.isSecure ? self.httpsProxy : self.httpProxy) ?? self.allProxy
        }
        return self.bypasses(url.host) ? nil : proxy
    }

    /// Whether `host` is in `no_proxy`: `*`, the host itself, a domain it is in, or an address
    /// range that holds it.
    func bypasses(_ host: String) -> Bool {
        let host = host.lowercased()
        let address = try? SocketAddress(ipAddress: host, port: 0)
        return self.noProxy.contains { entry in
            if entry == "*" || entry == host || host.hasSuffix("." + entry) { return true }
            guard entry.contains("/"), let address, let network = try? IPNetwork(entry) else { return false }
            return network.contains(address)
        }
    }
}
