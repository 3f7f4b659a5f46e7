import Foundation
import Testing
import WSGateTestSupport

/// `--log-format json`: one JSON object per line, with what an operator needs and no secret.
@Suite(.timeLimit(.minutes(1)))
struct JSONLogTests {
    @Test func eachLineIsAJSONObjectWithTheConnectionItsUpstreamHostAndItsOutcome() async throws {
        let server = try await UpstreamServer()
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("wsgate-log-\(UUID())")
        defer { try? FileManager.default.removeItem(at: probe) }
        // The gateway runs in a shell that stops it once curl has opened and deleted a connection
        // whose URL holds a secret in its query, and the connection's end is logged. It listens
        // on a port of its own choosing, which its "listening" line names: a port chosen first
        // and passed in could be taken by another test before the gateway binds it. The waits end
        // with SIGKILL: children of the test process inherit its blocked SIGTERM, which `timeout`
        // sends by default, and a `tail -f` left alive outlives a failed test.
        let script = """
            "$0" --listen 127.0.0.1:0 --log-format json 2> "$1" & gateway=$!
            port=$(timeout -s KILL 10 tail -n +1 -f "$1" | grep -m1 -o '"address":"127.0.0.1:[0-9]*' | cut -d: -f3)
            id=$(curl -s -H 'Content-Type: application/json' -d '{"url": "\(server.url("/feed?token=s3cret"))"}' http://127.0.0.1:$port/connections | grep -o '"id":"[^"]*' | cut -d'"' -f4)
            curl -s -X DELETE http://127.0.0.1:$port/connections/$id > /dev/null
            # The connection's last line comes once the upstream has closed TCP, after the DELETE.
            timeout -s KILL 10 tail -n +1 -f "$1" | grep -q -m1 '"message":"closed"'
            kill $gateway; wait $gateway
            """
        let answering = Task {
            let peer = try await server.nextPeer()
            _ = await peer.receiveDataOrClose()
            try await peer.sendClose(code: 1000)
            await peer.disconnect()
        }
        let run = try await CommandRun.run(
            URL(fileURLWithPath: "/bin/bash"), ["-c", script, try GatewayProcess.executable.path, probe.path]
        )
        #expect(run.status == 0, "\(run.stderr)")
        try await answering.value
        let text = try String(contentsOf: probe, encoding: .utf8)
        let lines = text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!lines.isEmpty && lines.allSatisfy { $0 != nil }, "\(text)")
        let objects = lines.compactMap { $0 }
        #expect(objects.allSatisfy { $0["time"] is String && $0["level"] is String && $0["message"] is String })
        let opened = try #require(objects.first { $0["message"] as? String == "opened" })
        #expect(opened["upstream"] as? String == "ws://127.0.0.1:\(server.port)")
        #expect(opened["connection"] is String)
        let closed = try #require(objects.first { $0["message"] as? String == "closed" })
        #expect(closed["connection"] as? String == opened["connection"] as? String)
        #expect(closed["code"] as? String == "1000")
        #expect(!text.contains("s3cret"))
    }
}
