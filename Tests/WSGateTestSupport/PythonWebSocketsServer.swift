import Foundation

/// An echo server on the Python `websockets` library with permessage-deflate on
/// (`Tests/Python/websockets_echo_server.py`), run as a child process on a free loopback port:
/// an independent implementation to check the gateway against.
///
/// When `python3` lacks `websockets`, the first server installs it with pip into a virtual
/// environment under the package's `.build` directory, so the tests set themselves up.
public final class PythonWebSocketsServer: Sendable {
    /// The port the server listens on.
    public let port: Int
    private let process: Process
    /// The server's standard input, which it reads until the end: kept open while this object
    /// lives, closed by the system if the test process dies, so that no server outlives it.
    private let lifeline = Pipe()

    /// Starts the server with the script's `arguments` and waits until it listens.
    public init(arguments: [String] = []) async throws {
        let python = try await Self.interpreter.value
        let script = Self.packageRoot.appendingPathComponent("Tests/Python/websockets_echo_server.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python[0])
        process.arguments = python.dropFirst() + [script] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = self.lifeline
        let lines = LineReader(output.fileHandleForReading)
        try process.run()
        self.process = process
        guard let line = await lines.firstLine(), let port = Int(line) else {
            process.terminate()
            throw TestFailure("The websockets server (\(python.joined(separator: " "))) did not print its port.")
        }
        self.port = port
    }

    /// The `ws://` URL of `path` on the server.
    public func url(_ path: String = "/") -> String {
        "ws://127.0.0.1:\(self.port)\(path)"
    }

    deinit {
        self.process.terminate()
    }

    /// The package's root directory, from this file's place in it.
    private static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The command that runs a Python 3 which imports `websockets`: `$WSGATE_TEST_PYTHON`,
    /// `python3`, or a virtual environment made for the tests. Set up once per test process.
    private static let interpreter = Task<[String], any Error> {
        if let configured = ProcessInfo.processInfo.environment["WSGATE_TEST_PYTHON"] {
            return [configured]
        }
        let systemPython = ["/usr/bin/env", "python3"]
        if try await run(systemPython + ["-c", "import websockets"]) == 0 {
            return systemPython
        }
        let environment = packageRoot.appendingPathComponent(".build/python-websockets")
        let python = [environment.appendingPathComponent("bin/python3").path]
        if try await run(python + ["-c", "import websockets"]) != 0 {
            guard try await run(systemPython + ["-m", "venv", environment.path]) == 0,
                try await run(python + ["-m", "pip", "install", "--quiet", "websockets"]) == 0
            else {
                throw TestFailure("Could not install the Python websockets library into \(environment.path) (needs python3-venv and pip).")
            }
        }
        return python
    }

    /// Runs `command` (an executable and its arguments), its output to stderr, and returns its
    /// exit status; 127 when the executable does not exist.
    private static func run(_ command: [String]) async throws -> Int32 {
        guard let executable = command.first, FileManager.default.isExecutableFile(atPath: executable) else { return 127 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        process.standardOutput = FileHandle.standardError
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }
}

/// The first line a child process writes to a pipe, read as it arrives.
private struct LineReader: Sendable {
    private let chunks: AsyncStream<Data>

    init(_ handle: FileHandle) {
        let (chunks, continuation) = AsyncStream.makeStream(of: Data.self)
        handle.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                continuation.finish()
            } else {
                continuation.yield(chunk)
            }
        }
        self.chunks = chunks
    }

    /// The text before the first newline, or `nil` if the pipe closed before one.
    func firstLine() async -> String? {
        var bytes = Data()
        for await chunk in self.chunks {
            bytes.append(chunk)
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                return String(decoding: bytes[..<newline], as: UTF8.self)
            }
        }
        return nil
    }
}
