import ServiceLifecycle
import WSGateCore

/// Runs beside the HTTP server: while the gateway runs, sends a `: keepalive` comment to every
/// event stream each `keepaliveInterval`; on graceful shutdown, closes every upstream with
/// 1001 "Going Away" so that the Close events reach the subscribers and their streams end.
///
/// Listed after the HTTP server in a `ServiceGroup`, it shuts down first, while the server still
/// delivers the final events.
public struct PoolLifecycleService: Service {
    let pool: ConnectionPool
    let keepaliveInterval: Duration

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.keepaliveInterval) }
            } catch {
                break
            }
            for connection in self.pool.openConnections {
                connection.history.sendKeepalive()
            }
        }
        await self.pool.shutdown()
    }
}
