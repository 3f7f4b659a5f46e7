import Foundation
import WSGateServer

/// Builds the gateway's configuration: embedded defaults, the YAML file, `WSGATE_…`
/// environment variables, then the command line; each later source wins.
enum ConfigurationLoader {
    static func load(file: String?, listen: String?, logLevel: String?) async throws -> GatewayConfiguration {
        var configuration = try await GatewayConfiguration.load(file: file, environment: ProcessInfo.processInfo.environment)
        if let listen { try configuration.setListenAddress(listen) }
        if let logLevel { try configuration.setLogLevel(logLevel) }
        try configuration.validate()
        return configuration
    }
}
