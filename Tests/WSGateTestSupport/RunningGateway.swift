import Logging
import ServiceLifecycle
import WSGateCore
import WSGateServer

extension GatewayConfiguration {
    /// The embedded defaults on a free port. Timeouts keep their defaults, so that a busy machine
    /// cannot fail a test by a timeout it does not test; a test of a timeout sets a short one.
    public static var testing: GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.listen = [.tcp(host: "127.0.0.1", port: 0)]
        return configuration
    }
}

/// Runs a gateway in this process on a free loopback port for the duration of `body`, then
/// shuts it down gracefully.
public func withGateway<Result: Sendable>(
    _ configuration: GatewayConfiguration = .testing,
    _ body: @Sendable (GatewayClient, Gateway) async throws -> Result
) async throws -> Result {
    var logger = Logger(label: "wsgate-test")
    logger.logLevel = .warning
    let gateway = Gateway(configuration: configuration, logger: logger)
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let services = gateway.services { channels in
        portContinuation.yield(channels.first?.localAddress?.port ?? 0)
        portContinuation.finish()
    }
    let group = ServiceGroup(configuration: .init(services: services, logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestFailure("The gateway did not start listening.") }
        let result: Swift.Result<Result, any Error>
        do {
            result = .success(try await body(GatewayClient(port: port), gateway))
        } catch {
            result = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try result.get()
    }
}
