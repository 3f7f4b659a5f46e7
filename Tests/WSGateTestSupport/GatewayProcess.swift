import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The built `wsgate` executable, run as a child process.
public final class GatewayProcess: Sendable {
    /// The directory holding the package's built products.
    public static var binaryDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// The built executable: the one `swift build` or `swift test` put beside the test bundle.
    public static var executable: URL {
        get throws {
            for directory in [binaryDirectory, binaryDirectory.deletingLastPathComponent()] {
                let candidate = directory.appendingPathComponent("wsgate")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw TestFailure("No built wsgate executable beside \(binaryDirectory.path); run `swift build` first.")
        }
    }

    private let process: Process
    private let exit: AsyncStream<Int32>

    /// Starts `wsgate` with `arguments` and extra `environment` variables; its output goes to stderr.
    public init(arguments: [String], environment: [String: String]) throws {
        self.process = Process()
        self.process.executableURL = try Self.executable
        self.process.arguments = arguments
        self.process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        self.process.standardOutput = FileHandle.standardError
        let (exit, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.exit = exit
        self.process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try self.process.run()
    }

    /// The process id.
    public var pid: Int32 { self.process.processIdentifier }

    /// The resident memory of the process in KiB, from `/proc/<pid>/status`.
    public var residentKiB: Int? {
        let status = try? String(contentsOfFile: "/proc/\(self.pid)/status", encoding: .utf8)
        let line = status?.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line?.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
    }

    /// The CPU time the process has used, user and system, from `/proc/<pid>/stat`.
    public var cpuTime: Duration? {
        guard let stat = try? String(contentsOfFile: "/proc/\(self.pid)/stat", encoding: .utf8),
            let afterName = stat.range(of: ") ")?.upperBound
        else { return nil }
        // After the name: state is field 3, utime 14 and stime 15, in clock ticks.
        let fields = stat[afterName...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return .milliseconds((user + system) * 1000 / sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Gives every thread of the process the lowest CPU priority.
    public func lowerPriority() {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(self.pid)/task")) ?? []
        for task in tasks.compactMap({ id_t($0) }) {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), task, 19)
        }
    }

    /// Sends SIGTERM, as systemd does to stop the service.
    public func terminate() {
        self.process.terminate()
    }

    /// Waits for the process to exit and returns its status.
    public func exitStatus() async -> Int32? {
        var iterator = self.exit.makeAsyncIterator()
        return await iterator.next()
    }

    deinit {
        if self.process.isRunning { self.process.interrupt() }
    }
}

extension GatewayProcess {
    /// Starts `wsgate --listen 127.0.0.1:0` at `logLevel` as systemd would, with a notify socket,
    /// and waits for its READY=1. Returns the process, the port it listens on, and the socket on
    /// which its later notifications (STOPPING=1) arrive; the caller closes the socket.
    public static func startOnFreePort(logLevel: String = "warning") async throws -> (GatewayProcess, port: Int, NotifySocket) {
        let (gateway, ports, notify) = try await self.startOnFreePorts(logLevel: logLevel)
        return (gateway, ports[0], notify)
    }

    /// Starts `wsgate` listening on `listeners` free ports of 127.0.0.1 with extra `environment`
    /// variables, as ``startOnFreePort(logLevel:)`` does, and returns the ports in order.
    public static func startOnFreePorts(
        listeners: Int = 1, logLevel: String = "warning", environment: [String: String] = [:]
    ) async throws -> (GatewayProcess, ports: [Int], NotifySocket) {
        let notify = try NotifySocket()
        do {
            let gateway = try GatewayProcess(
                arguments: Array(repeating: ["--listen", "127.0.0.1:0"], count: listeners).flatMap { $0 } + ["--log-level", logLevel],
                environment: environment.merging(["NOTIFY_SOCKET": notify.path]) { $1 }
            )
            // READY=1\nSTATUS=Listening on 127.0.0.1:PORT, 127.0.0.1:PORT
            let ready = try await notify.next()
            let ports = ready.split(separator: ":").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
            guard ready.hasPrefix("READY=1\n"), ports.count == listeners else {
                gateway.terminate()
                throw TestFailure("The gateway's readiness notification was \"\(ready)\".")
            }
            return (gateway, ports, notify)
        } catch {
            notify.close()
            throw error
        }
    }
}
