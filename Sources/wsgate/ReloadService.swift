#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle
import UnixSignals
import WSGateServer

/// Reloads the configuration on SIGHUP (the unit's `ExecReload=`) without dropping a connection:
/// the log level, allowed hosts and origins, the token, the limits and the connection defaults
/// apply at once; a change that needs a restart is logged as such. A configuration that does not
/// load leaves the running one in place.
struct ReloadService: Service {
    /// Where the configuration is loaded from, as at the start.
    let file: String?
    let listen: [String]
    let logLevel: String?
    let gateway: Gateway
    let levels: LogLevelSwitch
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            self.notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
            do {
                var new = try await ConfigurationLoader.load(file: self.file, listen: self.listen, logLevel: self.logLevel)
                // Sockets from systemd stay the listeners; the environment that named them is gone.
                if self.gateway.configuration.listen.contains(where: { if case .inherited = $0 { true } else { false } }) {
                    new.listen = self.gateway.configuration.listen
                }
                let needRestart = self.gateway.reload(new)
                self.levels.level = new.logLevel
                if needRestart.isEmpty {
                    self.logger.notice("configuration reloaded")
                } else {
                    self.logger.warning(
                        "configuration reloaded; these changes apply at the next start",
                        metadata: ["settings": "\(needRestart.joined(separator: ", "))"]
                    )
                }
            } catch {
                self.logger.error("configuration not reloaded; the running one stays", metadata: ["error": "\(error)"])
            }
            self.notifier.notify("READY=1")
        }
    }

    private static func monotonicMicroseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1_000_000 + now.tv_nsec / 1000
    }
}
