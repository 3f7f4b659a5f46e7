import Configuration
import SystemPackage
import WSGateServer

/// Builds the gateway's configuration: embedded defaults, then the YAML file, then `WSGATE_…`
/// environment variables, then the command line; each later source wins.
enum ConfigurationLoader {
    static func load(file: String?, listen: String?, logLevel: String?) async throws -> GatewayConfiguration {
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider().prefixKeys(with: "wsgate")]
        if let file {
            providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(file)))
        }
        var configuration = try GatewayConfiguration(reader: ConfigReader(providers: providers))
        if let listen { try configuration.setListenAddress(listen) }
        if let logLevel { try configuration.setLogLevel(logLevel) }
        return configuration
    }
}
