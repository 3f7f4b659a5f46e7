import Foundation

/// The Python 3 that runs the tests' Python parts: the `websockets` library's servers, the
/// browser tests (`selenium`) and the metrics parser (`prometheus_client`). When `python3` lacks
/// a package, the first use installs them all with pip into a virtual environment under the
/// package's `.build` directory, so the tests set themselves up.
public enum TestPython {
    /// The packages the tests import.
    static let packages = ["websockets", "selenium", "prometheus_client"]

    /// The package's root directory, from this file's place in it.
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The command that runs a Python 3 which imports the ``packages``: `$WSGATE_TEST_PYTHON`,
    /// `python3`, or a virtual environment made for the tests. Set up once per test process.
    public static let interpreter = Task<[String], any Error> {
        if let configured = ProcessInfo.processInfo.environment["WSGATE_TEST_PYTHON"] {
            return [configured]
        }
        let systemPython = ["/usr/bin/env", "python3"]
        if try await run(systemPython + ["-c", "import " + packages.joined(separator: ", ")]) == 0 {
            return systemPython
        }
        let environment = packageRoot.appendingPathComponent(".build/python-tests")
        let python = [environment.appendingPathComponent("bin/python3").path]
        if try await run(python + ["-c", "import " + packages.joined(separator: ", ")]) != 0 {
            guard try await run(systemPython + ["-m", "venv", environment.path]) == 0,
                try await run(python + ["-m", "pip", "install", "--quiet"] + packages) == 0
            else {
                throw TestFailure("Could not install \(packages.joined(separator: " ")) into \(environment.path) (needs python3-venv and pip).")
            }
        }
        return python
    }

    /// Runs `command` (an executable and its arguments), its output to stderr, and returns its
    /// exit status; 127 when the executable does not exist.
    public static func run(_ command: [String]) async throws -> Int32 {
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
