import Foundation
import WSGateServer

/// Builds the gateway's configuration: embedded defaults, the YAML file, `WSGATE_…`
/// environment variables, then the command line; each later source wins. Sockets passed by
/// systemd replace the configured addresses.
enum ConfigurationLoader {
    static func load(file: String?, listen: [String], logLevel: String?) async throws -> GatewayConfiguration {
        let environment = ProcessInfo.processInfo.environment
        var configuration = try await GatewayConfiguration.load(file: file, environment: environment)
        if !listen.isEmpty { try configuration.setListenAddresses(listen) }
        if let inherited = SocketActivation.inheritedListeners(environment: environment) { configuration.listen = inherited }
        if let logLevel { try configuration.setLogLevel(logLevel) }
        try configuration.validate()
        return configuration
    }
}
