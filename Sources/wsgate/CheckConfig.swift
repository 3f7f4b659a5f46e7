import ArgumentParser
import Foundation

/// `wsgate check-config FILE`: loads a config file as `serve` would and says whether it is valid;
/// the systemd unit runs it as `ExecStartPre=`, so that a bad edit never stops a running gateway.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a config file (with the WSGATE_… environment applied) and exit 0 if it is valid."
    )

    @Argument(help: "The YAML config file.")
    var file: String

    func run() async throws {
        do {
            _ = try await ConfigurationLoader.load(file: self.file, listen: [], logLevel: nil)
        } catch {
            FileHandle.standardError.write(Data("\(self.file): \(error)\n".utf8))
            throw ExitCode.failure
        }
        print("\(self.file): valid")
    }
}
