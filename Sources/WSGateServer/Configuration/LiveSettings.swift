import NIOConcurrencyHelpers
import WSGateCore

/// The settings a configuration reload replaces while the gateway runs: who may ask (hosts,
/// origins, token) and the connection config new connections start from. Each request reads
/// them once, so that it is served under one set.
final class LiveSettings: Sendable {
    /// One consistent set.
    struct Values: Sendable {
        /// Who may use the API.
        var policy: AccessPolicy
        /// The connection config that a connect's `config` is applied to.
        var connectionDefaults: ConnectionConfig
    }

    private let box: NIOLockedValueBox<Values>

    /// The settings of `configuration`.
    init(_ configuration: GatewayConfiguration) {
        self.box = NIOLockedValueBox(Self.values(of: configuration))
    }

    /// The settings now.
    var current: Values { self.box.withLockedValue { $0 } }

    /// Takes the settings of `configuration` from the next request on.
    func replace(with configuration: GatewayConfiguration) {
        let values = Self.values(of: configuration)
        self.box.withLockedValue { $0 = values }
    }

    private static func values(of configuration: GatewayConfiguration) -> Values {
        Values(
            policy: AccessPolicy(
                hosts: HostPolicy(allowedHosts: configuration.allowedHosts),
                cors: CORSPolicy(allowedOrigins: configuration.allowedOrigins),
                token: BearerTokenPolicy(token: configuration.token)
            ),
            connectionDefaults: configuration.connectionDefaults
        )
    }
}
