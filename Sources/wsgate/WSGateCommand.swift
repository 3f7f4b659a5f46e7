import ArgumentParser
import Logging
import NIOCore
import ServiceLifecycle
import WSGateServer

/// `wsgate`: the gateway's command line. Without a subcommand it serves.
struct WSGateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsgate",
        abstract: "A local gateway that lets plain HTTP clients use WebSockets through REST and Server-Sent Events.",
        discussion: """
            Configuration comes from the embedded defaults, then the YAML file (--config), then \
            WSGATE_… environment variables (WSGATE_LIMITS_MAX_CONNECTIONS for limits.maxConnections), \
            then the options; config/wsgate.yaml documents every key. The console is at http://<listen>/.
            """,
        version: "wsgate \(version)",
        subcommands: [Serve.self, CheckConfig.self, PrintToken.self],
        defaultSubcommand: Serve.self
    )

    /// The release this binary is.
    static let version = "0.1.0"
}

/// `wsgate [serve] [--config FILE] [--listen HOST:PORT] [--log-level L]`: runs the gateway until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway until SIGTERM or SIGINT (the default).",
        discussion: "Under systemd it reports READY=1 once it listens and STOPPING=1 when it stops."
    )

    @Option(name: .long, help: "A YAML config file; without it the embedded defaults apply.")
    var config: String?

    @Option(name: .long, help: "An address to listen on, repeatable: HOST:PORT, [IPv6]:PORT or unix:/PATH (default 127.0.0.1:8787).")
    var listen: [String] = []

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(name: .long, help: "text, or json for one JSON object per line (journald, log shippers).")
    var logFormat: String?

    func run() async throws {
        var configuration = try await ConfigurationLoader.load(file: self.config, listen: self.listen, logLevel: self.logLevel)
        if let logFormat { try configuration.setLogFormat(logFormat) }
        let levels = LogLevelSwitch(configuration.logLevel)
        let format = configuration.logFormat
        LoggingSystem.bootstrap { label in
            let base: any LogHandler = format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            return SwitchedLogHandler(base: base, levels: levels)
        }
        let logger = Logger(label: "wsgate")
        let notifier = SystemdNotifier()
        let gateway = Gateway(configuration: configuration, logger: logger)
        let services = gateway.services { channels in
            let addresses = channels.map { channel in
                switch channel.localAddress {
                case let address? where address.protocol == .unix: "unix:\(address.pathname ?? "?")"
                case let address?: "\(address.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "?"):\(address.port ?? 0)"
                case nil: "?"
                }
            }
            for address in addresses { logger.info("listening", metadata: ["address": "\(address)"]) }
            notifier.notify("READY=1\nSTATUS=Listening on \(addresses.joined(separator: ", "))")
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services + [
                    ReloadService(
                        file: self.config, listen: self.listen, logLevel: self.logLevel, gateway: gateway, levels: levels,
                        notifier: notifier, logger: logger
                    ),
                    StoppingNotificationService(notifier: notifier),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        logger.info("stopped")
    }
}
