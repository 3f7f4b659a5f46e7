import Foundation
import Testing
import WSGateTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP: a new configuration applies while the gateway runs, and nothing is dropped.
@Suite(.timeLimit(.minutes(1)))
struct ReloadTests {
    @Test func sighupAppliesANewAllowedOriginWhileAStreamStaysOpen() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("wsgate-\(UUID()).yaml").path
        try "security:\n  allowedOrigins: []\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let notify = try NotifySocket()
        defer { notify.close() }
        let gateway = try GatewayProcess(
            arguments: ["--config", file, "--listen", "127.0.0.1:0", "--log-level", "warning"], environment: ["NOTIFY_SOCKET": notify.path]
        )
        defer { gateway.terminate() }
        let ready = try await notify.next()
        let port = try #require(ready.split(separator: ":").last.flatMap { Int($0) })
        let client = GatewayClient(port: port)
        let server = try await UpstreamServer()
        let id = try await client.connect(server.url())
        let peer = try await server.nextPeer()
        let stream = EventStreamReader(try await client.open(.GET, "/connections/\(id)/events"))
        try await peer.sendText("before")
        #expect(try await stream.nextEvent()?.json?["data"] == "before")

        let origin = [("Origin", "http://localhost:3000")]
        #expect(try await client.request(.GET, "/connections", headers: origin).status == 403)
        try "security:\n  allowedOrigins: [http://localhost:3000]\n".write(toFile: file, atomically: true, encoding: .utf8)
        kill(gateway.pid, SIGHUP)
        #expect(try await notify.next().hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        #expect(try await notify.next() == "READY=1")
        #expect(try await client.request(.GET, "/connections", headers: origin).status == 200)

        try await peer.sendText("after")
        #expect(try await stream.nextEvent()?.json?["data"] == "after")

        // A configuration that does not load leaves the running one.
        try "limits:\n  maxConnections: lots\n".write(toFile: file, atomically: true, encoding: .utf8)
        kill(gateway.pid, SIGHUP)
        _ = try await notify.next()
        #expect(try await notify.next() == "READY=1")
        #expect(try await client.request(.GET, "/connections", headers: origin).status == 200)
        stream.response.close()
    }
}
