import ServiceLifecycle

/// Tells systemd `STOPPING=1` as soon as graceful shutdown begins. Listed last in the
/// `ServiceGroup`, it is the first service told to shut down.
struct StoppingNotificationService: Service {
    let notifier: SystemdNotifier

    func run() async throws {
        try? await gracefulShutdown()
        self.notifier.notify("STOPPING=1")
    }
}
