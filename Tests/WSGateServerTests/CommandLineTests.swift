import Foundation
import Testing
import WSGateTestSupport

/// The executable's command line: subcommands, version, help, and the token at work.
@Suite(.timeLimit(.minutes(1)))
struct CommandLineTests {
    private static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func wsgate(_ arguments: String..., environment: [String: String] = [:]) async throws -> CommandRun.Result {
        try await CommandRun.run(try GatewayProcess.executable, arguments, environment: environment)
    }

    @Test func versionHelpAndTokenPrintWhatTheySay() async throws {
        let version = try await self.wsgate("--version")
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("wsgate "))
        let help = try await self.wsgate("--help")
        for subcommand in ["serve", "check-config", "token"] { #expect(help.stdout.contains(subcommand)) }
        let serveHelp = try await self.wsgate("serve", "--help")
        for option in ["--config", "--listen", "--log-level"] { #expect(serveHelp.stdout.contains(option)) }
        let tokens = try await [self.wsgate("token"), self.wsgate("token")].map { $0.stdout.trimmingCharacters(in: .newlines) }
        #expect(tokens[0] != tokens[1])
        for token in tokens {
            #expect(token.count == 43)
            #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
    }

    @Test func checkConfigAcceptsTheShippedFileAndNamesWhatIsWrongInABadOne() async throws {
        let shipped = Self.repositoryRoot.appendingPathComponent("config/wsgate.yaml").path
        let valid = try await self.wsgate("check-config", shipped)
        #expect(valid.status == 0)
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("wsgate-\(UUID()).yaml").path
        try "limits:\n  maxConnections: lots\n".write(toFile: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let invalid = try await self.wsgate("check-config", bad)
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("limits.maxConnections"))
        let remote = try await self.wsgate("check-config", shipped, environment: ["WSGATE_LISTEN": "0.0.0.0:8787"])
        #expect(remote.status == 1)
        #expect(remote.stderr.contains("no token is set"))
    }

    @Test func anAddressItCannotListenOnIsNamedWithTheReason() async throws {
        let port = try await freeLoopbackPort()
        let taken = try await self.wsgate("--listen", "127.0.0.1:\(port)", "--listen", "127.0.0.1:\(port)")
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("cannot listen on 127.0.0.1:\(port): Address already in use"))
        let nowhere = try await self.wsgate("--listen", "unix:/nonexistent-\(UUID())/wsgate.sock")
        #expect(nowhere.status == 1)
        #expect(nowhere.stderr.contains("wsgate.sock: No such file or directory"))
    }

    @Test func theRunningGatewayWantsItsTokenByHeaderOrQuery() async throws {
        let notify = try NotifySocket()
        defer { notify.close() }
        let token = "executable-test-token"
        let gateway = try GatewayProcess(
            arguments: ["--listen", "127.0.0.1:0", "--log-level", "warning"],
            environment: ["NOTIFY_SOCKET": notify.path, "WSGATE_SECURITY_TOKEN": token]
        )
        defer { gateway.terminate() }
        let ready = try await notify.next()
        let port = try #require(ready.split(separator: ":").last.flatMap { Int($0) })
        let base = "http://127.0.0.1:\(port)"
        func status(_ arguments: String...) async throws -> String {
            try await Curl.run(["-s", "-o", "/dev/null", "-w", "%{http_code}"] + arguments).stdout
        }
        #expect(try await status("\(base)/connections") == "401")
        #expect(try await status("-H", "Authorization: Bearer wrong", "\(base)/connections") == "401")
        #expect(try await status("-H", "Authorization: Bearer \(token)", "\(base)/connections") == "200")
        #expect(try await status("\(base)/connections?access_token=\(token)") == "200")
        #expect(try await status("\(base)/healthz") == "200")
        let refusal = try await Curl.run(["-s", "-i", "\(base)/connections"])
        #expect(refusal.stdout.contains("WWW-Authenticate: Bearer"))
        #expect(refusal.stdout.contains(#""code":"unauthorized""#))
    }
}
