import Foundation

/// The `curl` command line client, as a user runs it.
public enum Curl {
    /// Runs `curl` with `arguments` until it exits.
    public static func run(_ arguments: [String]) async throws -> CommandRun.Result {
        try await CommandRun.run(URL(fileURLWithPath: "/usr/bin/env"), ["curl"] + arguments)
    }
}

/// A command run as a user runs it, to its exit.
public enum CommandRun {
    /// What a run printed, and how it exited.
    public struct Result: Sendable {
        /// The exit status.
        public var status: Int32
        /// What it wrote to standard output.
        public var stdout: String
        /// What it wrote to standard error (with `-v`, the exchange).
        public var stderr: String
    }

    /// Runs `executable` with `arguments` and extra `environment` variables until it exits. Its
    /// output goes to files rather than pipes, which would need a thread blocked on each to drain them.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wsgate-run-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stdout = directory.appendingPathComponent("stdout")
        let stderr = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = FileHandle.nullDevice
        let (exit, continuation) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try process.run()
        var statuses = exit.makeAsyncIterator()
        let status = await statuses.next() ?? -1
        return Result(
            status: status,
            stdout: String(decoding: try Data(contentsOf: stdout), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: stderr), as: UTF8.self)
        )
    }
}
