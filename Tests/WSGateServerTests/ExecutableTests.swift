import Foundation
import NIOPosix
import NIOWebSocket
import Testing
import WSGateCore
import WSGateTestSupport

/// The built `wsgate` binary: readiness, shutdown on SIGTERM, and the systemd unit.
@Suite(.timeLimit(.minutes(1)))
struct ExecutableTests {
    private static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The upstream's own loop: on the test process's shared loops, which the in-process
    /// gateways of the parallel suites keep busy, its answer to the Close came after the
    /// gateway's 3 s wait in two full runs.
    private static let upstreamLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    @Test func sigtermClosesUpstreamsDeliversTheCloseAndExitsCleanly() async throws {
        let server = try await UpstreamServer(group: Self.upstreamLoop)
        let (gateway, port, notify) = try await GatewayProcess.startOnFreePort()
        defer { notify.close() }
        let client = GatewayClient(port: port)

        let id = try await client.connect(server.url())
        let peer = try await server.nextPeer()
        let streams = try await [client.events(id), client.events(id)]
        try await peer.sendText("before shutdown")
        for stream in streams { #expect(try await stream.nextEvent()?.id == 1) }
        // A keep-alive connection, idle at shutdown, is closed too.
        let keptAlive = try await RawConnection(port: port)
        try await keptAlive.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try await keptAlive.read(until: #"{"status":"ok"}"#).hasPrefix("HTTP/1.1 200 OK\r\n"))

        // Answered on the upstream's event loop, as a server does: a test task on a loaded
        // machine could answer after the gateway's 3 s wait.
        try await peer.answerClose(code: 1001, reason: "Going Away")
        let start = ContinuousClock.now
        gateway.terminate()
        #expect(try await notify.next() == "STOPPING=1")
        let close = await peer.receiveDataOrClose()
        #expect(close?.opcode == .connectionClose)
        var payload = close?.data
        #expect(payload?.readInteger(as: UInt16.self) == 1001)
        #expect(payload.flatMap { $0.getString(at: $0.readerIndex, length: $0.readableBytes) } == "Going Away")
        // As a server does once both Close frames are exchanged (RFC 6455 section 7.1.1).
        await peer.disconnect()
        for stream in streams {
            let rest = try await stream.remainingEvents()
            #expect(rest.map(\.json) == [["type": "Close", "data": ["code": 1001, "reason": "Going Away"]]])
        }
        #expect(await keptAlive.readToEnd() == "")
        #expect(await gateway.exitStatus() == 0)
        // Within the 3 s the upstreams get to answer, and what a loaded machine adds: no hang.
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func theSystemdUnitVerifies() async throws {
        let binary = try GatewayProcess.executable.path
        let unit = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("deploy/wsgate.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/wsgate", with: binary)
            .replacingOccurrences(of: "/usr/local/etc/wsgate/wsgate.yaml", with: Self.repositoryRoot.appendingPathComponent("config/wsgate.yaml").path)
        for directive in ["Type=notify", "DynamicUser=yes", "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes",
                          "PrivateTmp=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "LimitNOFILE=65536", "Restart=on-failure"] {
            #expect(unit.contains(directive + "\n"), "missing \(directive)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("wsgate.service").path
        try unit.write(toFile: path, atomically: true, encoding: .utf8)
        let socketPath = directory.appendingPathComponent("wsgate.socket").path
        try FileManager.default.copyItem(atPath: Self.repositoryRoot.appendingPathComponent("deploy/wsgate.socket").path, toPath: socketPath)

        let verify = Process()
        verify.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        verify.arguments = ["systemd-analyze", "verify", path, socketPath]
        let errors = Pipe()
        verify.standardError = errors
        verify.standardOutput = errors
        try verify.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        verify.waitUntilExit()
        #expect(verify.terminationStatus == 0, "systemd-analyze is needed: .ci/run installs it")
        #expect(output.isEmpty, "systemd-analyze verify: \(output)")
    }
}
