import Foundation
import NIOCore
import NIOPosix

/// The gateway being measured: a `wsgate` process the benchmark spawns (a fresh one per
/// scenario, so that each starts from a clean state), or one already running.
final class GatewayUnderTest: Sendable {
    let port: Int
    private let process: Process?

    /// The `wsgate` beside this benchmark's binary: the release build when run with `-c release`.
    static var siblingExecutable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("wsgate").path
    }

    /// Spawns `executable` on a free loopback port and waits until it answers `/healthz`.
    init(spawning executable: String, group: EventLoopGroup) async throws {
        self.port = try await Self.freePort(group: group)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--listen", "127.0.0.1:\(self.port)", "--log-level", "error"]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["WSGATE_LIMITS_MAX_CONNECTIONS": "50000"], uniquingKeysWith: { $1 }
        )
        try process.run()
        self.process = process
        let client = BenchHTTPClient(port: self.port, group: group)
        for _ in 0..<200 {
            if (try? await client.request(.GET, "/healthz"))?.status == 200 { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        process.terminate()
        throw BenchError("\(executable) did not answer on port \(self.port) within 5 s.")
    }

    /// Uses a gateway that is already running on `port`; its memory and CPU time are not read.
    init(port: Int) {
        self.port = port
        self.process = nil
    }

    /// The process id, when the benchmark spawned the gateway.
    var pid: Int32? { self.process?.processIdentifier }

    /// The gateway's resident memory in bytes (VmRSS), when its process is known.
    func residentBytes() -> Int? {
        guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kibibytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kibibytes * 1024
    }

    /// The CPU time the gateway has used so far, when its process is known.
    func cpuSeconds() -> Double? {
        self.pid.flatMap(CPUTime.ofProcess)
    }

    /// Stops a spawned gateway with SIGTERM and waits for it.
    func stop() {
        guard let process else { return }
        process.terminate()
        process.waitUntilExit()
    }

    private static func freePort(group: EventLoopGroup) async throws -> Int {
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        return channel.localAddress?.port ?? 0
    }
}
