import Foundation

/// An echo server on the Python `websockets` library with permessage-deflate on
/// (`Tests/Python/websockets_echo_server.py`), run as a child process on a free loopback port:
/// an independent implementation to check the gateway against.
///
/// It runs on ``TestPython``, which sets itself up.
public final class PythonWebSocketsServer: Sendable {
    /// The port the server listens on.
    public let port: Int
    private let process: Process
    /// The server's standard input, which it reads until the end: kept open while this object
    /// lives, closed by the system if the test process dies, so that no server outlives it.
    private let lifeline = Pipe()

    /// Starts the server with the script's `arguments` and waits until it listens.
    public init(arguments: [String] = []) async throws {
        let python = try await TestPython.interpreter.value
        let script = TestPython.packageRoot.appendingPathComponent("Tests/Python/websockets_echo_server.py").path
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

    /// Kills the server with SIGKILL: it closes nothing itself; the kernel ends its connections.
    public func kill() async {
        Foundation.kill(self.process.processIdentifier, SIGKILL)
        self.process.waitUntilExit()
    }

    deinit {
        self.process.terminate()
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
