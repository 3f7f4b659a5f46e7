import Foundation

/// An HTTP proxy that opens tunnels with `CONNECT`: `http://[user:password@]host[:port]`.
public struct HTTPProxy: Sendable, Equatable, CustomStringConvertible {
    /// The proxy's host name or IP address, without IPv6 brackets.
    public var host: String
    /// Its port: the URL's, or 1080 as curl takes it.
    public var port: Int
    /// The `Proxy-Authorization` value for the URL's credentials, if it has any.
    var authorization: String?

    /// `http://host:port`: what logs and errors show, never the credentials.
    public var description: String {
        let name = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "http://\(name):\(self.port)"
    }

    /// Parses a proxy URL; a URL without a scheme is taken as `http://`, as curl does.
    public init(_ text: String) throws(InvalidInputError) {
        let withScheme = text.contains("://") ? text : "http://\(text)"
        guard let components = URLComponents(string: withScheme), let scheme = components.scheme?.lowercased() else {
            throw InvalidInputError("The proxy \"\(Self.redacted(text))\" is not a valid URL.")
        }
        guard scheme == "http" else {
            throw InvalidInputError("The proxy's scheme must be http (a CONNECT proxy), not \(scheme).")
        }
        var host = components.encodedHost ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw InvalidInputError("The proxy URL has no host.") }
        if let port = components.port, !(1...65535).contains(port) {
            throw InvalidInputError("The proxy's port \(port) is out of range.")
        }
        guard components.percentEncodedPath.isEmpty || components.percentEncodedPath == "/", components.query == nil else {
            throw InvalidInputError("The proxy URL may have no path or query.")
        }
        self.host = host
        self.port = components.port ?? 1080
        if let user = components.user {
            let credentials = "\(user):\(components.password ?? "")"
            self.authorization = "Basic " + Data(credentials.utf8).base64EncodedString()
        }
    }

    /// `text` with any password replaced, for error messages.
    private static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let start = text.range(of: "://")?.upperBound ?? text.startIndex
        return text[..<start] + "…" + text[at...]
    }
}

/// Whether a connection goes through a proxy: the `proxy` key of a connection config.
public enum ProxySetting: Sendable, Equatable {
    /// The proxy of the environment (`https_proxy`, `http_proxy`, `all_proxy`), if any.
    case environment
    /// No proxy, whatever the environment says.
    case none
    /// This proxy.
    case proxy(HTTPProxy)
}
