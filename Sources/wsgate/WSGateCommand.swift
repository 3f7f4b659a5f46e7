import ArgumentParser
import Logging
import NIOCore
import ServiceLifecycle
import WSGateServer

/// `wsgate [--config FILE] [--listen HOST:PORT] [--log-level L]`: runs the gateway until SIGTERM or SIGINT.

struct WSGateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsgate",
        abstract: "A local gateway that lets plain HTTP clients use WebSockets through REST and Server-Sent Events."
    )

    @Option(name: .long, help: "A YAML config file; without it the embedded defaults apply.")
    var config: String?

    @Option(name: .long, help: "The address to listen on, HOST:PORT (default 127.0.0.1:8787).")
    var listen: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    func run() async throws {
        let configuration = try await ConfigurationLoader.load(file: self.config, listen: self.listen, logLevel: self.logLevel)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "wsgate")
        let notifier = SystemdNotifier()
        let gateway = Gateway(configuration: configuration, logger: logger)
        let services = gateway.services { channel in
            let address = channel.localAddress.map { "\($0.ipAddress ?? configuration.host):\($0.port ?? configuration.port)" }
            logger.info("listening", metadata: ["address": "\(address ?? "?")"])
            notifier.notify("READY=1\nSTATUS=Listening on \(address ?? "?")")
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services + [StoppingNotificationService(notifier: notifier)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        logger.info("stopped")
    }
}
