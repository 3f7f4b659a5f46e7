import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing
import WSGateServer
import WSGateTestSupport

/// The executable's listeners: several addresses, a Unix socket driven by curl, a socket passed
/// by systemd's socket activation, and a Unix socket that cannot be set up.
@Suite(.timeLimit(.minutes(1)))
struct ListenerTests {
    @Test func curlUsesTheWholeAPIOverAUnixSocketBesideATCPListener() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wsgate-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("wsgate.sock").path
        let notify = try NotifySocket()
        defer { notify.close() }
        let gateway = try GatewayProcess(
            arguments: ["--listen", "unix:\(socket)", "--listen", "127.0.0.1:0", "--log-level", "warning"],
            environment: ["NOTIFY_SOCKET": notify.path]
        )
        defer { gateway.terminate() }
        let ready = try await notify.next()
        #expect(ready.contains("Listening on unix:\(socket), 127.0.0.1:"))
        let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
        #expect(mode == 0o660)

        let server = try await UpstreamServer()
        func curl(_ arguments: String...) async throws -> String {
            try await Curl.run(["-s", "--unix-socket", socket] + arguments).stdout
        }
        #expect(try await curl("http://localhost/healthz") == #"{"status":"ok"}"#)
        let opened = try await curl("-H", "Content-Type: application/json", "-d", #"{"url": "\#(server.url())"}"#, "http://localhost/connections")
        let fields = try JSONSerialization.jsonObject(with: Data(opened.utf8)) as? [String: Any]
        let id = try #require(fields?["id"] as? String)
        let peer = try await server.nextPeer()
        #expect(try await curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: text/plain", "-d", "over unix",
                               "http://localhost/connections/\(id)/send") == "204")
        #expect(await peer.receiveDataOrClose()?.data.readableBytes == 9)
        try await peer.sendText("back")
        try await peer.sendClose(code: 1000, reason: "done")
        await peer.waitForDisconnect()
        let events = try await curl("http://localhost/connections/\(id)/events")
        #expect(events.contains(#"data: {"type":"Text","data":"back"}"#))
        #expect(events.contains(#"data: {"type":"Close","data":{"code":1000,"reason":"done"}}"#))
        gateway.terminate()
        #expect(await gateway.exitStatus() == 0)
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test func theHTTPConnectionLimitCountsTheConnectionsOfEveryListener() async throws {
        let (gateway, ports, notify) = try await GatewayProcess.startOnFreePorts(
            listeners: 2, environment: ["WSGATE_HTTP_MAX_CONNECTIONS": "1"]
        )
        defer { notify.close() }
        defer { gateway.terminate() }
        let health = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        func served(on port: Int) async throws -> RawConnection {
            let connection = try await RawConnection(port: port)
            try await connection.send(health)
            _ = try await connection.read(until: #"{"status":"ok"}"#)
            return connection
        }
        // Both listeners were ready to accept while under the limit, so both take a connection:
        // the limit is soft by a read per listener.
        let first = try await served(on: ports[0])
        let second = try await served(on: ports[1])
        // One is still open when the second closes, so the second listener stays at the limit (a
        // limit per listener would let it accept again)...
        second.close()
        try await first.send(health)
        _ = try await first.read(until: #"{"status":"ok"}"#)
        // ...and a third connection to it waits in its backlog...
        let third = try await RawConnection(port: ports[1])
        try await third.send(health)
        try await first.send(health)
        _ = try await first.read(until: #"{"status":"ok"}"#)
        #expect(third.bytesReceived == 0)
        // ...until the first closes too.
        first.close()
        #expect(try await third.read(until: #"{"status":"ok"}"#).hasPrefix("HTTP/1.1 200 OK\r\n"))
        third.close()
    }

    @Test func aSocketPassedTheWaySystemdPassesItIsServed() async throws {
        // systemd-socket-activate needs its port in advance, and it cannot take port 0. Another
        // test can take the chosen port before it binds: it then says so, curl gives up on
        // whatever holds the port, and another port is tried.
        var run: CommandRun.Result
        var attempts = 0
        repeat {
            attempts += 1
            let port = try await freeLoopbackPort()
            // systemd-socket-activate starts the gateway at the first connection, which waits in the
            // backlog of the passed socket until the gateway accepts it. One shell runs it all, so
            // that the gateway is stopped whatever happens.
            let script = """
                systemd-socket-activate --listen 127.0.0.1:\(port) --fdname api "$0" serve --log-level warning & trap "kill $!" EXIT
                curl -s -m 10 --retry 20 --retry-connrefused --retry-delay 0 --retry-max-time 20 http://127.0.0.1:\(port)/healthz; echo
                curl -s -m 10 http://127.0.0.1:\(port)/connections
                """
            run = try await CommandRun.run(URL(fileURLWithPath: "/bin/bash"), ["-c", script, try GatewayProcess.executable.path])
        } while run.stderr.contains("Address already in use") && attempts < 3
        #expect(run.stdout == """
            {"status":"ok"}
            {"connections":[]}
            """, "\(run.stderr)")
    }

    /// A socket whose group cannot be set fails the start, and nothing is left listening on it.
    @Test func aUnixSocketWhosePermissionsCannotBeSetIsNotLeftListening() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wsgate-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("wsgate.sock").path
        var configuration = GatewayConfiguration.testing
        configuration.listen = [.unix(path: socket)]
        configuration.unixSocketGroup = "no-such-group-wsgate"
        var logger = Logger(label: "wsgate-test")
        logger.logLevel = .critical
        let gateway = Gateway(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: gateway.services(), logger: logger))
        await #expect(throws: (any Error).self) { try await group.run() }
        await #expect(throws: (any Error).self) {
            try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(unixDomainSocketPath: socket).get().close()
        }
    }
}
