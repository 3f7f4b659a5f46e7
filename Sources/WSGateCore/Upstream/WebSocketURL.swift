import Foundation
import NIOCore

/// A parsed `ws://` or `wss://` URL: where to connect and what to ask for.
public struct WebSocketURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL as the client gave it.
    public var description: String
    /// Whether the connection uses TLS (`wss`).
    public var isSecure: Bool
    /// The host name (punycoded when international) or IP address, without IPv6 brackets.
    public var host: String
    /// The TCP port: the URL's, or 80 for `ws` and 443 for `wss`.
    public var port: Int
    /// The path and query sent in the request line, exactly as given (`/` when empty).
    public var requestTarget: String

    /// Whether the host is an IPv4 or IPv6 address rather than a name.
    public var isIPAddress: Bool {
        (try? SocketAddress(ipAddress: self.host, port: self.port)) != nil
    }

    /// The value of the handshake's `Host` header.
    public var hostHeader: String {
        // Bytes, not Foundation's substring search, which a string literal argument would pick.
        let name = host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
        return port == (isSecure ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// The scheme, host and port, for logs: the path and query, which may hold secrets, are left out.
    public var origin: String {
        "\(self.isSecure ? "wss" : "ws")://\(self.hostHeader)"
    }

    /// Parses `text`, accepting only absolute `ws` and `wss` URLs with a host and no fragment.
    public init(_ text: String) throws(InvalidInputError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw InvalidInputError("\"\(text)\" is not a valid URL.")
        }
        guard scheme == "ws" || scheme == "wss" else {
            throw InvalidInputError("The URL scheme must be ws or wss, not \(scheme).")
        }
        // The IDNA (punycode) form of a name, which resolvers and the Host header take.
        var host = components.encodedHost ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else {
            throw InvalidInputError("The URL \"\(text)\" has no host.")
        }
        guard components.user == nil, components.password == nil else {
            throw InvalidInputError("Credentials in the URL are not supported; send an Authorization header in \"config.headers\".")
        }
        guard components.fragment == nil else {
            throw InvalidInputError("A WebSocket URL may not have a fragment (#…).")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw InvalidInputError("The port \(port) is out of range.")
        }
        self.description = text
        self.isSecure = scheme == "wss"
        self.host = host
        self.port = components.port ?? (isSecure ? 443 : 80)
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        self.requestTarget = components.percentEncodedQuery.map { "\(path)?\($0)" } ?? path
    }
}
