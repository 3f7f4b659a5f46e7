import NIOCore
import Testing
import WSGateCore
import WSGateTestSupport

/// A connection that has ended and been deleted is freed, with its session and channel: a
/// gateway that bridges millions of connections over weeks must not keep any of them.
@Suite(.timeLimit(.minutes(1)))
struct ConnectionLifetimeTests {
    @Test func aDeletedConnectionIsFreedOnceItHasEnded() async throws {
        let server = try await UpstreamServer()
        let pool = makePool()
        weak var freed: Connection?
        do {
            let connection = try await pool.open(WebSocketURL(server.url()), config: ConnectionConfig())
            freed = connection
            let peer = try await server.nextPeer()
            let closing = Task {
                _ = await peer.receiveDataOrClose()
                try await peer.sendClose(code: 1000)
                await peer.disconnect()
            }
            _ = try await pool.delete(connection, closingWith: CloseFrame(code: 1000, reason: "")).get()
            try await closing.value
            _ = try await connection.ended.get()
        }
        // The end's callbacks run on the connection's loop; once they have, nothing holds it.
        while freed != nil { await Task.yield() }
        #expect(freed == nil)
    }
}
