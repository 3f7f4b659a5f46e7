import Logging
import NIOCore
import WSGateCore

/// Everything the gateway can be configured with. The defaults are the embedded configuration
/// that `config/wsgate.yaml` documents.
public struct GatewayConfiguration: Sendable, Equatable {
    /// The address to listen on; loopback by default.
    public var host = "127.0.0.1"
    /// The TCP port to listen on; 0 picks a free one.
    public var port = 8787
    /// The log level.
    public var logLevel = Logger.Level.info
    /// Connection limits, timings and history sizes.
    public var pool = PoolSettings()
    /// The HTTP front end's limits: connections, idle timeout, body and target sizes.
    public var http = HTTPLimits()
    /// How often an idle event stream gets a `: keepalive` comment.
    public var keepaliveInterval = Duration.seconds(15)
    /// Host names accepted besides loopback ones (`*` for any).
    public var allowedHosts: [String] = []
    /// Web origins allowed to use the API (`*` for any).
    public var allowedOrigins: [String] = []
    /// The bearer token API requests need; `nil` for none.
    public var token: String?
    /// Whether listening on a non-loopback address without a token is allowed.
    public var allowsRemoteWithoutToken = false
    /// The connection config every `POST /connections` starts from.
    public var connectionDefaults = ConnectionConfig()

    /// The embedded defaults.
    public init() {}

    /// Sets `host` and `port` from `HOST:PORT` or `[IPv6]:PORT`.
    public mutating func setListenAddress(_ text: String) throws(InvalidInputError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw InvalidInputError("The listen address \"\(text)\" is not HOST:PORT.")
        }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw InvalidInputError("The listen address \"\(text)\" has no host.") }
        self.host = String(host)
        self.port = port
    }

    /// Throws for a configuration that must not run: listening beyond loopback without a token,
    /// unless `allowsRemoteWithoutToken` says so.
    public func validate() throws(InvalidInputError) {
        if self.token == nil, !self.allowsRemoteWithoutToken, !HostPolicy.isLoopback(self.host.lowercased()) {
            throw InvalidInputError(
                "Listening on \(self.host) makes the gateway reachable from the network, and no token is set. "
                    + "Set security.token or security.tokenFile, or security.allowRemoteWithoutToken: true to accept the risk."
            )
        }
    }

    /// Sets `logLevel` from its name: trace, debug, info, notice, warning, error or critical.
    public mutating func setLogLevel(_ name: String) throws(InvalidInputError) {
        guard let level = Logger.Level(rawValue: name.lowercased()) else {
            throw InvalidInputError("The log level \"\(name)\" is not one of trace, debug, info, notice, warning, error, critical.")
        }
        self.logLevel = level
    }
}
