import Logging
import NIOCore
import WSGateCore

/// Everything the gateway can be configured with. The defaults are the embedded configuration
/// that `config/wsgate.yaml` documents.
public struct GatewayConfiguration: Sendable, Equatable {
    /// The addresses to listen on; loopback by default.
    public var listen: [ListenAddress] = [.tcp(host: "127.0.0.1", port: 8787)]
    /// The file mode of a Unix socket listened on (owner and group may connect, by default).
    public var unixSocketMode: UInt16 = 0o660
    /// The group that owns a Unix socket listened on, if not the process's.
    public var unixSocketGroup: String?
    /// The log level.
    public var logLevel = Logger.Level.info
    /// How log lines are written: `text` for people, `json` (one object per line) for journald and shippers.
    public var logFormat = LogFormat.text
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

    /// Sets `listen` from addresses such as `127.0.0.1:8787`, `[::1]:8787` or `unix:/run/wsgate.sock`.
    public mutating func setListenAddresses(_ texts: [String]) throws(InvalidInputError) {
        guard !texts.isEmpty else { throw InvalidInputError("listen needs at least one address.") }
        var addresses: [ListenAddress] = []
        for text in texts { addresses.append(try ListenAddress(text)) }
        self.listen = addresses
    }

    /// Throws for a configuration that must not run: listening beyond loopback without a token,
    /// unless `allowsRemoteWithoutToken` says so.
    public func validate() throws(InvalidInputError) {
        if self.token == nil, !self.allowsRemoteWithoutToken, let remote = self.listen.first(where: { !$0.isLocal }) {
            throw InvalidInputError(
                "Listening on \(remote) makes the gateway reachable from the network, and no token is set. "
                    + "Set security.token or security.tokenFile, or security.allowRemoteWithoutToken: true to accept the risk."
            )
        }
    }

    /// Sets `logFormat` from its name: text or json.
    public mutating func setLogFormat(_ name: String) throws(InvalidInputError) {
        guard let format = LogFormat(rawValue: name.lowercased()) else {
            throw InvalidInputError("The log format \"\(name)\" is not text or json.")
        }
        self.logFormat = format
    }

    /// Sets `logLevel` from its name: trace, debug, info, notice, warning, error or critical.
    public mutating func setLogLevel(_ name: String) throws(InvalidInputError) {
        guard let level = Logger.Level(rawValue: name.lowercased()) else {
            throw InvalidInputError("The log level \"\(name)\" is not one of trace, debug, info, notice, warning, error, critical.")
        }
        self.logLevel = level
    }
}

/// How log lines are written.
public enum LogFormat: String, Sendable, Equatable {
    /// swift-log's text lines.
    case text
    /// One JSON object per line.
    case json
}
