import ArgumentParser
import NIOCore
import NIOPosix

// Swift Concurrency's jobs run on NIO's event loops, so the HTTP handlers, the event stream
// writers and the sockets share threads instead of handing work across two pools. This must
// happen on the main thread before any task starts, hence this file instead of `@main`.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

/// Runs the command's `async` `run()`, which a synchronous overload would shadow at top level.
func runAsync(_ command: some AsyncParsableCommand) async throws {
    var command = command
    try await command.run()
}

do {
    try await runAsync(WSGateCommand.parse())
} catch {
    WSGateCommand.exit(withError: error)
}
